import { connect, createServer, type Server, type Socket } from 'node:net';
import { parseMessage } from '../message/parse-message.js';
import type { MessageSource } from '../message/sip-message.js';
import { SipParseError } from '../message/sip-parse-error.js';
import { StreamFramer } from '../message/stream-framer.js';
import { sipError } from '../sip-errors.js';
import type { Destination, Transport, TransportOptions } from './transport-types.js';

interface Connection {
  readonly id: string;
  readonly socket: Socket;
  readonly framer: StreamFramer;
  readonly remote: string;
  ready: Promise<void>;
}

const CRLF = Buffer.from('\r\n');

/**
 * SIP over TCP (RFC 3261 §18): Content-Length framing, connections reused in both directions
 * (§18.2.2: responses go back on the connection the request came on).
 */
export class TcpTransport implements Transport {
  readonly name = 'tcp' as const;
  readonly reliable = true;
  private readonly connections = new Map<string, Connection>();
  private readonly byRemote = new Map<string, Connection>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly options: TransportOptions,
  ) {
    server.on('connection', (socket) => this.adopt(socket, Promise.resolve()));
  }

  static async listen(options: TransportOptions): Promise<TcpTransport> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TcpTransport(server, options);
  }

  get address(): string {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.address : this.options.host;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  private adopt(socket: Socket, ready: Promise<void>, remoteKey?: string): Connection {
    const id = `tcp-${this.nextId++}`;
    const remote = remoteKey ?? `${socket.remoteAddress}:${socket.remotePort}`;
    const conn: Connection = {
      id,
      socket,
      framer: new StreamFramer(this.options.maxMessageSize),
      remote,
      ready,
    };
    this.connections.set(id, conn);
    this.byRemote.set(remote, conn);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(id);
      if (this.byRemote.get(remote) === conn) this.byRemote.delete(remote);
    });
    return conn;
  }

  private onData(conn: Connection, chunk: Buffer): void {
    const source: MessageSource = {
      transport: 'tcp',
      address: conn.socket.remoteAddress ?? '',
      port: conn.socket.remotePort ?? 0,
      connectionId: conn.id,
    };
    for (const ev of conn.framer.push(chunk)) {
      if (ev.type === 'keepalive') {
        // RFC 5626 §4.4.1: a "double CRLF" ping is answered with a single CRLF pong.
        conn.socket.write(CRLF);
      } else if (ev.type === 'error') {
        this.options.delegate.onParseError(ev.error, source, undefined);
        conn.socket.destroy();
      } else {
        let msg: ReturnType<typeof parseMessage>;
        try {
          msg = parseMessage(ev.data, { datagram: false, maxSize: this.options.maxMessageSize });
        } catch (err) {
          const e = err instanceof SipParseError ? err : new SipParseError('SIP_PARSE_ERROR', 'unexpected');
          this.options.delegate.onParseError(e, source, ev.data);
          continue;
        }
        msg.source = source;
        this.options.delegate.onMessage(msg);
      }
    }
  }

  async send(destination: Destination, data: Buffer): Promise<void> {
    if (this.closed) throw sipError('SIP_TRANSPORT_ERROR', 'TCP transport closed');
    let conn = destination.connectionId ? this.connections.get(destination.connectionId) : undefined;
    const key = `${destination.address}:${destination.port}`;
    conn ??= this.byRemote.get(key);
    if (!conn) {
      const socket = connect({ host: destination.address, port: destination.port, noDelay: true });
      const ready = new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', (err) => reject(sipError('SIP_TRANSPORT_ERROR', err.message)));
      });
      ready.catch(() => undefined);
      conn = this.adopt(socket, ready, key);
    }
    await conn.ready;
    const c = conn;
    await new Promise<void>((resolve, reject) => {
      c.socket.write(data, (err) => (err ? reject(sipError('SIP_TRANSPORT_ERROR', err.message)) : resolve()));
    });
  }

  hasConnection(connectionId: string | undefined): boolean {
    return connectionId !== undefined && this.connections.has(connectionId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.connections.values()) c.socket.destroy();
    this.connections.clear();
    this.byRemote.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  dump(): Record<string, unknown> {
    return {
      name: this.name,
      port: this.closed ? undefined : this.port,
      connections: [...this.connections.values()].map((c) => ({ id: c.id, remote: c.remote })),
      closed: this.closed,
    };
  }
}
