import { SILENCE_CODE } from '../media/g711.js';
import type { VoiceScript } from './voice-library.js';

const SILENCE = SILENCE_CODE.PCMU;

/**
 * Reads a looped `VoiceScript` one frame at a time: lead-in silence, then each turn's voice and its
 * pause, then from the first turn again. Allocation-free per frame (it copies into the caller's buffer).
 */
export class ScriptCursor {
  private turn = 0;
  /** Byte offset inside the current turn's voice, then inside its pause. */
  private offset = 0;
  private inPause: boolean;
  private silenceLeft: number;

  constructor(private readonly script: VoiceScript) {
    this.silenceLeft = Math.round(script.leadInMs * 8);
    this.inPause = this.silenceLeft > 0;
  }

  /**
   * Writes `n` samples (µ-law) at `dst[at..at+n)`. Returns the number of voice samples written (0 for a
   * silent frame).
   */
  next(dst: Uint8Array, at: number, n: number): number {
    let written = 0;
    let voiced = 0;
    while (written < n) {
      if (this.inPause) {
        const k = Math.min(this.silenceLeft, n - written);
        dst.fill(SILENCE, at + written, at + written + k);
        written += k;
        this.silenceLeft -= k;
        if (this.silenceLeft === 0) {
          this.inPause = false;
          this.offset = 0;
        }
        continue;
      }
      const t = this.script.turns[this.turn];
      if (!t) {
        // A script without turns is silence.
        dst.fill(SILENCE, at + written, at + n);
        return voiced;
      }
      const k = Math.min(t.voice.length - this.offset, n - written);
      const v = t.voice;
      const o = this.offset;
      const d = at + written;
      for (let i = 0; i < k; i++) dst[d + i] = v[o + i] as number;
      written += k;
      voiced += k;
      this.offset += k;
      if (this.offset >= t.voice.length) {
        this.silenceLeft = Math.round(t.pauseAfterMs * 8);
        this.inPause = this.silenceLeft > 0;
        this.turn = (this.turn + 1) % this.script.turns.length;
        this.offset = 0;
      }
    }
    return voiced;
  }

  dump(): Record<string, unknown> {
    return { turn: this.turn, offset: this.offset, inPause: this.inPause, silenceLeft: this.silenceLeft };
  }
}
