import { createSocket, type Socket } from 'node:dgram';
import { parseMessage } from '../message/parse-message.js';
import type { MessageSource } from '../message/sip-message.js';
import { SipParseError } from '../message/sip-parse-error.js';
import { sipError } from '../sip-errors.js';
import type { Destination, Transport, TransportOptions } from './transport-types.js';

/** SIP over UDP (RFC 3261 §18): one message per datagram. */
export class UdpTransport implements Transport {
  readonly name = 'udp' as const;
  readonly reliable = false;
  private closed = false;
  private received = 0;
  private sent = 0;
  private malformed = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly options: TransportOptions,
  ) {
    socket.on('message', (data, rinfo) => this.onDatagram(data, rinfo.address, rinfo.port));
    socket.on('error', () => {
      /* send errors are reported per send; a socket error leaves the socket usable */
    });
  }

  static async listen(options: TransportOptions): Promise<UdpTransport> {
    // A large receive buffer rides out event-loop stalls at high message rates instead of dropping
    // datagrams (the kernel caps it at net.core.rmem_max).
    const socket = createSocket({
      type: options.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: 4 * 1024 * 1024,
      sendBufferSize: 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpTransport(socket, options);
  }

  get address(): string {
    return this.socket.address().address;
  }

  get port(): number {
    return this.socket.address().port;
  }

  private onDatagram(data: Buffer, address: string, port: number): void {
    this.received++;
    const source: MessageSource = { transport: 'udp', address, port, connectionId: undefined };
    // A lone CRLF (or CRLFCRLF) datagram is a keep-alive: ignore it.
    if (data.length <= 4 && data.every((b) => b === 13 || b === 10)) return;
    let msg: ReturnType<typeof parseMessage>;
    try {
      msg = parseMessage(data, { datagram: true, maxSize: this.options.maxMessageSize });
    } catch (err) {
      this.malformed++;
      const e = err instanceof SipParseError ? err : new SipParseError('SIP_PARSE_ERROR', 'unexpected');
      this.options.delegate.onParseError(e, source, data);
      return;
    }
    msg.source = source;
    this.options.delegate.onMessage(msg);
  }

  send(destination: Destination, data: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(sipError('SIP_TRANSPORT_ERROR', 'UDP transport closed'));
    this.sent++;
    return new Promise((resolve, reject) => {
      this.socket.send(data, destination.port, destination.address, (err) => {
        if (err) reject(sipError('SIP_TRANSPORT_ERROR', err.message));
        else resolve();
      });
    });
  }

  hasConnection(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  dump(): Record<string, unknown> {
    return {
      name: this.name,
      address: this.closed ? undefined : this.address,
      port: this.closed ? undefined : this.port,
      received: this.received,
      sent: this.sent,
      malformed: this.malformed,
      closed: this.closed,
    };
  }
}
