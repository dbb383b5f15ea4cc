/**
 * The socket a leg sends and receives through, independent of the I/O path: Node's `dgram`
 * (`DgramLegSocket`, one `message` event per datagram) or the native batched path
 * (`NativeLegSocket` in `native-io.ts`: datagrams delivered from a shared buffer once per tick).
 * Addresses cross this interface as IPv4 numbers (host order) so the native path needs no string
 * per datagram; `ipv4ToNumber`/`numberToIpv4` convert at the edges (signalling, stats).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** Receives datagrams: `buf[offset … offset + length)` from `address:port` (valid during the call only). */
export interface DatagramSink {
  onDatagram(
    buf: Buffer,
    offset: number,
    length: number,
    address: number,
    port: number,
    truncated: boolean,
  ): void;
}

/**
 * The memory a zero-copy socket's datagrams are written into (`LegSocket.reserve`): `bytes`, and
 * `words`, a 32-bit view of the same memory in which `bytes[0]` lies at byte `base` (a multiple of 4).
 */
export interface SendBuffer {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
  readonly base: number;
}

export interface LegSocket {
  /** Where received datagrams go (set once by the leg). */
  setSink(sink: DatagramSink): void;
  /** Sends `buf[0 … length)`; fire and forget (a refused send is dropped and counted by the I/O). */
  send(buf: Buffer, length: number, address: number, port: number): void;
  /**
   * Zero-copy sending (optional, with `reserve`; the native path): the buffer the I/O sends from.
   * The same object for the socket's life.
   */
  readonly sendBuffer?: SendBuffer | undefined;
  /**
   * Queues one datagram of `length` bytes to address:port and returns its offset in
   * `sendBuffer.bytes` (4-byte aligned: `base + offset` is a multiple of 4), or -1 when it cannot
   * be sent (socket or I/O closed, longer than the buffer: dropped, like a refused `send`). The
   * caller writes the whole datagram there at once — before any other send or reserve on the same
   * I/O, which may flush — and it leaves with the I/O's next flush.
   */
  reserve?(length: number, address: number, port: number): number;
  /** Idempotent. */
  close(): void;
}

/** "a.b.c.d" → host-order number, or -1 if not a dotted IPv4 literal. */
export function ipv4ToNumber(address: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return n * 256 + part;
}

export function numberToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** IP literals need no DNS: answer synchronously (saves a tick per send). */
function literalLookup(
  address: string,
  _opts: unknown,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  cb(null, address, 4);
}

/** The pure-Node path: one `dgram` socket. */
export class DgramLegSocket implements LegSocket {
  private closed = false;
  /** Last destination, converted once per change (sends to one peer reuse the string). */
  private toNumber = -1;
  private toString = '';

  constructor(private readonly socket: Socket) {
    // A socket error (e.g. ICMP port unreachable surfaced on send) must never kill the worker.
    socket.on('error', () => {});
  }

  setSink(sink: DatagramSink): void {
    this.socket.on('message', (msg: Buffer, rinfo: RemoteInfo) =>
      sink.onDatagram(msg, 0, msg.length, ipv4ToNumber(rinfo.address), rinfo.port, false),
    );
  }

  send(buf: Buffer, length: number, address: number, port: number): void {
    if (this.closed) return;
    if (address !== this.toNumber) {
      this.toNumber = address;
      this.toString = numberToIpv4(address);
    }
    this.socket.send(buf, 0, length, port, this.toString);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/** Binds a `dgram` socket on host:port (exclusive); undefined if the port is taken. */
export function bindDgram(host: string, port: number): Promise<LegSocket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type: 'udp4', lookup: literalLookup as never });
    const onError = () => {
      s.close();
      resolve(undefined);
    };
    s.once('error', onError);
    s.bind({ address: host, port, exclusive: true }, () => {
      s.off('error', onError);
      resolve(new DgramLegSocket(s));
    });
  });
}
