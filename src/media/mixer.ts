/**
 * The mixer of one media worker. Every 20 ms tick it pulls one frame per source leg from its
 * jitter buffer, builds each listener's frame from the voices its hearing plan lists (never its
 * own) plus an optional system source, sums and clips, encodes once per distinct mix, and hands
 * each listener its frame. A listener that hears exactly one voice in its own codec gets that
 * voice's payload bytes unchanged (forwarding: no decode, no encode).
 *
 * Per tick and mix, the cheapest exact path wins: forwarding (one voice, same codec — also when
 * only one voice of a multi-voice mix has a frame this tick); two same-codec voices through the
 * 64 KB pair table (`pairMixTable`: one lookup per sample, bit-identical to decode + sum + clip +
 * encode); otherwise decode straight into a reused Int32 accumulator, add the system source, clip
 * and encode. Jitter-buffer frames are read in place (no copies).
 *
 * Layout: when the plans or legs change, `compile()` flattens everything `tick()` needs into
 * parallel arrays indexed by source slot and by mix (struct of arrays: jitter buffers and their
 * frame arrays in plain arrays, this tick's frame offset/length per source in `Int32Array`s, per
 * mix its kind, codec, first two voices and listener range in typed arrays). `tick()` then walks
 * them in order: no `Map` lookup, no closure, no per-mix object on the per-frame path.
 *
 * The plan is data from the domain's hearing rule; the mixer applies it and decides nothing.
 * Plans are compiled (allocating) when they change; `tick()` allocates nothing.
 */
import { decodeTable, encodeTable, type G711Codec, pairMixTable, SILENCE_CODE } from './g711.js';
import { type JitterBuffer, PopResult } from './jitter-buffer.js';
import { mediaError } from './media-errors.js';
import {
  accumulateCodes,
  accumulatePcm,
  encodeClipped,
  LITTLE_ENDIAN,
  MIX_FRAME_SAMPLES,
  mixPair,
} from './mix-kernels.js';
import {
  FRAME_SAMPLES,
  holdMusic,
  ringback,
  type SystemSource,
  type SystemSourceName,
} from './system-source.js';

/** What one listening leg hears: the voices (leg ids) and an optional system source. */
export interface HearingEntry {
  hears: readonly string[];
  /** System audio; `'none'` (the domain's spelling) and `null` both mean none. */
  system?: SystemSourceName | 'none' | null;
}
/** Listening leg id → what it hears. Legs absent from the plan hear nothing. */
export type HearingPlan = Readonly<Record<string, HearingEntry>>;

/** The mixer's view of a leg; the RTP leg implements it. */
export interface MixerLeg {
  readonly id: string;
  readonly group: string;
  readonly codec: G711Codec;
  readonly jb: JitterBuffer;
  /**
   * Sends one frame to this leg's peer (the leg adds the RTP header). `payload` is only valid
   * during the call (a jitter-buffer slot or the mixer's scratch frame): copy, never keep it.
   */
  emit(payload: Uint8Array, offset: number, length: number): void;
}

export interface MixerStats {
  ticks: number;
  mixesEncoded: number;
  framesForwarded: number;
}

/** Mix kinds (`mixKind`). */
const FORWARD = 0; // one voice in the listener's codec, no system source
const PAIR = 1; // two voices in the listener's codec, no system source
const GENERAL = 2; // anything else

const CODECS: readonly G711Codec[] = ['PCMU', 'PCMA'];
const codecIndex = (c: G711Codec): number => (c === 'PCMU' ? 0 : 1);

/** A distinct mix while compiling (never touched by `tick`). */
interface MixDraft {
  codec: G711Codec;
  voices: number[];
  system: SystemSource | null;
  listeners: MixerLeg[];
}

const NO_JB: JitterBuffer[] = [];
const NO_U8: Uint8Array[] = [];
const NO_U32: Uint32Array[] = [];
const NO_LEGS: MixerLeg[] = [];
const NO_SYSTEMS: (SystemSource | null)[] = [];
const EMPTY_I32 = new Int32Array(0);
const EMPTY_U8 = new Uint8Array(0);

export class Mixer {
  private readonly legs = new Map<string, MixerLeg>();
  private readonly plans = new Map<string, HearingPlan>();
  private listenersBySource = new Map<string, MixerLeg[]>();
  private dirty = false;
  private readonly systems: Record<SystemSourceName, SystemSource>;
  private readonly systemList: SystemSource[];
  readonly stats: MixerStats = { ticks: 0, mixesEncoded: 0, framesForwarded: 0 };

  // ---- Compiled plan: per source slot ----
  private sourceLegs: MixerLeg[] = NO_LEGS;
  private srcJb: JitterBuffer[] = NO_JB;
  private srcFrame: Uint8Array[] = NO_U8;
  private srcFrame32: Uint32Array[] = NO_U32;
  private srcCodec: Uint8Array = EMPTY_U8;
  /** This tick's frame: length (0 = nothing to play) and offset in `srcFrame[i]`. */
  private srcLen: Int32Array = EMPTY_I32;
  private srcOff: Int32Array = EMPTY_I32;

  // ---- Compiled plan: per mix ----
  private mixCount = 0;
  private mixKind: Uint8Array = EMPTY_U8;
  private mixCodec: Uint8Array = EMPTY_U8;
  /** First and second voice (source slot), -1 if none. */
  private mixV0: Int32Array = EMPTY_I32;
  private mixV1: Int32Array = EMPTY_I32;
  /** All voices of mix m: `voices[mixVStart[m] … mixVStart[m + 1])`. */
  private mixVStart: Int32Array = EMPTY_I32;
  private voices: Int32Array = EMPTY_I32;
  /** Its listeners: `listeners[mixLStart[m] … mixLStart[m + 1])`. */
  private mixLStart: Int32Array = EMPTY_I32;
  private listeners: MixerLeg[] = NO_LEGS;
  private mixSystem: (SystemSource | null)[] = NO_SYSTEMS;

  // ---- Per-tick scratch (reused) ----
  private readonly out = new Uint8Array(MIX_FRAME_SAMPLES);
  private readonly out32 = new Uint32Array(this.out.buffer);
  private readonly acc = new Int32Array(MIX_FRAME_SAMPLES);
  private readonly silence: readonly Uint8Array[] = [
    new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE.PCMU),
    new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE.PCMA),
  ];
  private readonly pairTables: Uint8Array[] = [EMPTY_U8, EMPTY_U8];
  private readonly decodeTables: readonly Int16Array[] = [decodeTable('PCMU'), decodeTable('PCMA')];
  private readonly encodeTables: readonly Uint8Array[] = [encodeTable('PCMU'), encodeTable('PCMA')];
  /** Where the current mix's frame is: set by the mix paths, read by `tick`. */
  private payload: Uint8Array = this.out;
  private offset = 0;

  constructor(systems?: Partial<Record<SystemSourceName, SystemSource>>) {
    this.systems = { music: systems?.music ?? holdMusic(), ringback: systems?.ringback ?? ringback() };
    this.systemList = [this.systems.music, this.systems.ringback];
  }

  addLeg(leg: MixerLeg): void {
    if (this.legs.has(leg.id)) throw mediaError('MEDIA_LEG_EXISTS', `leg ${leg.id} exists`);
    this.legs.set(leg.id, leg);
    this.dirty = true;
  }

  removeLeg(id: string): void {
    if (this.legs.delete(id)) this.dirty = true;
  }

  /** Call after a leg's codec or direction changed. */
  legChanged(): void {
    this.dirty = true;
  }

  /**
   * Replaces a group's plan; it takes effect at the next tick. A plan may name legs not created yet
   * (they join when created), but never a leg of another group: that would leak audio across
   * conversations.
   */
  setPlan(group: string, plan: HearingPlan): void {
    for (const [listener, entry] of Object.entries(plan)) {
      if (!entry || !Array.isArray(entry.hears))
        throw mediaError('MEDIA_BAD_PLAN', `bad entry for ${listener}`);
      for (const id of [listener, ...entry.hears]) {
        const leg = this.legs.get(id);
        if (leg && leg.group !== group) {
          throw mediaError('MEDIA_BAD_PLAN', `leg ${id} belongs to another group`, { group, leg: id });
        }
      }
      if (
        entry.system != null &&
        entry.system !== 'none' &&
        entry.system !== 'music' &&
        entry.system !== 'ringback'
      ) {
        throw mediaError('MEDIA_BAD_PLAN', `unknown system source ${String(entry.system)}`);
      }
    }
    this.plans.set(group, plan);
    this.dirty = true;
  }

  clearPlan(group: string): void {
    if (this.plans.delete(group)) this.dirty = true;
  }

  /** Listeners hearing `sourceId` as a voice (for RFC 4733 event passthrough). */
  listenersOf(sourceId: string): readonly MixerLeg[] {
    if (this.dirty) this.compile();
    return this.listenersBySource.get(sourceId) ?? NO_LEGS;
  }

  /** Flattens legs and plans into the arrays `tick` walks. Allocates; runs on changes only. */
  private compile(): void {
    this.dirty = false;
    const sourceLegs = [...this.legs.values()];
    const slotOf = new Map<string, number>();
    for (let i = 0; i < sourceLegs.length; i++) slotOf.set(sourceLegs[i]!.id, i);
    const drafts = new Map<string, MixDraft>();
    const bySource = new Map<string, MixerLeg[]>();
    for (const [group, plan] of this.plans) {
      for (const [listenerId, entry] of Object.entries(plan)) {
        const listener = this.legs.get(listenerId);
        if (!listener || listener.group !== group) continue;
        // "Nobody ever hears their own voice back."
        const voiceIds = [...new Set(entry.hears)]
          .filter((id) => id !== listenerId && this.legs.get(id)?.group === group)
          .sort();
        const system = entry.system && entry.system !== 'none' ? this.systems[entry.system] : null;
        if (voiceIds.length === 0 && !system) continue;
        const codec = listener.codec;
        const key = `${codec}|${system?.name ?? ''}|${voiceIds.join('\u0000')}`;
        let draft = drafts.get(key);
        if (!draft) {
          draft = { codec, voices: voiceIds.map((id) => slotOf.get(id)!), system, listeners: [] };
          drafts.set(key, draft);
        }
        draft.listeners.push(listener);
        for (const id of voiceIds) {
          const list = bySource.get(id) ?? [];
          list.push(listener);
          bySource.set(id, list);
        }
      }
    }

    const n = sourceLegs.length;
    this.sourceLegs = sourceLegs;
    this.srcJb = sourceLegs.map((l) => l.jb);
    this.srcFrame = sourceLegs.map((l) => l.jb.frame);
    this.srcFrame32 = sourceLegs.map((l) => l.jb.frame32);
    this.srcCodec = Uint8Array.from(sourceLegs, (l) => codecIndex(l.codec));
    this.srcLen = new Int32Array(n);
    this.srcOff = new Int32Array(n);

    const list = [...drafts.values()];
    const m = list.length;
    this.mixCount = m;
    this.mixKind = new Uint8Array(m);
    this.mixCodec = new Uint8Array(m);
    this.mixV0 = new Int32Array(m).fill(-1);
    this.mixV1 = new Int32Array(m).fill(-1);
    this.mixVStart = new Int32Array(m + 1);
    this.mixLStart = new Int32Array(m + 1);
    this.mixSystem = list.map((d) => d.system);
    const voices: number[] = [];
    const listeners: MixerLeg[] = [];
    for (let k = 0; k < m; k++) {
      const d = list[k]!;
      const c = codecIndex(d.codec);
      const sameCodec = d.voices.every((v) => this.srcCodec[v] === c);
      this.mixCodec[k] = c;
      this.mixKind[k] =
        d.system === null && sameCodec && d.voices.length === 1
          ? FORWARD
          : d.system === null && sameCodec && d.voices.length === 2 && LITTLE_ENDIAN
            ? PAIR
            : GENERAL;
      if (this.mixKind[k] === PAIR && this.pairTables[c]!.length === 0) {
        this.pairTables[c] = pairMixTable(d.codec);
      }
      this.mixV0[k] = d.voices[0] ?? -1;
      this.mixV1[k] = d.voices[1] ?? -1;
      this.mixVStart[k] = voices.length;
      voices.push(...d.voices);
      this.mixLStart[k] = listeners.length;
      listeners.push(...d.listeners);
    }
    this.mixVStart[m] = voices.length;
    this.mixLStart[m] = listeners.length;
    this.voices = Int32Array.from(voices);
    this.listeners = listeners;
    this.listenersBySource = bySource;
    // A source no mix takes is kept trimmed by its jitter buffer (no backlog when it is heard).
    for (const jb of this.srcJb) jb.heard = false;
    for (const v of voices) this.srcJb[v]!.heard = true;
  }

  /** One 20 ms frame for everyone. Allocation-free once compiled. */
  tick(): void {
    if (this.dirty) this.compile();
    this.stats.ticks++;
    const systemList = this.systemList;
    for (let i = 0; i < systemList.length; i++) systemList[i]!.advance();

    // 1. One frame per source: where it is this tick (length 0: nothing to play).
    const jbs = this.srcJb;
    const len = this.srcLen;
    const off = this.srcOff;
    for (let i = 0; i < jbs.length; i++) {
      const jb = jbs[i]!;
      if (jb.pop() === PopResult.Missing) {
        len[i] = 0;
      } else {
        len[i] = jb.frameLength;
        off[i] = jb.frameOffset;
      }
    }

    // 2. One frame per distinct mix, handed to each of its listeners.
    const kinds = this.mixKind;
    const codecs = this.mixCodec;
    const v0 = this.mixV0;
    const lStart = this.mixLStart;
    const listeners = this.listeners;
    const frames = this.srcFrame;
    const stats = this.stats;
    for (let m = 0; m < this.mixCount; m++) {
      const kind = kinds[m]!;
      const l0 = lStart[m]!;
      const l1 = lStart[m + 1]!;
      let payload: Uint8Array;
      let offset = 0;
      let length = MIX_FRAME_SAMPLES;
      if (kind === FORWARD) {
        const s = v0[m]!;
        length = len[s]!;
        if (length === 0) {
          payload = this.silence[codecs[m]!]!;
          length = MIX_FRAME_SAMPLES;
        } else {
          payload = frames[s]!;
          offset = off[s]!;
          stats.framesForwarded += l1 - l0;
        }
      } else {
        if (kind === PAIR) this.pairFrame(m, l1 - l0);
        else this.generalFrame(m, l1 - l0);
        payload = this.payload;
        offset = this.offset;
      }
      for (let l = l0; l < l1; l++) listeners[l]!.emit(payload, offset, length);
    }
  }

  /** A two-voice same-codec mix: sets `payload/offset` (length is always one full frame). */
  private pairFrame(m: number, listenerCount: number): void {
    const a = this.mixV0[m]!;
    const b = this.mixV1[m]!;
    const hasA = this.srcLen[a] === MIX_FRAME_SAMPLES;
    const hasB = this.srcLen[b] === MIX_FRAME_SAMPLES;
    if (hasA && hasB) {
      mixPair(
        this.pairTables[this.mixCodec[m]!]!,
        this.srcFrame32[a]!,
        this.srcOff[a]! >> 2,
        this.srcFrame32[b]!,
        this.srcOff[b]! >> 2,
        this.out32,
      );
      this.stats.mixesEncoded++;
      this.payload = this.out;
      this.offset = 0;
    } else if (hasA || hasB) {
      // Only one voice has a frame this tick: its bytes are the exact mix.
      const s = hasA ? a : b;
      this.payload = this.srcFrame[s]!;
      this.offset = this.srcOff[s]!;
      this.stats.framesForwarded += listenerCount;
    } else {
      this.payload = this.silence[this.mixCodec[m]!]!;
      this.offset = 0;
    }
  }

  /** Any other mix: decode, sum, add the system source, clip, encode (or a cheaper exact path). */
  private generalFrame(m: number, listenerCount: number): void {
    const codec = this.mixCodec[m]!;
    const system = this.mixSystem[m]!;
    const voices = this.voices;
    const len = this.srcLen;
    const v1 = this.mixVStart[m + 1]!;
    let present = 0;
    let only = -1;
    for (let v = this.mixVStart[m]!; v < v1; v++) {
      const s = voices[v]!;
      if (len[s] !== MIX_FRAME_SAMPLES) continue;
      if (present++ === 0) only = s;
    }
    if (present === 0) {
      // Nothing to mix: the system frame (pre-encoded) or silence.
      this.payload = system ? system.encoded(CODECS[codec]!) : this.silence[codec]!;
      this.offset = 0;
      return;
    }
    if (system === null && present === 1 && this.srcCodec[only] === codec) {
      // Only one voice has a frame this tick: its bytes are the exact mix.
      this.payload = this.srcFrame[only]!;
      this.offset = this.srcOff[only]!;
      this.stats.framesForwarded += listenerCount;
      return;
    }
    const acc = this.acc;
    let first = true;
    for (let v = this.mixVStart[m]!; v < v1; v++) {
      const s = voices[v]!;
      if (len[s] !== MIX_FRAME_SAMPLES) continue;
      accumulateCodes(acc, this.decodeTables[this.srcCodec[s]!]!, this.srcFrame[s]!, this.srcOff[s]!, first);
      first = false;
    }
    if (system) accumulatePcm(acc, system.pcm, system.frameOffset, false);
    encodeClipped(acc, this.encodeTables[codec]!, this.out);
    this.stats.mixesEncoded++;
    this.payload = this.out;
    this.offset = 0;
  }

  dump(): Record<string, unknown> {
    if (this.dirty) this.compile();
    const mixes: Record<string, unknown>[] = [];
    for (let m = 0; m < this.mixCount; m++) {
      const voiceSlots = [...this.voices.subarray(this.mixVStart[m]!, this.mixVStart[m + 1]!)];
      mixes.push({
        codec: CODECS[this.mixCodec[m]!],
        forward: this.mixKind[m] === FORWARD,
        voices: voiceSlots.map((s) => this.sourceLegs[s]!.id),
        system: this.mixSystem[m]?.name ?? null,
        listeners: this.listeners.slice(this.mixLStart[m]!, this.mixLStart[m + 1]!).map((l) => l.id),
      });
    }
    return {
      legs: [...this.legs.keys()],
      groups: Object.fromEntries(this.plans),
      mixes,
      stats: { ...this.stats },
    };
  }
}
