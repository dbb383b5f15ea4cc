/**
 * The plain-RTP side of a WebRTC endpoint: one UDP socket on the relay host that exchanges
 * unencrypted RTP with exactly one engine leg. Strict source: datagrams from any other address or
 * port are dropped and counted (the engine leg is on this machine and its address is known up
 * front, so there is nothing to latch). Outgoing packets are written into a ring of preallocated
 * buffers: no allocation of ours per packet.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** RFC 3550 §5.1: the fixed header is 12 octets; we never add CSRCs or extensions toward the engine. */
const RTP_HEADER = 12;
/** Enough for any G.711 frame we relay (20 ms = 160 octets) with room for larger ptimes. */
const MAX_PAYLOAD = 1488;
/**
 * `dgram.send` to an address string resolves it on the next tick before the kernel copies the
 * datagram, so a slot stays busy until its send callback: a burst longer than the ring within one
 * tick falls back to a fresh buffer (counted in `ringOverflows`) rather than overwrite a pending one.
 */
const RING = 32;

export interface RelayCounters {
  /** Datagrams from the engine leg handed to the browser side. */
  fromEngine: number;
  /** Packets sent to the engine leg. */
  toEngine: number;
  /** Datagrams from any source other than the engine leg (dropped). */
  strayDrops: number;
  /** Datagrams from the engine leg that are not RTP version 2 with at least a header (dropped). */
  malformedDrops: number;
  /** Sends that found every ring slot still in flight and used a freshly allocated buffer. */
  ringOverflows: number;
}

export class PlainRtpRelay {
  readonly counters: RelayCounters = {
    fromEngine: 0,
    toEngine: 0,
    strayDrops: 0,
    malformedDrops: 0,
    ringOverflows: 0,
  };
  private readonly ring: Buffer[] = [];
  private readonly busy: boolean[] = [];
  /** One send callback per slot, made once. */
  private readonly done: (() => void)[] = [];
  private next = 0;
  private closed = false;
  /** Receives each valid datagram from the engine leg (the buffer is Node's; keep it or copy it). */
  onEngineRtp: (packet: Buffer) => void = () => {};

  private constructor(
    private readonly socket: Socket,
    readonly localAddress: string,
    readonly localPort: number,
    private readonly engine: { readonly address: string; readonly port: number },
  ) {
    for (let i = 0; i < RING; i++) {
      this.ring.push(Buffer.alloc(RTP_HEADER + MAX_PAYLOAD));
      this.busy.push(false);
      this.done.push(() => {
        this.busy[i] = false;
      });
    }
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
  }

  /** Binds a socket on `host` (port 0: the kernel picks a free one) toward the engine leg `engine`. */
  static bind(host: string, engine: { address: string; port: number }): Promise<PlainRtpRelay> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        socket.on('error', () => {}); // ICMP port unreachable and the like: nothing to do per packet.
        resolve(new PlainRtpRelay(socket, host, socket.address().port, { ...engine }));
      });
    });
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (rinfo.port !== this.engine.port || rinfo.address !== this.engine.address) {
      this.counters.strayDrops++;
      return;
    }
    // RFC 3550 §5.1: version (V) is 2.
    if (msg.length < RTP_HEADER || msg[0]! >> 6 !== 2) {
      this.counters.malformedDrops++;
      return;
    }
    this.counters.fromEngine++;
    this.onEngineRtp(msg);
  }

  /**
   * Sends one RTP packet to the engine leg: a 12-octet header (no CSRC, no extension: the browser's
   * header extensions mean nothing to the engine) and the payload, copied into the next ring slot.
   */
  sendToEngine(
    marker: boolean,
    payloadType: number,
    sequence: number,
    timestamp: number,
    ssrc: number,
    payload: Uint8Array,
  ): void {
    if (this.closed || payload.length > MAX_PAYLOAD) return;
    const slot = this.next;
    let buf: Buffer;
    let done: (() => void) | undefined;
    if (this.busy[slot]) {
      this.counters.ringOverflows++;
      buf = Buffer.allocUnsafe(RTP_HEADER + payload.length);
    } else {
      buf = this.ring[slot]!;
      done = this.done[slot]!;
      this.busy[slot] = true;
      this.next = (slot + 1) % RING;
    }
    buf[0] = 0x80;
    buf[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
    buf.writeUInt16BE(sequence & 0xffff, 2);
    buf.writeUInt32BE(timestamp >>> 0, 4);
    buf.writeUInt32BE(ssrc >>> 0, 8);
    buf.set(payload, RTP_HEADER);
    this.counters.toEngine++;
    this.socket.send(buf, 0, RTP_HEADER + payload.length, this.engine.port, this.engine.address, done);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onEngineRtp = () => {};
    try {
      this.socket.close();
    } catch {
      // already closed by an error
    }
  }
}
