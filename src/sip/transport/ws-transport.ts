import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { parseMessage } from '../message/parse-message.js';
import type { MessageSource } from '../message/sip-message.js';
import { SipParseError } from '../message/sip-parse-error.js';
import { sipError } from '../sip-errors.js';
import type { Destination, Transport, TransportOptions } from './transport-types.js';

export interface WsTransportOptions extends TransportOptions {
  /** Attach to this HTTP server's `upgrade` for `path`; without it, a server is started on host:port. */
  readonly httpServer?: Server;
  /** Default `/sip`. */
  readonly path?: string;
  /**
   * Default true: listen to the server's `upgrade` event. Set false when another upgrade handler
   * (e.g. @fastify/websocket) owns the event and forwards `/sip` requests to `handleUpgrade`.
   */
  readonly attach?: boolean;
}

/**
 * SIP over WebSocket (RFC 7118). §4.1: the client requests the "sip" subprotocol, and "the
 * SIP WebSocket Server MUST … accept the "sip" subprotocol". §5.1: "Each SIP message MUST be
 * carried within a single WebSocket message". The server cannot open connections toward
 * browsers: requests to WS clients go over the connection they registered from.
 */
export class WsTransport implements Transport {
  readonly name = 'ws' as const;
  readonly reliable = true;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Map<string, { ws: WebSocket; remote: string }>();
  private nextId = 1;
  private closed = false;
  private readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

  private constructor(
    private readonly server: Server,
    private readonly ownsServer: boolean,
    private readonly options: WsTransportOptions,
  ) {
    const path = options.path ?? '/sip';
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageSize,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    this.path = path;
    this.onUpgrade = (req, socket, head) => {
      this.handleUpgrade(req, socket, head);
    };
    if (options.attach !== false) server.on('upgrade', this.onUpgrade);
  }

  private readonly path: string;

  /**
   * Completes a WebSocket upgrade for the SIP path; returns false (touching nothing) for other
   * paths, which another upgrade handler (e.g. the notifications channel) owns.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = (req.url ?? '').split('?')[0];
    if (url !== this.path || this.closed) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(ws, req));
    return true;
  }

  /** Attaches to an existing HTTP server (e.g. Fastify's `app.server`) or starts one on host:port. */
  static async listen(options: WsTransportOptions): Promise<WsTransport> {
    if (options.httpServer) return new WsTransport(options.httpServer, false, options);
    const server = createServer((_req, res) => {
      res.statusCode = 426;
      res.end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new WsTransport(server, true, options);
  }

  get address(): string {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.address : this.options.host;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  private adopt(ws: WebSocket, req: IncomingMessage): void {
    if (ws.protocol !== 'sip') {
      ws.close(1002, 'subprotocol sip required');
      return;
    }
    const id = `ws-${this.nextId++}`;
    const address = req.socket.remoteAddress ?? '';
    const port = req.socket.remotePort ?? 0;
    this.sockets.set(id, { ws, remote: `${address}:${port}` });
    const source: MessageSource = { transport: 'ws', address, port, connectionId: id };
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const buf = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data as ArrayBuffer);
      if (buf.length <= 4 && buf.every((b) => b === 13 || b === 10)) return; // keep-alive
      let msg: ReturnType<typeof parseMessage>;
      try {
        msg = parseMessage(buf, { datagram: true, maxSize: this.options.maxMessageSize });
      } catch (err) {
        const e = err instanceof SipParseError ? err : new SipParseError('SIP_PARSE_ERROR', 'unexpected');
        this.options.delegate.onParseError(e, source, buf);
        return;
      }
      msg.source = source;
      this.options.delegate.onMessage(msg);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.sockets.delete(id));
  }

  async send(destination: Destination, data: Buffer): Promise<void> {
    const entry = destination.connectionId ? this.sockets.get(destination.connectionId) : undefined;
    const target =
      entry ??
      [...this.sockets.values()].find((s) => s.remote === `${destination.address}:${destination.port}`);
    if (!target || this.closed)
      throw sipError('SIP_TRANSPORT_ERROR', 'no WebSocket connection to the destination');
    await new Promise<void>((resolve, reject) => {
      // Text frames: SIP is UTF-8 text and browsers' SIP stacks expect text (RFC 7118 §5.1 allows both).
      target.ws.send(data.toString('utf8'), (err) =>
        err ? reject(sipError('SIP_TRANSPORT_ERROR', err.message)) : resolve(),
      );
    });
  }

  hasConnection(connectionId: string | undefined): boolean {
    return connectionId !== undefined && this.sockets.has(connectionId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.server.off('upgrade', this.onUpgrade);
    for (const s of this.sockets.values()) s.ws.terminate();
    this.sockets.clear();
    this.wss.close();
    if (this.ownsServer) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  dump(): Record<string, unknown> {
    return {
      name: this.name,
      port: this.closed ? undefined : this.port,
      connections: [...this.sockets.entries()].map(([id, s]) => ({ id, remote: s.remote })),
      closed: this.closed,
    };
  }
}
