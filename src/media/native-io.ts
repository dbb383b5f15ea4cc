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
  FLAG_ENDED,
  FLAG_TRUNCATED,
  RX_RING_HEADER,
  RX_WORDS,
  type RxRingHandle,
  TX_WORDS,
  type UdpBatchAddon,
  URING_SEND_WITH_ADDRESS,
  type UringHandle,
} from './udp-batch-addon.js';

/** Packet buffers up to this size are copied whole into the send buffer (see `queue`). */
const WHOLE_COPY_MAX = 2048;
/** errno values a receive ring reports when a socket's receive ends. */
const ECANCELED = 125;
/** Extra receive-ring calls per drain for receives armed again (see `drainRing`). */
const MAX_REARM_ROUNDS = 32;

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export interface NativeIoOptions {
  /**
   * Batch the tick's receives and sends through io_uring (one io_uring_enter each instead of one
   * recvmmsg per ready socket and one sendmmsg per sending socket). Default: on when the addon
   * and the kernel support it, unless env `EARSHOT_MEDIA_URING=0`; falls back to the syscalls.
   */
  uring?: boolean;
  /** Datagrams one drain call holds (default 4,096). */
  rxSlots?: number;
  /**
   * Bytes per received datagram; longer ones are delivered truncated (default 512: a leg takes RTP
   * of 20 ms G.711 frames — 172 bytes — and RTCP compounds of a few report blocks; a cut datagram
   * is counted as malformed).
   */
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
  /**
   * Receive through the receive ring (io_uring multishot RECVMSG into kernel-chosen slots; no
   * epoll, no submission per datagram) when the kernel has it (Linux ≥ 6.0). Default: on with
   * `uring`, unless env `EARSHOT_MEDIA_URING_RX=epoll`; otherwise, or if the ring fails, each drain
   * finds readable sockets with epoll_wait and reads them (one RECVMSG each through the ring, or
   * recvmmsg).
   */
  rxRing?: boolean;
  /** Told when a ring fails at run time and the path falls back (the worker logs it). */
  onFallback?: (why: string) => void;
}

export class NativeIo {
  private readonly epfd: number;
  private rx: Buffer;
  private readonly rxMeta: Uint32Array;
  private readonly tx: Buffer;
  private readonly txMeta: Uint32Array;
  private readonly rxSlots: number;
  private readonly slotSize: number;
  private readonly txSlots: number;
  private readonly maxRounds: number;
  private readonly onFallback: ((why: string) => void) | undefined;
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
  /** The receive ring, or undefined (sockets are in the epoll set and drained by readiness). */
  private rxRing: RxRingHandle | undefined;
  /** Why there is no receive ring (when one was asked for). */
  private rxRingUnavailable: string | undefined;
  /** Tokens of sockets closed while their ring receive was still armed: freed when it reports its end. */
  private readonly closing = new Set<number>();
  /** Tokens whose ring receive ended while the socket stays open: armed again within the drain. */
  private readonly rearm: number[] = [];
  /** (fd, token) pairs handed to `rxArm` (grown when a re-arm needs more room). */
  private armPairs = new Int32Array(2 * 64);
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
    /** Receive-ring receives armed again after they ended (overload: -ENOBUFS; a queued ICMP error). */
    rxRearms: 0,
  };

  constructor(
    private readonly addon: UdpBatchAddon,
    opts: NativeIoOptions = {},
  ) {
    this.rxSlots = Math.max(2, opts.rxSlots ?? 4096); // a receive-ring entry may need two
    this.slotSize = opts.slotSize ?? 512;
    this.txSlots = opts.txSlots ?? 4096;
    this.maxRounds = opts.maxRounds ?? 2;
    this.onFallback = opts.onFallback;
    const epfd = addon.pollerOpen();
    if (epfd < 0) throw mediaError('MEDIA_WORKER_FAILED', `udp-batch: epoll_create1 failed (errno ${-epfd})`);
    this.epfd = epfd;
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
    const wantRxRing =
      this.ring !== undefined && (opts.rxRing ?? process.env.EARSHOT_MEDIA_URING_RX !== 'epoll');
    let ringRx: Buffer | undefined;
    if (wantRxRing && addon.rxOpen && addon.rxArm && addon.rxCancel && addon.rxDrain && addon.pollAdd) {
      // Slots for everything that can arrive between two drains and a drain's own rounds: the kernel
      // picks them as datagrams arrive, and they come back one drain call after they were reported.
      // Two drain calls' worth (8,192 by default): a tick at 1,000 monitored calls is ~3,000
      // datagrams and a late tick brings two at once. With 4,096 the slots ran out on late ticks
      // (a receive ends on -ENOBUFS and must be armed again: 78–82 % of a core at 1,000 calls
      // against 66–73 % with 8,192; 16,384 measured the same as 8,192).
      const slots = Math.min(32768, nextPowerOfTwo(2 * this.rxSlots));
      const ringSlot = (this.slotSize + RX_RING_HEADER + 3) & ~3;
      const rx = Buffer.alloc(slots * ringSlot);
      const r = addon.rxOpen(rx, ringSlot, slots);
      if (typeof r === 'number') this.rxRingUnavailable = `receive ring failed (errno ${-r})`;
      else {
        this.rxRing = r;
        ringRx = rx;
      }
    } else if (wantRxRing) this.rxRingUnavailable = 'addon built without the receive ring';
    this.rx = ringRx ?? Buffer.alloc(this.rxSlots * this.slotSize);
  }

  /** `ring` when datagrams arrive through the receive ring, `epoll` when each drain polls for them. */
  get rxPath(): 'ring' | 'epoll' {
    return this.rxRing ? 'ring' : 'epoll';
  }

  /**
   * The receive ring failed: every open socket goes into the epoll set and is drained by readiness
   * from now on (with a fresh buffer: nothing the old ring may still hold is reused).
   */
  private dropRxRing(why: string): void {
    const ring = this.rxRing;
    if (!ring) return;
    this.rxRing = undefined;
    this.rxRingUnavailable = why;
    this.counters.uringFailures++;
    this.onFallback?.(`${why}: receives found by epoll from now on`);
    // Each receive is cancelled before its socket joins the epoll set (an armed one would go on taking
    // datagrams into the old ring); closing the ring alone cancels them only later, asynchronously.
    for (const fd of this.open.values()) this.addon.rxCancel!(ring, fd);
    this.addon.rxClose!(ring);
    this.rx = Buffer.alloc(this.rxSlots * this.slotSize);
    for (const [token, fd] of this.open) this.addon.pollAdd!(this.epfd, fd, token);
    for (const token of this.closing) this.freeTokens.push(token);
    this.closing.clear();
    this.rearm.length = 0;
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
    this.onFallback?.('io_uring broken: batched recvmmsg/sendmmsg from now on');
  }

  /** Binds host:port (0: any); undefined if taken (or on any bind error). */
  bind(host: string, port: number): NativeLegSocket | undefined {
    if (this.closed) return undefined;
    const token = this.freeTokens.pop() ?? this.sinks.length;
    const fd = this.addon.bindUdp(this.rxRing ? -1 : this.epfd, host, port, token);
    if (fd < 0) {
      if (token === this.sinks.length) this.sinks.push(undefined);
      this.freeTokens.push(token);
      return undefined;
    }
    if (token === this.sinks.length) this.sinks.push(undefined);
    this.open.set(token, fd);
    if (this.rxRing) {
      this.armPairs[0] = fd;
      this.armPairs[1] = token;
      const armed = this.addon.rxArm!(this.rxRing, this.armPairs, 1);
      if (armed < 0) this.dropRxRing(`receive ring refused a socket (errno ${-armed})`); // now in epoll
    }
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
    if (this.rxRing) return this.drainRing(this.rxRing);
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

  /**
   * The receive ring's drain: calls of up to `rxSlots` entries, `maxRounds × rxSlots` entries in
   * all. A socket whose receive ended (FLAG_ENDED) is armed again at once — its datagrams wait in
   * the kernel meanwhile — and read by one more call (at most MAX_REARM_ROUNDS of those per drain:
   * an empty datagram ends a receive — the kernel reads 0 bytes as end of stream — so a peer
   * sending them must not buy unbounded work); a closed socket's end frees its token.
   */
  private drainRing(ring: RxRingHandle): number {
    let total = 0;
    let extra = 0;
    // The same bound as the epoll path: at most maxRounds × rxSlots entries per drain.
    let budget = this.maxRounds * this.rxSlots;
    while (budget >= 2) {
      const ask = Math.min(budget, this.rxSlots);
      const n = this.addon.rxDrain!(ring, this.rxMeta, ask);
      if (n < 0) {
        this.counters.drainErrors++;
        this.dropRxRing(`receive ring failed (errno ${-n})`);
        return total + this.drain();
      }
      const meta = this.rxMeta;
      const rx = this.rx;
      let datagrams = 0;
      for (let i = 0, m = 0; i < n; i++, m += RX_WORDS) {
        const token = meta[m]!;
        const flags = meta[m + 5]!;
        if ((flags & FLAG_ENDED) !== 0) {
          this.receiveEnded(token, meta[m + 2]!);
          continue;
        }
        datagrams++;
        const sink = this.sinks[token];
        if (sink === undefined) {
          this.counters.unclaimed++;
          continue;
        }
        const truncated = (flags & FLAG_TRUNCATED) !== 0;
        if (truncated) this.counters.truncated++;
        sink.onDatagram(rx, meta[m + 1]!, meta[m + 2]!, meta[m + 3]!, meta[m + 4]!, truncated);
      }
      total += datagrams;
      budget -= n;
      const rearmed = this.rearmEnded(ring);
      // Full (to within one entry: a completion needing two is left whole for the next call).
      if (n >= ask - 1) {
        if (budget < 2) this.counters.overloadedDrains++;
      } else if (!rearmed || ++extra > MAX_REARM_ROUNDS) break;
    }
    this.counters.drains++;
    this.counters.datagramsIn += total;
    if (total > this.counters.maxPerDrain) this.counters.maxPerDrain = total;
    return total;
  }

  private receiveEnded(token: number, errno: number): void {
    if (this.closing.delete(token)) {
      this.freeTokens.push(token);
      return;
    }
    // Still open: buffers ran out under overload (ENOBUFS), or an error (a queued ICMP error) ended it.
    if (this.open.has(token) && errno !== ECANCELED) this.rearm.push(token);
  }

  /** Arms the receives that ended during the last round, all in one call; true if any was. */
  private rearmEnded(ring: RxRingHandle): boolean {
    const list = this.rearm;
    if (list.length === 0) return false;
    if (this.armPairs.length < 2 * list.length) this.armPairs = new Int32Array(4 * list.length);
    const pairs = this.armPairs;
    let count = 0;
    for (let i = 0; i < list.length; i++) {
      const fd = this.open.get(list[i]!);
      if (fd === undefined) continue;
      pairs[2 * count] = fd;
      pairs[2 * count + 1] = list[i]!;
      count++;
    }
    list.length = 0;
    const r = this.addon.rxArm!(ring, pairs, count);
    this.counters.rxRearms += count;
    if (r < 0) this.dropRxRing(`receive ring refused a socket (errno ${-r})`);
    return true;
  }

  /** @internal (NativeLegSocket) Copies the datagram into the send buffer; sent by `flush()`. */
  queue(fd: number, buf: Buffer, length: number, address: number, port: number): void {
    if (length > buf.length) length = buf.length;
    // A leg's packet buffer is small (≤ 332 bytes) and only its first `length` bytes are the
    // packet: copying the whole buffer with TypedArray#set is a plain memmove with no view object
    // (`buf.copy(tx, off, 0, length)` builds a Uint8Array view per call when length < buf.length);
    // the bytes past `length` are overwritten by the next packet.
    const whole = buf.length <= WHOLE_COPY_MAX;
    const off = this.reserve(fd, length, address, port, whole ? buf.length : length);
    if (off < 0) return;
    if (whole) this.tx.set(buf, off);
    else buf.copy(this.tx, off, 0, length);
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
   * `room` (≥ length): bytes the caller writes there (`queue` copies a whole packet buffer).
   */
  reserve(fd: number, length: number, address: number, port: number, room = length): number {
    if (this.closed) return -1;
    if (length > this.tx.length) {
      this.counters.sendRefused++;
      return -1;
    }
    let off = (this.txUsed + 3) & ~3;
    if (this.txCount === this.txSlots || off + room > this.tx.length) {
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
    if (this.rxRing && this.addon.rxCancel!(this.rxRing, fd) === 0) {
      // The receive lets go of the socket now (the port is free once closed); its final entry, at the
      // next drain, frees the token — so no entry of this socket can reach a socket bound after it.
      this.closing.add(token);
    } else this.freeTokens.push(token);
    this.addon.closeFd(fd);
  }

  get socketCount(): number {
    return this.open.size;
  }

  dump(): Record<string, unknown> {
    const features = this.ring && this.addon.uringFeatures ? this.addon.uringFeatures(this.ring) : 0;
    return {
      engine: this.engine,
      rx: this.rxPath,
      ...(this.ring ? { uringSend: features & URING_SEND_WITH_ADDRESS ? 'SEND+address' : 'SENDMSG' } : {}),
      ...(this.uringUnavailable ? { uringUnavailable: this.uringUnavailable } : {}),
      ...(this.rxRingUnavailable ? { rxRingUnavailable: this.rxRingUnavailable } : {}),
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
    const rxRing = this.rxRing;
    for (const [token, fd] of this.open) {
      this.sinks[token] = undefined;
      if (rxRing) this.addon.rxCancel!(rxRing, fd); // the ports are free once close() returns
      this.addon.closeFd(fd);
    }
    this.open.clear();
    this.closing.clear();
    if (rxRing) this.addon.rxClose!(rxRing);
    this.rxRing = undefined;
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
