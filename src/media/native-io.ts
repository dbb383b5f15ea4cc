/**
 * A media worker's native batched UDP I/O (the `native/udp-batch` addon): every socket of the
 * worker sits in one epoll set; once per tick `drain()` reads all of them with `recvmmsg` into one
 * preallocated receive buffer and hands each datagram to its leg as (buffer, offset, length,
 * address, port) — no `Buffer`, `rinfo` or event per datagram — and `flush()` sends everything the
 * tick queued from one preallocated send buffer (`sendmmsg` per run of packets on one socket).
 * Nothing here allocates per packet. Sockets closed mid-tick flush first, so a queued packet can
 * never leave through a reused fd number.
 */
import type { DatagramSink, LegSocket, SendBuffer } from './leg-socket.js';
import { mediaError } from './media-errors.js';
import {
  E_CANCELED,
  FLAG_TRUNCATED,
  RX_WORDS,
  TX_WORDS,
  type UdpBatchAddon,
  URING_SEND_WITH_ADDRESS,
  type UringHandle,
} from './udp-batch-addon.js';

/** Packet buffers up to this size are copied whole into the send buffer (see `queue`). */
const WHOLE_COPY_MAX = 2048;

export interface NativeIoOptions {
  /**
   * Batch the tick's receives and sends through io_uring (one io_uring_enter each instead of one
   * recvmmsg per ready socket and one sendmmsg per sending socket). Default: on when the addon
   * and the kernel support it, unless env `EARSHOT_MEDIA_URING=0`; falls back to the syscalls.
   */
  uring?: boolean;
  /** Datagrams one drain call holds (default 4,096). */
  rxSlots?: number;
  /** Bytes per received datagram; longer ones are delivered truncated (default 1,500). */
  slotSize?: number;
  /** Datagrams queued before a send is forced (default 4,096). */
  txSlots?: number;
  /** Bytes of the send buffer (default 1 MiB). */
  txBytes?: number;
  /**
   * Drain calls per `drain()` while the buffer comes back full (bounds work per tick; default 2,
   * i.e. 8,192 datagrams per tick with the default slots).
   */
  maxRounds?: number;
}

export class NativeIo {
  private readonly epfd: number;
  private readonly rx: Buffer;
  private readonly rxMeta: Uint32Array;
  private readonly tx: Buffer;
  private readonly txMeta: Uint32Array;
  private readonly rxSlots: number;
  private readonly slotSize: number;
  private readonly txSlots: number;
  private readonly maxRounds: number;
  private txCount = 0;
  private txUsed = 0;
  /** `tx` as a plain Uint8Array plus its words, for `reserve` (made on first use; see `sendBuffer`). */
  private txView: SendBuffer | null | undefined;
  private readonly sinks: Array<DatagramSink | undefined> = [];
  private readonly freeTokens: number[] = [];
  private readonly open = new Map<number, number>(); // token → fd
  private closed = false;
  /** The io_uring the tick's I/O goes through, or undefined (syscall path). */
  private ring: UringHandle | undefined;
  /** Why there is no ring (undefined when there is one, or when it was not asked for). */
  readonly uringUnavailable: string | undefined;
  readonly counters = {
    drains: 0,
    datagramsIn: 0,
    maxPerDrain: 0,
    /** drain() calls that stopped at maxRounds full buffers (input overload: the rest waits a tick). */
    overloadedDrains: 0,
    truncated: 0,
    unclaimed: 0,
    flushes: 0,
    datagramsOut: 0,
    /** Datagrams the kernel refused (EAGAIN: send buffer full, …): dropped. */
    sendRefused: 0,
    drainErrors: 0,
    /** Rings given up (completions missing) — the path then fell back to the syscalls. */
    uringFailures: 0,
  };

  constructor(
    private readonly addon: UdpBatchAddon,
    opts: NativeIoOptions = {},
  ) {
    this.rxSlots = opts.rxSlots ?? 4096;
    this.slotSize = opts.slotSize ?? 1500;
    this.txSlots = opts.txSlots ?? 4096;
    this.maxRounds = opts.maxRounds ?? 2;
    const epfd = addon.pollerOpen();
    if (epfd < 0) throw mediaError('MEDIA_WORKER_FAILED', `udp-batch: epoll_create1 failed (errno ${-epfd})`);
    this.epfd = epfd;
    this.rx = Buffer.alloc(this.rxSlots * this.slotSize);
    this.rxMeta = new Uint32Array(this.rxSlots * RX_WORDS);
    this.tx = Buffer.alloc(opts.txBytes ?? 1 << 20);
    this.txMeta = new Uint32Array(this.txSlots * TX_WORDS);
    const wantUring = opts.uring ?? process.env.EARSHOT_MEDIA_URING !== '0';
    if (!wantUring) this.uringUnavailable = 'disabled';
    else if (!addon.uringOpen || !addon.uringDrain || !addon.uringSend)
      this.uringUnavailable = 'addon built without io_uring';
    else {
      const ring = addon.uringOpen(Math.max(this.rxSlots, this.txSlots));
      if (typeof ring === 'number') this.uringUnavailable = `io_uring_setup failed (errno ${-ring})`;
      else this.ring = ring;
    }
  }

  /** `io_uring` when the tick's I/O goes through a ring, else `syscalls` (recvmmsg/sendmmsg). */
  get engine(): 'io_uring' | 'syscalls' {
    return this.ring ? 'io_uring' : 'syscalls';
  }

  /** The ring failed (completions missing): use the syscalls from now on. */
  private dropRing(): void {
    this.ring = undefined;
    (this as { uringUnavailable: string | undefined }).uringUnavailable = 'ring broken (fell back)';
    this.counters.uringFailures++;
  }

  /** Binds host:port (0: any); undefined if taken (or on any bind error). */
  bind(host: string, port: number): NativeLegSocket | undefined {
    if (this.closed) return undefined;
    const token = this.freeTokens.pop() ?? this.sinks.length;
    const fd = this.addon.bindUdp(this.epfd, host, port, token);
    if (fd < 0) {
      if (token === this.sinks.length) this.sinks.push(undefined);
      this.freeTokens.push(token);
      return undefined;
    }
    if (token === this.sinks.length) this.sinks.push(undefined);
    this.open.set(token, fd);
    return new NativeLegSocket(this, fd, token, port === 0 ? this.addon.localPort(fd) : port);
  }

  /** @internal (NativeLegSocket) */
  setSink(token: number, sink: DatagramSink): void {
    this.sinks[token] = sink;
  }

  /**
   * Reads every socket's pending datagrams and delivers them to their sinks. Returns how many were
   * read. Stops after `maxRounds` full buffers: the rest stays queued in the kernel for the next
   * tick, so input overload delays (and eventually drops) input instead of starving the ticks.
   */
  drain(): number {
    if (this.closed) return 0;
    let total = 0;
    for (let round = 0; round < this.maxRounds; round++) {
      let n: number;
      if (this.ring) {
        n = this.addon.uringDrain!(this.ring, this.epfd, this.rx, this.slotSize, this.rxMeta, this.rxSlots);
        if (n === E_CANCELED) {
          this.dropRing();
          n = this.addon.drain(this.epfd, this.rx, this.slotSize, this.rxMeta, this.rxSlots);
        }
      } else n = this.addon.drain(this.epfd, this.rx, this.slotSize, this.rxMeta, this.rxSlots);
      if (n < 0) {
        this.counters.drainErrors++;
        break;
      }
      const meta = this.rxMeta;
      const rx = this.rx;
      for (let i = 0, m = 0; i < n; i++, m += RX_WORDS) {
        const sink = this.sinks[meta[m]!];
        if (sink === undefined) {
          this.counters.unclaimed++;
          continue;
        }
        const truncated = (meta[m + 5]! & FLAG_TRUNCATED) !== 0;
        if (truncated) this.counters.truncated++;
        sink.onDatagram(rx, meta[m + 1]!, meta[m + 2]!, meta[m + 3]!, meta[m + 4]!, truncated);
      }
      total += n;
      if (n < this.rxSlots) break;
      if (round === this.maxRounds - 1) this.counters.overloadedDrains++;
    }
    this.counters.drains++;
    this.counters.datagramsIn += total;
    if (total > this.counters.maxPerDrain) this.counters.maxPerDrain = total;
    return total;
  }

  /** @internal (NativeLegSocket) Copies the datagram into the send buffer; sent by `flush()`. */
  queue(fd: number, buf: Buffer, length: number, address: number, port: number): void {
    if (this.closed) return;
    if (length > buf.length) length = buf.length;
    if (length > this.tx.length) {
      this.counters.sendRefused++;
      return;
    }
    // A leg's packet buffer is small (≤ 332 bytes) and only its first `length` bytes are the
    // packet: copying the whole buffer with TypedArray#set is a plain memmove with no view object
    // (`buf.copy(tx, off, 0, length)` builds a Uint8Array view per call when length < buf.length);
    // the bytes past `length` are overwritten by the next packet.
    const whole = buf.length <= WHOLE_COPY_MAX;
    const room = whole && buf.length > length ? buf.length : length;
    if (this.txCount === this.txSlots || this.txUsed + room > this.tx.length) this.flush();
    const off = this.txUsed;
    if (whole) this.tx.set(buf, off);
    else buf.copy(this.tx, off, 0, length);
    const m = this.txCount * TX_WORDS;
    const meta = this.txMeta;
    meta[m] = fd;
    meta[m + 1] = off;
    meta[m + 2] = length;
    meta[m + 3] = address;
    meta[m + 4] = port;
    this.txCount++;
    this.txUsed += length;
  }

  /**
   * The send buffer for zero-copy sends (`reserve`): a plain `Uint8Array` over the same memory as
   * `tx` (not the `Buffer` itself, so the per-packet writes see one array type), and its words.
   * Undefined if `tx` is not 4-byte aligned in its memory (never with `Buffer.alloc`): then the
   * legs copy through `queue`.
   */
  get sendBuffer(): SendBuffer | undefined {
    if (this.txView === undefined) {
      const tx = this.tx;
      this.txView =
        (tx.byteOffset & 3) === 0
          ? {
              bytes: new Uint8Array(tx.buffer, tx.byteOffset, tx.length),
              words: new Uint32Array(tx.buffer, tx.byteOffset, tx.length >>> 2),
              base: 0,
            }
          : null;
    }
    return this.txView ?? undefined;
  }

  /**
   * @internal (NativeLegSocket) Queues a datagram of `length` bytes that the caller writes into
   * `sendBuffer` at the returned offset (4-byte aligned) right away; -1 if closed or too long.
   * When the buffer or the slots are full it flushes first, so the offset is in the emptied buffer.
   */
  reserve(fd: number, length: number, address: number, port: number): number {
    if (this.closed) return -1;
    if (length > this.tx.length) {
      this.counters.sendRefused++;
      return -1;
    }
    let off = (this.txUsed + 3) & ~3;
    if (this.txCount === this.txSlots || off + length > this.tx.length) {
      this.flush();
      off = 0;
    }
    const m = this.txCount * TX_WORDS;
    const meta = this.txMeta;
    meta[m] = fd;
    meta[m + 1] = off;
    meta[m + 2] = length;
    meta[m + 3] = address;
    meta[m + 4] = port;
    this.txCount++;
    this.txUsed = off + length;
    return off;
  }

  /** Sends everything queued. Returns how many datagrams the kernel took. */
  flush(): number {
    const count = this.txCount;
    if (count === 0) return 0;
    this.txCount = 0;
    this.txUsed = 0;
    let sent: number;
    if (this.ring) {
      sent = this.addon.uringSend!(this.ring, this.tx, this.txMeta, count);
      if (sent === E_CANCELED) {
        this.dropRing();
        sent = this.addon.send(this.tx, this.txMeta, count);
      }
    } else sent = this.addon.send(this.tx, this.txMeta, count);
    this.counters.flushes++;
    this.counters.datagramsOut += sent;
    this.counters.sendRefused += count - sent;
    return sent;
  }

  /** @internal (NativeLegSocket) */
  release(token: number, fd: number): void {
    if (this.open.get(token) !== fd) return;
    this.flush(); // nothing queued may leave through this fd number once it is reused
    this.open.delete(token);
    this.sinks[token] = undefined;
    this.freeTokens.push(token);
    this.addon.closeFd(fd);
  }

  get socketCount(): number {
    return this.open.size;
  }

  dump(): Record<string, unknown> {
    const features = this.ring && this.addon.uringFeatures ? this.addon.uringFeatures(this.ring) : 0;
    return {
      engine: this.engine,
      ...(this.ring ? { uringSend: features & URING_SEND_WITH_ADDRESS ? 'SEND+address' : 'SENDMSG' } : {}),
      ...(this.uringUnavailable ? { uringUnavailable: this.uringUnavailable } : {}),
      sockets: this.open.size,
      rxSlots: this.rxSlots,
      slotSize: this.slotSize,
      queued: this.txCount,
      ...this.counters,
    };
  }

  /** Flushes, closes every socket still open and the poller. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const [token, fd] of this.open) {
      this.sinks[token] = undefined;
      this.addon.closeFd(fd);
    }
    this.open.clear();
    this.addon.closeFd(this.epfd);
    this.ring = undefined; // the addon frees it when collected
  }
}

/** One socket of a `NativeIo`. */
export class NativeLegSocket implements LegSocket {
  private closed = false;
  /** The I/O's send buffer (zero-copy sends with `reserve`), shared by all its sockets. */
  readonly sendBuffer: SendBuffer | undefined;

  constructor(
    private readonly io: NativeIo,
    readonly fd: number,
    private readonly token: number,
    readonly port: number,
  ) {
    this.sendBuffer = io.sendBuffer;
  }

  setSink(sink: DatagramSink): void {
    if (!this.closed) this.io.setSink(this.token, sink);
  }

  send(buf: Buffer, length: number, address: number, port: number): void {
    if (!this.closed) this.io.queue(this.fd, buf, length, address, port);
  }

  reserve(length: number, address: number, port: number): number {
    return this.closed ? -1 : this.io.reserve(this.fd, length, address, port);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.io.release(this.token, this.fd);
  }
}
