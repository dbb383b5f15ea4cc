/**
 * An adaptive jitter buffer for one RTP source of fixed-duration frames (20 ms of G.711).
 *
 * Packets are copied into preallocated slots (packed in one `Uint8Array`, `slotSize` bytes each)
 * indexed by extended sequence number; `pop` copies nothing: `frame[frameOffset…+frameLength)` is
 * the slot itself, valid until the next `pop` (a push can never land in the slot last popped). The media
 * worker's 20 ms tick pops exactly one frame per call. It reorders, conceals a single loss by
 * repeating the previous frame, drops late and duplicate packets, resynchronises on a sequence
 * jump or SSRC change, keeps its depth between `minDepth` and `maxDepth` frames (20–200 ms) from the
 * measured jitter, the peak arrival delay and recent underruns, and absorbs clock drift: a sender
 * slower than our tick causes an underrun (one re-buffered frame), a faster one makes the buffer
 * grow, and the excess frame is dropped after it persisted for `drainAfterTicks` ticks.
 *
 * Shortening the buffer (drift, or a target that fell) removes a frame, which is heard as a skip
 * unless the frame is quiet. With `quietCodes` set (see `quietCodeTable`), a heard buffer waits up to
 * `quietPatienceTicks` for a quiet frame at its playout point and removes that one (`droppedQuiet`);
 * only when none comes, or when the excess grows beyond 5 frames (what the initial 100 ms
 * assumption leaves; more means a sender faster than our clock), is an audible frame dropped
 * (`dropped`) at the usual pace.
 *
 * A buffer nobody hears (`heard = false`: the mixer says whether any listener's mix takes this
 * source) is kept trimmed at its target depth every tick, with no hysteresis, so there is no backlog
 * to drain, and no stale audio to play, when a listener starts hearing it (an atomic switch to
 * coach). What it discards, late packets included, is counted apart (`discardedUnheard`): no one
 * lost anything.
 *
 * Bursty arrival (a sender, or a network, that stalls and then delivers several frames at once) is
 * what RFC 3550's smoothed interarrival jitter underestimates: a 120 ms stall every few seconds moves
 * it by ~3 ms. So the buffer also keeps a peak detector: each packet's arrival delay relative to its
 * media time (arrival − sequence × frame duration), minus the smallest such delay, maxed over a
 * sliding window of `peakWindowFrames` packets (in `PEAK_BUCKETS` buckets, allocation-free). The
 * target depth covers that peak, so a stall that happened once in the window is absorbed the next
 * time instead of underrunning again (NetEq's "peak detector" idea, simplified).
 *
 * States:
 *
 *     ┌───────────┐ depth ≥ target  ┌─────────┐  nothing to play   ┌──────────┐
 *     │ buffering │────────────────►│ playing │───────────────────►│ underrun │
 *     └───────────┘                 └─────────┘◄───────────────────└──────────┘
 *          ▲            resync / reset   │     a frame at or after      │
 *          └─────────────────────────────┴──────── the playout point ───┘ (resync too)
 *
 * In `underrun` the buffer conceals (one repeat, then silence) and resumes with the very next frame
 * that arrives, without waiting to refill to the target: the frames of the burst that ends a stall
 * then make the buffer exactly as deep as the stall was long, and the raised target (peak detector,
 * underrun boost) keeps the drift drain from taking that depth away again.
 */
import { copyFrame, wordsOf } from './word-copy.js';

export enum JitterState {
  Buffering = 'buffering',
  Playing = 'playing',
  Underrun = 'underrun',
}

export enum PushResult {
  Accepted = 0,
  Late = 1,
  Duplicate = 2,
  /** Accepted after flushing the buffer: SSRC change or a sequence jump beyond the buffer. */
  Resync = 3,
  /** Payload longer than a slot: dropped. */
  TooLong = 4,
}

export enum PopResult {
  /** `frame` holds the next frame. */
  Frame = 0,
  /** The next frame is lost but later ones arrived: `frame` holds the previous frame again. */
  Concealed = 1,
  /** Nothing to play (buffering, underrun, or more than one consecutive loss). */
  Missing = 2,
}

export interface JitterBufferOptions {
  capacity?: number;
  maxPayload?: number;
  frameMs?: number;
  minDepth?: number;
  maxDepth?: number;
  drainAfterTicks?: number;
  /** Packets over which the arrival-delay peak is remembered (default 500: 10 s). */
  peakWindowFrames?: number;
  /**
   * Until a full peak window has been observed, assume bursts this long (ms) may happen: a stream's
   * first stall would otherwise always underrun. Default 100 (0 to start at the measured need).
   */
  initialPeakMs?: number;
  /**
   * Ticks a heard buffer waits, once a frame is due to be removed, for a quiet frame to remove
   * instead of an audible one (default 500: 10 s). Needs `quietCodes`.
   */
  quietPatienceTicks?: number;
}

export interface JitterBufferStats {
  accepted: number;
  late: number;
  duplicates: number;
  resyncs: number;
  concealed: number;
  missing: number;
  /** Frames lost (never arrived before their playout). */
  lost: number;
  /** Audible frames removed to shorten the buffer (drift, a target that fell), plus oversize packets. */
  dropped: number;
  /** Quiet frames removed to shorten the buffer (inaudible). */
  droppedQuiet: number;
  /** Frames and late packets discarded while nobody heard this source (kept at target depth). */
  discardedUnheard: number;
  underruns: number;
}

/** A frame is quiet when every sample is within ±`QUIET_LEVEL` (about −48 dBFS). */
const QUIET_LEVEL = 128;
/** Frames above the target a buffer may hold while it waits for a quiet frame to remove. */
const QUIET_SLACK = 5;
const quietTables = new WeakMap<ArrayLike<number>, Uint8Array>();

/**
 * The quiet-code table of a G.711 decode table (`decodeTable(codec)`): 1 for a code whose sample is
 * within ±128 of zero. Cached per decode table.
 */
export function quietCodeTable(decode: ArrayLike<number> & object): Uint8Array {
  let t = quietTables.get(decode);
  if (!t) {
    t = new Uint8Array(256);
    for (let c = 0; c < 256; c++) t[c] = Math.abs(decode[c]!) <= QUIET_LEVEL ? 1 : 0;
    quietTables.set(decode, t);
  }
  return t;
}

const SEQ_BASE = 1 << 24;

const PEAK_BUCKETS = 8;
const EMPTY_WORDS = new Uint32Array(0);

export class JitterBuffer {
  readonly capacity: number;
  readonly frameMs: number;
  readonly minDepth: number;
  readonly maxDepth: number;
  private readonly drainAfterTicks: number;
  private readonly quietPatienceTicks: number;
  /**
   * Whether a listener hears this source (set by the mixer when its plan changes). Unheard, the
   * buffer is kept at its target depth each tick and what it discards is `discardedUnheard`.
   */
  heard = true;
  /** Codes whose sample is quiet (`quietCodeTable`), or null: every frame counts as audible. */
  quietCodes: Uint8Array | null = null;
  readonly slotSize: number;
  /** Every slot, packed: slot i is `[i × slotSize, (i + 1) × slotSize)`. */
  private readonly data: Uint8Array;
  private readonly slotLength: Int32Array;
  private readonly slotSeq: Float64Array;
  private state = JitterState.Buffering;
  private ssrc = -1;
  private started = false;
  private playSeq = 0;
  private highestSeq = 0;
  private excessTicks = 0;
  private underrunBoost = 0;
  private boostTicks = 0;
  private consecutiveMisses = 0;
  private readonly peakBucketSize: number;
  private readonly initialPeakMs: number;
  /** Packets noted since the peak detector (re)started; the initial assumption holds for a window. */
  private peakPackets = 0;
  /** Per bucket: smallest and largest relative arrival delay (ms) seen. */
  private readonly bucketMin = new Float64Array(PEAK_BUCKETS);
  private readonly bucketMax = new Float64Array(PEAK_BUCKETS);
  /** The current bucket's extremes, kept in fields and stored into the arrays when it rotates. */
  private curMin = Number.POSITIVE_INFINITY;
  private curMax = Number.NEGATIVE_INFINITY;
  private bucket = 0;
  private bucketCount = 0;
  private windowMin = Number.POSITIVE_INFINITY;
  private windowMax = Number.NEGATIVE_INFINITY;
  /** Largest arrival delay beyond the earliest one in the window, ms (the burst size). */
  peakDelayMs = 0;
  /** Jitter estimate in ms, fed by the owner (RFC 3550 interarrival jitter). */
  jitterMs = 0;
  /** The frame returned by the last `pop`: `frame[frameOffset … frameOffset + frameLength)`. */
  readonly frame: Uint8Array;
  /** The same bytes as 32-bit words (slots are 4-byte aligned): `frame32[frameOffset >> 2 …]`. */
  readonly frame32: Uint32Array;
  /** `data.byteOffset` (where `data` starts in `frame32`), read once. */
  private readonly dataBase: number;
  /**
   * The array the last push came from, its memory's words and its `byteOffset` (looked up only
   * when the source object changes: no typed-array getter per packet).
   */
  private source: Uint8Array | null = null;
  private sourceWords: Uint32Array = EMPTY_WORDS;
  private sourceBase = 0;
  frameOffset = 0;
  frameLength = 0;
  private lastOffset = 0;
  private lastLength = 0;
  readonly stats: JitterBufferStats = {
    accepted: 0,
    late: 0,
    duplicates: 0,
    resyncs: 0,
    concealed: 0,
    missing: 0,
    lost: 0,
    dropped: 0,
    droppedQuiet: 0,
    discardedUnheard: 0,
    underruns: 0,
  };

  constructor(opts: JitterBufferOptions = {}) {
    this.capacity = opts.capacity ?? 32;
    this.slotSize = ((opts.maxPayload ?? 160) + 3) & ~3;
    this.frameMs = opts.frameMs ?? 20;
    this.minDepth = opts.minDepth ?? 1;
    this.maxDepth = opts.maxDepth ?? 10;
    this.peakBucketSize = Math.max(1, Math.ceil((opts.peakWindowFrames ?? 500) / PEAK_BUCKETS));
    this.initialPeakMs = opts.initialPeakMs ?? 100;
    this.resetPeak();
    this.drainAfterTicks = opts.drainAfterTicks ?? 25;
    this.quietPatienceTicks = opts.quietPatienceTicks ?? 500;
    this.data = new Uint8Array(this.capacity * this.slotSize);
    this.slotLength = new Int32Array(this.capacity);
    this.slotSeq = new Float64Array(this.capacity).fill(-1);
    this.frame = this.data;
    this.frame32 = wordsOf(this.data.buffer);
    this.dataBase = this.data.byteOffset;
  }

  get currentState(): JitterState {
    return this.state;
  }

  /** The depth the buffer aims for, in frames (minDepth..maxDepth). */
  get targetDepth(): number {
    const fromJitter = 1 + Math.ceil((2 * this.jitterMs) / this.frameMs);
    // A frame that arrives `peakDelayMs` after the earliest-arriving ones still arrives in time if
    // that much audio is buffered ahead of it.
    const fromPeak = 1 + Math.ceil(this.peakDelayMs / this.frameMs);
    const t = Math.max(fromJitter, fromPeak, this.minDepth) + this.underrunBoost;
    return Math.min(t, this.maxDepth);
  }

  private resetPeak(): void {
    this.bucketMin.fill(Number.POSITIVE_INFINITY);
    this.bucketMax.fill(Number.NEGATIVE_INFINITY);
    this.curMin = Number.POSITIVE_INFINITY;
    this.curMax = Number.NEGATIVE_INFINITY;
    this.bucket = 0;
    this.bucketCount = 0;
    this.windowMin = Number.POSITIVE_INFINITY;
    this.windowMax = Number.NEGATIVE_INFINITY;
    this.peakPackets = 0;
    this.peakDelayMs = 0;
  }

  /** Peak detector: one packet of extended sequence `ext` arrived at `arrivalMs`. Allocation-free. */
  private notePeak(ext: number, arrivalMs: number): void {
    const rel = arrivalMs - ext * this.frameMs;
    const b = this.bucket;
    if (rel < this.curMin) this.curMin = rel;
    if (rel > this.curMax) this.curMax = rel;
    if (rel < this.windowMin) this.windowMin = rel;
    if (rel > this.windowMax) this.windowMax = rel;
    this.peakDelayMs = this.windowMax - this.windowMin;
    if (this.peakPackets < this.peakBucketSize * PEAK_BUCKETS) {
      this.peakPackets++;
      if (this.peakDelayMs < this.initialPeakMs) this.peakDelayMs = this.initialPeakMs;
    }
    if (++this.bucketCount < this.peakBucketSize) return;
    // Rotate: forget the oldest bucket and recompute the window's extremes from the others.
    this.bucketCount = 0;
    this.bucketMin[b] = this.curMin;
    this.bucketMax[b] = this.curMax;
    this.curMin = Number.POSITIVE_INFINITY;
    this.curMax = Number.NEGATIVE_INFINITY;
    this.bucket = (b + 1) % PEAK_BUCKETS;
    this.bucketMin[this.bucket] = Number.POSITIVE_INFINITY;
    this.bucketMax[this.bucket] = Number.NEGATIVE_INFINITY;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < PEAK_BUCKETS; i++) {
      if (this.bucketMin[i]! < lo) lo = this.bucketMin[i]!;
      if (this.bucketMax[i]! > hi) hi = this.bucketMax[i]!;
    }
    this.windowMin = lo;
    this.windowMax = hi;
  }

  /** Frames buffered from the playout point up to the highest received. */
  get depth(): number {
    return this.started ? Math.max(0, this.highestSeq - this.playSeq + 1) : 0;
  }

  private enter(next: JitterState): void {
    this.state = next;
    this.excessTicks = 0;
  }

  private slotOf(ext: number): number {
    return ext % this.capacity;
  }

  /**
   * Copies one packet's payload in. `arrivalMs` (local receive time) feeds the peak detector; without
   * it the depth follows `jitterMs` and underruns only. Allocation-free.
   */
  push(
    ssrc: number,
    seq: number,
    payload: Uint8Array,
    offset: number,
    length: number,
    arrivalMs = Number.NaN,
  ): PushResult {
    if (length > this.slotSize) {
      this.stats.dropped++;
      return PushResult.TooLong;
    }
    let result = PushResult.Accepted;
    if (!this.started || ssrc !== this.ssrc) {
      if (this.started) result = PushResult.Resync;
      this.restart(ssrc, SEQ_BASE + seq);
    }
    // Extend the 16-bit sequence number relative to the highest seen (handles wrap at 65535).
    const delta = ((seq - (this.highestSeq & 0xffff) + 0x18000) & 0xffff) - 0x8000;
    let ext = this.highestSeq + delta;
    if (!Number.isNaN(arrivalMs)) this.notePeak(ext, arrivalMs); // late packets count too
    if (ext < this.playSeq) {
      if (this.heard) this.stats.late++;
      else this.stats.discardedUnheard++;
      return PushResult.Late;
    }
    // One slot short of the capacity: the slot last popped (playSeq − 1) stays intact for concealment.
    if (ext >= this.playSeq + this.capacity - 1) {
      // A jump beyond the buffer: the sender restarted or a long outage. Start over from here.
      this.restart(ssrc, SEQ_BASE + seq);
      ext = this.highestSeq;
      if (!Number.isNaN(arrivalMs)) this.notePeak(ext, arrivalMs);
      result = PushResult.Resync;
    }
    const i = this.slotOf(ext);
    if (this.slotSeq[i] === ext) {
      this.stats.duplicates++;
      return PushResult.Duplicate;
    }
    const o = i * this.slotSize;
    if (payload !== this.source) {
      this.source = payload;
      this.sourceWords = wordsOf(payload.buffer);
      this.sourceBase = payload.byteOffset;
    }
    copyFrame(
      this.data,
      this.frame32,
      this.dataBase,
      o,
      payload,
      this.sourceWords,
      this.sourceBase,
      offset,
      length,
    );
    this.slotLength[i] = length;
    this.slotSeq[i] = ext;
    if (ext > this.highestSeq) this.highestSeq = ext;
    this.stats.accepted++;
    return result;
  }

  private restart(ssrc: number, ext: number): void {
    if (this.started) this.stats.resyncs++;
    this.ssrc = ssrc;
    this.started = true;
    this.playSeq = ext;
    this.highestSeq = ext;
    this.slotSeq.fill(-1);
    this.consecutiveMisses = 0;
    this.resetPeak();
    this.enter(JitterState.Buffering);
  }

  /** Takes the frame for this tick. Allocation-free. */
  pop(): PopResult {
    if (this.boostTicks > 0 && --this.boostTicks === 0 && this.underrunBoost > 0) this.underrunBoost--;
    if (!this.started) return this.miss();
    if (this.state === JitterState.Buffering) {
      if (this.depth < this.targetDepth) return this.miss();
      // Skip leading holes so playout starts on a real frame.
      while (this.slotSeq[this.slotOf(this.playSeq)] !== this.playSeq && this.playSeq < this.highestSeq) {
        this.playSeq++;
      }
      this.enter(JitterState.Playing);
    } else if (this.state === JitterState.Underrun) {
      if (this.playSeq > this.highestSeq) return this.conceal();
      this.enter(JitterState.Playing);
    }
    if (this.playSeq > this.highestSeq) {
      // Underrun: the sender is late, slower than our clock, or stopped. Conceal until it resumes;
      // aim a bit deeper for a while.
      this.stats.underruns++;
      if (this.underrunBoost < this.maxDepth) this.underrunBoost++;
      this.boostTicks = 250;
      this.enter(JitterState.Underrun);
      return this.conceal();
    }
    if (!this.heard) {
      // Nobody hears it: keep it at its target depth now (what is discarded is no one's loss).
      const target = this.targetDepth;
      while (this.highestSeq - this.playSeq + 1 > target) {
        if (this.slotSeq[this.slotOf(this.playSeq)] === this.playSeq) this.stats.discardedUnheard++;
        this.slotSeq[this.slotOf(this.playSeq)] = -1;
        this.playSeq++;
      }
      this.excessTicks = 0;
    } else {
      // Drift (a faster sender), or a target that fell: once the excess has persisted, remove one
      // frame — a quiet one if one comes within the patience, else the next one.
      const depth = this.highestSeq - this.playSeq + 1;
      if (depth > this.minDepth + 1 && depth > this.targetDepth + 1) {
        if (++this.excessTicks >= this.drainAfterTicks)
          this.drainOne(depth <= this.targetDepth + QUIET_SLACK);
      } else {
        this.excessTicks = 0;
      }
    }
    const i = this.slotOf(this.playSeq);
    const seq = this.playSeq++;
    if (this.slotSeq[i] === seq) {
      this.slotSeq[i] = -1;
      const len = this.slotLength[i]!;
      this.lastOffset = this.frameOffset = i * this.slotSize;
      this.lastLength = this.frameLength = len;
      this.consecutiveMisses = 0;
      return PopResult.Frame;
    }
    this.stats.lost++;
    return this.conceal();
  }

  /**
   * Removes the frame at the playout point if it is quiet, or if the patience ran out, or at once
   * when `patient` is false (the excess is more than QUIET_SLACK frames: a sender faster than our
   * clock must not grow the buffer while it waits for a quiet frame).
   */
  private drainOne(patient: boolean): void {
    const i = this.slotOf(this.playSeq);
    const present = this.slotSeq[i] === this.playSeq;
    if (present && this.quietCodes !== null) {
      if (this.isQuiet(i)) this.stats.droppedQuiet++;
      else if (patient && this.excessTicks < this.drainAfterTicks + this.quietPatienceTicks) return;
      else this.stats.dropped++;
    } else if (present) this.stats.dropped++;
    else this.stats.lost++;
    this.excessTicks = 0;
    this.slotSeq[i] = -1;
    this.playSeq++;
  }

  private isQuiet(slot: number): boolean {
    const q = this.quietCodes!;
    const d = this.data;
    const o = slot * this.slotSize;
    const end = o + this.slotLength[slot]!;
    for (let k = o; k < end; k++) if (q[d[k]!] === 0) return false;
    return true;
  }

  /** Conceals a single missing frame by repeating the previous one; a longer gap plays nothing. */
  private conceal(): PopResult {
    if (this.consecutiveMisses++ === 0 && this.lastLength > 0) {
      this.stats.concealed++;
      this.frameOffset = this.lastOffset;
      this.frameLength = this.lastLength;
      return PopResult.Concealed;
    }
    return this.miss();
  }

  private miss(): PopResult {
    this.stats.missing++;
    this.frameLength = 0;
    return PopResult.Missing;
  }

  /** Forgets everything (renegotiation). */
  reset(): void {
    this.started = false;
    this.ssrc = -1;
    this.slotSeq.fill(-1);
    this.lastLength = 0;
    this.underrunBoost = 0;
    this.resetPeak();
    this.enter(JitterState.Buffering);
  }

  dump(): Record<string, unknown> {
    return {
      state: this.state,
      ssrc: this.ssrc,
      depth: this.depth,
      targetDepth: this.targetDepth,
      jitterMs: this.jitterMs,
      peakDelayMs: this.peakDelayMs,
      heard: this.heard,
      ...this.stats,
    };
  }
}
