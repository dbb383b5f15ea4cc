import { describe, expect, it } from 'vitest';
import { ScriptCursor } from './script-cursor.js';
import type { VoiceScript } from './voice-library.js';

const SILENCE = 0xff;
const voice = (n: number, v: number) => new Uint8Array(n).fill(v);

function frames(cursor: ScriptCursor, count: number, n = 160): { bytes: Uint8Array; voiced: number[] } {
  const bytes = new Uint8Array(count * n);
  const voiced: number[] = [];
  for (let i = 0; i < count; i++) voiced.push(cursor.next(bytes, i * n, n));
  return { bytes, voiced };
}

describe('ScriptCursor', () => {
  it('plays the lead-in silence, then each turn followed by its pause, then loops from the first turn', () => {
    // lead-in 20 ms (160 samples), turn A 200 samples + 10 ms pause, turn B 100 samples + 0 pause.
    const script: VoiceScript = {
      leadInMs: 20,
      turns: [
        { voice: voice(200, 1), pauseAfterMs: 10 },
        { voice: voice(100, 2), pauseAfterMs: 0 },
      ],
    };
    const { bytes } = frames(new ScriptCursor(script), 6);
    const expected = [
      ...new Array(160).fill(SILENCE),
      ...new Array(200).fill(1),
      ...new Array(80).fill(SILENCE),
      ...new Array(100).fill(2),
      // no second lead-in: straight back to turn A
      ...new Array(200).fill(1),
      ...new Array(80).fill(SILENCE),
      ...new Array(100).fill(2),
      ...new Array(200).fill(1),
    ].slice(0, 960);
    expect([...bytes]).toEqual(expected);
  });

  it('reports how many voice samples each frame carries (0 in silence)', () => {
    const script: VoiceScript = { leadInMs: 20, turns: [{ voice: voice(240, 7), pauseAfterMs: 40 }] };
    const { voiced } = frames(new ScriptCursor(script), 5);
    expect(voiced).toEqual([0, 160, 80, 0, 80]);
  });

  it('a script without turns is silence', () => {
    const { bytes, voiced } = frames(new ScriptCursor({ leadInMs: 0, turns: [] }), 2);
    expect(bytes.every((b) => b === SILENCE)).toBe(true);
    expect(voiced).toEqual([0, 0]);
  });
});
