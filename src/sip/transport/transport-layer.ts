import { lookup } from 'node:dns/promises';
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { DEFAULT_MAX_MESSAGE_SIZE } from '../message/parse-message.js';
import type { MessageSource, SipRequest, SipResponse } from '../message/sip-message.js';
import type { SipParseError } from '../message/sip-parse-error.js';
import type { Uri } from '../message/sip-uri.js';
import { sipError } from '../sip-errors.js';
import { TcpTransport } from './tcp-transport.js';
import type { Destination, Transport, TransportDelegate, TransportName } from './transport-types.js';
import { UdpTransport } from './udp-transport.js';
import { WsTransport } from './ws-transport.js';

/** What the transport layer delivers upward (to the transaction layer). One owner. */
export interface TransportLayerDelegate {
  onRequest(request: SipRequest): void;
  onResponse(response: SipResponse): void;
}

export interface TransportLayerOptions {
  readonly host: string;
  /** UDP and TCP share this port (0: UDP picks one and TCP takes the same number). */
  readonly port: number;
  readonly transports: readonly TransportName[];
  /** For `ws`: attach to this server's upgrade on `wsPath`; else listen on `wsPort` (0 = any). */
  readonly httpServer?: Server;
  readonly wsPath?: string;
  readonly wsPort?: number;
  /** False: do not listen to `httpServer`'s upgrade event; forward `/sip` upgrades to `WsTransport.handleUpgrade`. */
  readonly wsAttach?: boolean;
  readonly maxMessageSize?: number;
  /**
   * Answer UDP requests at their source port even without `rport` (default true).
   * DEVIATION(rfc3261 §18.2.2): the RFC sends to the sent-by port unless the client asked for
   * rport (RFC 3581). Like Asterisk's default `force_rport`, Earshot answers the source port so
   * phones behind NATs and clients whose Via names another port still get their responses.
   */
  readonly forceRport?: boolean;
  readonly logger: Logger;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  505: 'Version Not Supported',
  513: 'Message Too Large',
};

/**
 * The transport layer (RFC 3261 §18): owns the transports, stamps received requests with
 * `received`/`rport` (§18.2.1, RFC 3581), routes responses (§18.2.2), discards responses whose
 * top Via is not ours (§18.1.2), and answers unparseable requests itself.
 */
export class TransportLayer {
  private readonly transports = new Map<TransportName, Transport>();
  delegate: TransportLayerDelegate = { onRequest: () => undefined, onResponse: () => undefined };
  private readonly log: Logger;
  private droppedResponses = 0;
  private rejected = 0;
  private closed = false;

  private constructor(
    readonly host: string,
    logger: Logger,
    private readonly forceRport: boolean,
  ) {
    this.log = logger.child({ module: 'sip.transport' });
  }

  /**
   * UDP and TCP share one port number. With `port: 0` the kernel picks UDP's, and that number may already be
   * taken for TCP by some other socket: then the whole start is retried on a new number.
   */
  static async start(options: TransportLayerOptions): Promise<TransportLayer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TransportLayer.startOnce(options);
      } catch (err) {
        const inUse = (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
        if (options.port !== 0 || !inUse || attempt >= 8) throw err;
      }
    }
  }

  private static async startOnce(options: TransportLayerOptions): Promise<TransportLayer> {
    const layer = new TransportLayer(options.host, options.logger, options.forceRport ?? true);
    const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    const delegate: TransportDelegate = {
      onMessage: (m) => layer.onMessage(m),
      onParseError: (e, s, raw) => layer.onParseError(e, s, raw),
    };
    const base = { host: options.host, maxMessageSize, delegate };
    try {
      let port = options.port;
      for (const name of options.transports) {
        if (name === 'udp') {
          const t = await UdpTransport.listen({ ...base, port });
          port = t.port;
          layer.transports.set('udp', t);
        }
      }
      for (const name of options.transports) {
        if (name === 'tcp') {
          const t = await TcpTransport.listen({ ...base, port });
          port = t.port;
          layer.transports.set('tcp', t);
        } else if (name === 'ws') {
          const t = await WsTransport.listen({
            ...base,
            port: options.wsPort ?? 0,
            httpServer: options.httpServer,
            path: options.wsPath,
            attach: options.wsAttach,
          });
          layer.transports.set('ws', t);
        }
      }
    } catch (err) {
      await layer.close();
      throw err;
    }
    return layer;
  }

  transport(name: TransportName): Transport | undefined {
    return this.transports.get(name);
  }

  /** The port SIP listens on for a transport (UDP and TCP share one). */
  port(name: TransportName = 'udp'): number {
    const t = this.transports.get(name) ?? this.transports.values().next().value;
    return t?.port ?? 0;
  }

  get names(): TransportName[] {
    return [...this.transports.keys()];
  }

  isReliable(name: TransportName): boolean {
    return this.transports.get(name)?.reliable ?? false;
  }

  private onMessage(msg: SipRequest | SipResponse): void {
    if (this.closed) return;
    const source = msg.source as MessageSource;
    if (msg.isRequest) {
      const top = msg.via[0];
      if (top) {
        // RFC 3261 §18.2.1: "When the server transport receives a request over any transport, it
        // MUST examine the value of the "sent-by" parameter in the top Via header field value. If
        // the host portion of the "sent-by" parameter contains a domain name, or if it contains an
        // IP address that differs from the packet source address, the server MUST add a "received"
        // parameter to that Via header field value."
        if (top.host !== source.address) top.params.set('received', source.address);
        // RFC 3581 §4: "the server MUST insert an "rport" parameter … set to the source port of the request."
        if (top.params.has('rport')) top.params.set('rport', String(source.port));
      }
      this.delegate.onRequest(msg);
      return;
    }
    // RFC 3261 §18.1.2: "If the value of the "sent-by" parameter in that header field value does
    // not correspond to a value that the client transport is configured to insert into requests,
    // the response MUST be silently discarded."
    const top = msg.via[0];
    if (!top || !this.isOurs(top.host, top.port)) {
      this.droppedResponses++;
      this.log.debug({ via: top?.host }, 'response with foreign Via dropped');
      return;
    }
    this.delegate.onResponse(msg);
  }

  private isOurs(host: string, port: number | undefined): boolean {
    if (host !== this.host) return false;
    for (const t of this.transports.values()) if (t.port === (port ?? 5060)) return true;
    return false;
  }

  /**
   * A message that did not parse. Requests are answered (400, 505, 513) when a Via survives to
   * route the answer; responses and ACKs are dropped (RFC 3261 §18.3: "If the message is a
   * response, it MUST be discarded").
   */
  private onParseError(error: SipParseError, source: MessageSource, _raw: Buffer | undefined): void {
    this.rejected++;
    const p = error.partial;
    this.log.debug({ reason: error.reason, from: `${source.address}:${source.port}` }, 'unparseable message');
    if (!p?.isRequest || p.method === 'ACK' || this.closed) return;
    const vias = p.headers.get('via');
    if (!vias?.length) return;
    const status = error.status;
    let text = `SIP/2.0 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n`;
    for (const v of vias) text += `Via: ${v}\r\n`;
    for (const [k, name] of [
      ['from', 'From'],
      ['to', 'To'],
      ['call-id', 'Call-ID'],
      ['cseq', 'CSeq'],
    ] as const) {
      const v = p.headers.get(k)?.[0];
      if (v === undefined) continue;
      // RFC 3261 §8.2.6.2: add a To tag when the request had none.
      const value = k === 'to' && !/;\s*tag\s*=/i.test(v) ? `${v};tag=e${Date.now().toString(36)}` : v;
      text += `${name}: ${value}\r\n`;
    }
    text += `Warning: 399 ${this.host} "${error.reason.replace(/["\\\r\n]/g, ' ')}"\r\nContent-Length: 0\r\n\r\n`;
    const t = this.transports.get(source.transport as TransportName);
    t?.send(
      { transport: t.name, address: source.address, port: source.port, connectionId: source.connectionId },
      Buffer.from(text),
    ).catch(() => undefined);
  }

  /** Sends a request to a resolved destination, stamping the top Via with our sent-by. */
  sendRequest(request: SipRequest, destination: Destination): Promise<void> {
    const t = this.transports.get(destination.transport);
    if (!t) return Promise.reject(sipError('SIP_TRANSPORT_ERROR', `no ${destination.transport} transport`));
    const top = request.via[0];
    if (top) {
      top.transport = destination.transport.toUpperCase();
      top.host = this.host;
      top.port = t.port;
    }
    return t.send(destination, request.toBuffer());
  }

  /** Sends a message as-is (retransmissions, ACKs). */
  send(message: SipRequest | SipResponse, destination: Destination): Promise<void> {
    const t = this.transports.get(destination.transport);
    if (!t) return Promise.reject(sipError('SIP_TRANSPORT_ERROR', `no ${destination.transport} transport`));
    return t.send(destination, message.toBuffer());
  }

  /**
   * Where the responses to a request go (RFC 3261 §18.2.2 and RFC 3581 §4):
   * reliable: "the response MUST be sent using the existing connection to the source of the
   * original request"; unreliable with maddr: to maddr; otherwise to the "received" address and,
   * with rport, "to the IP address and port the request came from", else the sent-by port.
   */
  responseDestination(request: SipRequest): Destination {
    const source = request.source as MessageSource;
    const top = request.via[0];
    const name = source.transport as TransportName;
    if (this.transports.get(name)?.reliable) {
      return {
        transport: name,
        address: source.address,
        port: source.port,
        connectionId: source.connectionId,
      };
    }
    const maddr = top?.params.get('maddr');
    if (maddr) return { transport: name, address: maddr, port: top?.port ?? 5060 };
    const rport = top?.params.get('rport');
    const port = rport ? Number(rport) : this.forceRport ? source.port : (top?.port ?? 5060);
    return { transport: name, address: source.address, port };
  }

  /**
   * RFC 3263, reduced to what Earshot's deployments need: transport from the `transport`
   * parameter (default UDP; `sips` means TLS, unsupported here), host by A/AAAA lookup, port
   * from the URI or 5060. No NAPTR/SRV.
   */
  async resolve(uri: Uri, preferred?: TransportName): Promise<Destination> {
    if (uri.kind !== 'sip') throw sipError('SIP_INVALID_ARGUMENT', `cannot route to a ${uri.scheme}: URI`);
    const maddr = uri.params.get('maddr');
    const host = (maddr ?? uri.host).replace(/^\[|\]$/g, '');
    const tp = (uri.params.get('transport') ?? preferred ?? 'udp').toLowerCase() as TransportName;
    if (!this.transports.has(tp)) throw sipError('SIP_TRANSPORT_ERROR', `no ${tp} transport for ${uri.host}`);
    const address = isIP(host) ? host : (await lookup(host)).address;
    return { transport: tp, address, port: uri.port ?? 5060 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.transports.values()].map((t) => t.close()));
  }

  dump(): Record<string, unknown> {
    return {
      host: this.host,
      transports: [...this.transports.values()].map((t) => t.dump()),
      droppedResponses: this.droppedResponses,
      rejected: this.rejected,
    };
  }
}
