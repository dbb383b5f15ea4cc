/**
 * System sources — hold music and ringback — are ordinary mixer sources whose frames come from a
 * looped PCM buffer generated at start, not from a socket. One instance per worker plays like a
 * radio: every listener hearing it hears the same position. The loop is also pre-encoded in both
 * laws, so a listener hearing only the system source costs no encoding.
 */
import { ALAW_ENCODE, type G711Codec, SAMPLE_RATE, ULAW_ENCODE } from './g711.js';

export type SystemSourceName = 'music' | 'ringback';
export const FRAME_SAMPLES = 160;

export class SystemSource {
  readonly pcm: Int16Array;
  private readonly ulaw: Uint8Array;
  private readonly alaw: Uint8Array;
  private position = 0;

  constructor(
    readonly name: SystemSourceName,
    pcm: Int16Array,
  ) {
    // Loops are whole frames long so a frame never straddles the loop point.
    const frames = Math.max(1, Math.floor(pcm.length / FRAME_SAMPLES));
    this.pcm = pcm.subarray(0, frames * FRAME_SAMPLES);
    this.ulaw = new Uint8Array(this.pcm.length);
    this.alaw = new Uint8Array(this.pcm.length);
    for (let i = 0; i < this.pcm.length; i++) {
      this.ulaw[i] = ULAW_ENCODE[this.pcm[i]! & 0xffff]!;
      this.alaw[i] = ALAW_ENCODE[this.pcm[i]! & 0xffff]!;
    }
  }

  /** Moves to the next frame (once per tick). */
  advance(): void {
    this.position += FRAME_SAMPLES;
    if (this.position >= this.pcm.length) this.position = 0;
  }

  /** The current frame's samples (a view; no copy). */
  get frameOffset(): number {
    return this.position;
  }

  /** The current frame, pre-encoded in `codec` (a view; no copy). */
  encoded(codec: G711Codec): Uint8Array {
    const src = codec === 'PCMU' ? this.ulaw : this.alaw;
    return src.subarray(this.position, this.position + FRAME_SAMPLES);
  }
}

function envelope(i: number, n: number, ramp: number): number {
  if (i < ramp) return i / ramp;
  if (i > n - ramp) return (n - i) / ramp;
  return 1;
}

/**
 * Hold music: a soft arpeggio (C major, then A minor, then F, then G), 250 ms per note with
 * smooth attack and release, about −18 dBFS. Pleasant enough, and obviously "on hold".
 */
export function holdMusic(): SystemSource {
  const notes = [523.25, 659.25, 783.99, 659.25, 440, 523.25, 659.25, 523.25];
  const chords = [notes, notes.map((f) => f * 0.89), notes.map((f) => f * 0.75), notes.map((f) => f * 0.84)];
  const noteSamples = SAMPLE_RATE / 4;
  const seq = chords.flat();
  const pcm = new Int16Array(seq.length * noteSamples);
  const amp = 0.125 * 32767;
  for (let n = 0; n < seq.length; n++) {
    const f = seq[n]!;
    for (let i = 0; i < noteSamples; i++) {
      const t = i / SAMPLE_RATE;
      const env = envelope(i, noteSamples, 400);
      const v = Math.sin(2 * Math.PI * f * t) * 0.8 + Math.sin(2 * Math.PI * 2 * f * t) * 0.2;
      pcm[n * noteSamples + i] = Math.round(v * amp * env);
    }
  }
  return new SystemSource('music', pcm);
}

/**
 * Ringback: the North American cadence (ANSI T1.401 / ITU-T E.180 Supplement 2): 440 Hz + 480 Hz,
 * 2 s on, 4 s off.
 */
export function ringback(): SystemSource {
  const on = 2 * SAMPLE_RATE;
  const pcm = new Int16Array(6 * SAMPLE_RATE);
  const amp = 0.1 * 32767;
  for (let i = 0; i < on; i++) {
    const t = i / SAMPLE_RATE;
    const v = Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 480 * t);
    pcm[i] = Math.round(v * amp * envelope(i, on, 80));
  }
  return new SystemSource('ringback', pcm);
}
