/**
 * The mixer of one media worker. Every 20 ms tick it pulls one frame per source leg from its
 * jitter buffer, builds each listener's frame from the voices its hearing plan lists (never its
 * own) plus an optional system source, sums and clips, encodes once per distinct mix, and hands
 * each listener its frame. A listener that hears exactly one voice in its own codec gets that
 * voice's payload bytes unchanged (forwarding: no decode, no encode).
 *
 * The plan is data from the domain's hearing rule; the mixer applies it and decides nothing.
 * Plans are compiled (allocating) when they change; `tick()` allocates nothing.
 */
import { decodeTable, encodeTable, type G711Codec, SILENCE_CODE } from './g711.js';
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
  readonly pcm = new Int16Array(FRAME_SAMPLES);
  result: PopResult = PopResult.Missing;
  decodedTick = -1;
  constructor(readonly leg: MixerLeg) {}
}

class Mix {
  readonly acc = new Int32Array(FRAME_SAMPLES);
  readonly out: Uint8Array = new Uint8Array(FRAME_SAMPLES);
  readonly listeners: MixerLeg[] = [];
  readonly forward: boolean;
  constructor(
    readonly key: string,
    readonly codec: G711Codec,
    readonly voices: SourceSlot[],
    readonly system: SystemSource | null,
  ) {
    this.forward = system === null && voices.length === 1 && voices[0]!.leg.codec === codec;
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
  private tickNo = 0;
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
  }

  /** One 20 ms frame for everyone. Allocation-free once compiled. */
  tick(): void {
    if (this.dirty) this.compile();
    const tick = ++this.tickNo;
    this.stats.ticks++;
    for (let i = 0; i < this.systemList.length; i++) this.systemList[i]!.advance();
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      s.result = s.leg.jb.pop();
    }
    const mixes = this.mixes;
    for (let m = 0; m < mixes.length; m++) {
      const mix = mixes[m]!;
      let payload: Uint8Array;
      let length = FRAME_SAMPLES;
      if (mix.forward) {
        const v = mix.voices[0]!;
        if (v.result === PopResult.Missing) {
          payload = this.silence[mix.codec];
        } else {
          payload = v.leg.jb.frame;
          length = v.leg.jb.frameLength;
          this.stats.framesForwarded += mix.listeners.length;
        }
      } else {
        payload = this.render(mix, tick);
      }
      const listeners = mix.listeners;
      for (let l = 0; l < listeners.length; l++) listeners[l]!.emit(payload, 0, length);
    }
  }

  private render(mix: Mix, tick: number): Uint8Array {
    const voices = mix.voices;
    let present = 0;
    for (let v = 0; v < voices.length; v++) if (voices[v]!.result !== PopResult.Missing) present++;
    const system = mix.system;
    if (present === 0) return system ? system.encoded(mix.codec) : this.silence[mix.codec];
    const acc = mix.acc;
    let first = true;
    for (let v = 0; v < voices.length; v++) {
      const slot = voices[v]!;
      if (slot.result === PopResult.Missing) continue;
      if (slot.decodedTick !== tick) this.decode(slot, tick);
      const pcm = slot.pcm;
      if (first) {
        for (let i = 0; i < FRAME_SAMPLES; i++) acc[i] = pcm[i]!;
        first = false;
      } else {
        for (let i = 0; i < FRAME_SAMPLES; i++) acc[i] = acc[i]! + pcm[i]!;
      }
    }
    if (system) {
      const spcm = system.pcm;
      const o = system.frameOffset;
      for (let i = 0; i < FRAME_SAMPLES; i++) acc[i] = acc[i]! + spcm[o + i]!;
    }
    const enc = encodeTable(mix.codec);
    const out = mix.out;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      let s = acc[i]!;
      if (s > 32767) s = 32767;
      else if (s < -32768) s = -32768;
      out[i] = enc[s & 0xffff]!;
    }
    this.stats.mixesEncoded++;
    return out;
  }

  private decode(slot: SourceSlot, tick: number): void {
    const jb = slot.leg.jb;
    const dec = decodeTable(slot.leg.codec);
    const frame = jb.frame;
    const n = Math.min(jb.frameLength, FRAME_SAMPLES);
    const pcm = slot.pcm;
    for (let i = 0; i < n; i++) pcm[i] = dec[frame[i]!]!;
    for (let i = n; i < FRAME_SAMPLES; i++) pcm[i] = 0;
    slot.decodedTick = tick;
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
