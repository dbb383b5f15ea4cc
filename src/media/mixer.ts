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
 * The plan is data from the domain's hearing rule; the mixer applies it and decides nothing.
 * Plans are compiled (allocating) when they change; `tick()` allocates nothing.
 */
import { decodeTable, encodeTable, type G711Codec, pairMixTable, SILENCE_CODE } from './g711.js';
import { type JitterBuffer, PopResult } from './jitter-buffer.js';
import { mediaError } from './media-errors.js';
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
  /** Sends one frame to this leg's peer (the leg adds the RTP header). */
  emit(payload: Uint8Array, offset: number, length: number): void;
}

class SourceSlot {
  result: PopResult = PopResult.Missing;
  readonly jb: JitterBuffer;
  constructor(readonly leg: MixerLeg) {
    this.jb = leg.jb;
  }
}

class Mix {
  readonly acc = new Int32Array(FRAME_SAMPLES);
  readonly out: Uint8Array = new Uint8Array(FRAME_SAMPLES);
  readonly out32 = new Uint32Array(this.out.buffer);
  readonly listeners: MixerLeg[] = [];
  readonly forward: boolean;
  /** Where this tick's frame for the listeners is (`out`, a silence/system frame, or a source's slot). */
  payload: Uint8Array;
  offset = 0;
  constructor(
    readonly key: string,
    readonly codec: G711Codec,
    readonly voices: SourceSlot[],
    readonly system: SystemSource | null,
  ) {
    this.forward = system === null && voices.length === 1 && voices[0]!.leg.codec === codec;
    this.payload = this.out;
  }
}

export interface MixerStats {
  ticks: number;
  mixesEncoded: number;
  framesForwarded: number;
}

export class Mixer {
  private readonly legs = new Map<string, SourceSlot>();
  private readonly plans = new Map<string, HearingPlan>();
  private slots: SourceSlot[] = [];
  private mixes: Mix[] = [];
  private listenersBySource = new Map<string, MixerLeg[]>();
  private dirty = false;
  private readonly systems: Record<SystemSourceName, SystemSource>;
  private readonly systemList: SystemSource[];
  private readonly silence: Record<G711Codec, Uint8Array> = {
    PCMU: new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE.PCMU),
    PCMA: new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE.PCMA),
  };
  readonly stats: MixerStats = { ticks: 0, mixesEncoded: 0, framesForwarded: 0 };

  constructor(systems?: Partial<Record<SystemSourceName, SystemSource>>) {
    this.systems = { music: systems?.music ?? holdMusic(), ringback: systems?.ringback ?? ringback() };
    this.systemList = [this.systems.music, this.systems.ringback];
  }

  addLeg(leg: MixerLeg): void {
    if (this.legs.has(leg.id)) throw mediaError('MEDIA_LEG_EXISTS', `leg ${leg.id} exists`);
    this.legs.set(leg.id, new SourceSlot(leg));
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
        const slot = this.legs.get(id);
        if (slot && slot.leg.group !== group) {
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
    return this.listenersBySource.get(sourceId) ?? EMPTY;
  }

  private compile(): void {
    this.dirty = false;
    this.slots = [...this.legs.values()];
    const mixes = new Map<string, Mix>();
    const bySource = new Map<string, MixerLeg[]>();
    for (const [group, plan] of this.plans) {
      for (const [listenerId, entry] of Object.entries(plan)) {
        const listener = this.legs.get(listenerId);
        if (!listener || listener.leg.group !== group) continue;
        // "Nobody ever hears their own voice back."
        const voiceIds = [...new Set(entry.hears)]
          .filter((id) => id !== listenerId && this.legs.get(id)?.leg.group === group)
          .sort();
        const system = entry.system && entry.system !== 'none' ? this.systems[entry.system] : null;
        if (voiceIds.length === 0 && !system) continue;
        const codec = listener.leg.codec;
        const key = `${codec}|${system?.name ?? ''}|${voiceIds.join('\u0000')}`;
        let mix = mixes.get(key);
        if (!mix) {
          mix = new Mix(
            key,
            codec,
            voiceIds.map((id) => this.legs.get(id)!),
            system,
          );
          mixes.set(key, mix);
        }
        mix.listeners.push(listener.leg);
        for (const id of voiceIds) {
          const list = bySource.get(id) ?? [];
          list.push(listener.leg);
          bySource.set(id, list);
        }
      }
    }
    this.mixes = [...mixes.values()];
    this.listenersBySource = bySource;
    // A source no mix takes is kept trimmed by its jitter buffer (no backlog when it is heard).
    for (const slot of this.slots) slot.jb.heard = false;
    for (const mix of this.mixes) for (const v of mix.voices) v.jb.heard = true;
  }

  /** One 20 ms frame for everyone. Allocation-free once compiled. */
  tick(): void {
    if (this.dirty) this.compile();
    this.stats.ticks++;
    for (let i = 0; i < this.systemList.length; i++) this.systemList[i]!.advance();
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      s.result = s.jb.pop();
    }
    const mixes = this.mixes;
    for (let m = 0; m < mixes.length; m++) {
      const mix = mixes[m]!;
      const length = mix.forward ? this.forwardOne(mix) : this.render(mix);
      const listeners = mix.listeners;
      const payload = mix.payload;
      const offset = mix.offset;
      for (let l = 0; l < listeners.length; l++) listeners[l]!.emit(payload, offset, length);
    }
  }

  /** A one-voice mix: the voice's bytes as they are, or silence. Returns the frame length. */
  private forwardOne(mix: Mix): number {
    const jb = mix.voices[0]!.jb;
    if (mix.voices[0]!.result === PopResult.Missing) return this.silenceFor(mix);
    mix.payload = jb.frame;
    mix.offset = jb.frameOffset;
    this.stats.framesForwarded += mix.listeners.length;
    return jb.frameLength;
  }

  private silenceFor(mix: Mix): number {
    const system = mix.system;
    mix.payload = system ? system.encoded(mix.codec) : this.silence[mix.codec];
    mix.offset = 0;
    return FRAME_SAMPLES;
  }

  /** Builds a mix's frame for this tick; sets `mix.payload/offset` and returns the frame length. */
  private render(mix: Mix): number {
    const voices = mix.voices;
    let present = 0;
    let a: SourceSlot | undefined;
    let b: SourceSlot | undefined;
    for (let v = 0; v < voices.length; v++) {
      const slot = voices[v]!;
      if (slot.result === PopResult.Missing || slot.jb.frameLength !== FRAME_SAMPLES) continue;
      if (present === 0) a = slot;
      else if (present === 1) b = slot;
      present++;
    }
    const system = mix.system;
    if (present === 0) return this.silenceFor(mix);
    const codec = mix.codec;
    if (system === null && present === 1 && a!.leg.codec === codec) {
      // Only one voice has a frame this tick: its bytes are the exact mix.
      const jb = a!.jb;
      mix.payload = jb.frame;
      mix.offset = jb.frameOffset;
      this.stats.framesForwarded += mix.listeners.length;
      return FRAME_SAMPLES;
    }
    const out = mix.out;
    mix.payload = out;
    mix.offset = 0;
    this.stats.mixesEncoded++;
    if (
      LITTLE_ENDIAN &&
      system === null &&
      present === 2 &&
      a!.leg.codec === codec &&
      b!.leg.codec === codec
    ) {
      // Four samples per step through 32-bit words (little-endian byte k = bits 8k…8k+7).
      const pair = pairMixTable(codec);
      const fa = a!.jb.frame32;
      const oa = a!.jb.frameOffset >> 2;
      const fb = b!.jb.frame32;
      const ob = b!.jb.frameOffset >> 2;
      const out32 = mix.out32;
      for (let k = 0; k < FRAME_WORDS; k++) {
        const x = fa[oa + k]!;
        const y = fb[ob + k]!;
        out32[k] =
          pair[((x & 0xff) << 8) | (y & 0xff)]! |
          (pair[(x & 0xff00) | ((y >>> 8) & 0xff)]! << 8) |
          (pair[((x >>> 8) & 0xff00) | ((y >>> 16) & 0xff)]! << 16) |
          (pair[((x >>> 16) & 0xff00) | (y >>> 24)]! << 24);
      }
      return FRAME_SAMPLES;
    }
    const acc = mix.acc;
    acc.fill(0);
    for (let v = 0; v < voices.length; v++) {
      const slot = voices[v]!;
      const jb = slot.jb;
      if (slot.result === PopResult.Missing || jb.frameLength !== FRAME_SAMPLES) continue;
      const dec = decodeTable(slot.leg.codec);
      const f = jb.frame;
      const o = jb.frameOffset;
      for (let i = 0; i < FRAME_SAMPLES; i++) acc[i] = acc[i]! + dec[f[o + i]!]!;
    }
    if (system) {
      const spcm = system.pcm;
      const so = system.frameOffset;
      for (let i = 0; i < FRAME_SAMPLES; i++) acc[i] = acc[i]! + spcm[so + i]!;
    }
    const enc = encodeTable(codec);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      let x = acc[i]!;
      if (x > 32767) x = 32767;
      else if (x < -32768) x = -32768;
      out[i] = enc[x & 0xffff]!;
    }
    return FRAME_SAMPLES;
  }

  dump(): Record<string, unknown> {
    if (this.dirty) this.compile();
    return {
      legs: [...this.legs.keys()],
      groups: Object.fromEntries(this.plans),
      mixes: this.mixes.map((m) => ({
        codec: m.codec,
        forward: m.forward,
        voices: m.voices.map((v) => v.leg.id),
        system: m.system?.name ?? null,
        listeners: m.listeners.map((l) => l.id),
      })),
      stats: { ...this.stats },
    };
  }
}

const EMPTY: readonly MixerLeg[] = [];
const FRAME_WORDS = FRAME_SAMPLES >> 2;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
