import { describe, expect, it } from 'vitest';
import { ALAW_ENCODE, decodeTable, encodeTable, type G711Codec, pairMixTable, ULAW_ENCODE } from './g711.js';
import { JitterBuffer } from './jitter-buffer.js';
import { Mixer, type MixerLeg } from './mixer.js';

class Leg implements MixerLeg {
  readonly jb = new JitterBuffer({ minDepth: 1 });
  readonly got: Uint8Array[] = [];
  seq = 0;
  constructor(
    readonly id: string,
    readonly codec: G711Codec = 'PCMU',
    readonly group = 'g',
  ) {}
  emit(p: Uint8Array, o: number, n: number): void {
    this.got.push(p.slice(o, o + n));
  }
  send(frame: Uint8Array): void {
    this.jb.push(1, this.seq++, frame, 0, frame.length);
  }
}

const noise = (seed: number) =>
  Uint8Array.from({ length: 160 }, (_, i) => (i * 97 + seed * 31 + (i >> 3)) & 0xff);

/** The reference: decode each, sum, clip, encode. */
function reference(codec: G711Codec, ...frames: Uint8Array[]): Uint8Array {
  const dec = decodeTable(codec);
  const enc = encodeTable(codec);
  return Uint8Array.from({ length: 160 }, (_, i) => {
    const s = frames.reduce((acc, f) => acc + dec[f[i]!]!, 0);
    return enc[Math.max(-32768, Math.min(32767, s)) & 0xffff]!;
  });
}

describe('Mixer', () => {
  it('the pair table is exactly decode + sum + clip + encode, for every pair of codes of both laws', () => {
    for (const codec of ['PCMU', 'PCMA'] as const) {
      const t = pairMixTable(codec);
      const dec = decodeTable(codec);
      const enc = codec === 'PCMU' ? ULAW_ENCODE : ALAW_ENCODE;
      for (let a = 0; a < 256; a++) {
        for (let b = 0; b < 256; b++) {
          const s = Math.max(-32768, Math.min(32767, dec[a]! + dec[b]!));
          if (t[(a << 8) | b] !== enc[s & 0xffff]) expect.fail(`${codec} ${a}+${b}`);
        }
      }
    }
  });

  it('a supervisor hears the exact mix; customer and agent get each other byte for byte; nobody hears itself', () => {
    const m = new Mixer();
    const c = new Leg('c');
    const a = new Leg('a');
    const s = new Leg('s');
    const x = new Leg('x', 'PCMA'); // an A-law listener of the same two voices: the general path
    for (const l of [c, a, s, x]) m.addLeg(l);
    m.setPlan('g', {
      c: { hears: ['a', 'c'] },
      a: { hears: ['c'] },
      s: { hears: ['c', 'a'] },
      x: { hears: ['c', 'a'] },
    });
    for (let t = 0; t < 5; t++) {
      c.send(noise(t));
      a.send(noise(100 + t));
      s.send(noise(200 + t));
      m.tick();
    }
    for (let t = 0; t < 5; t++) {
      expect(c.got[t]).toEqual(noise(100 + t));
      expect(a.got[t]).toEqual(noise(t));
      expect(s.got[t]).toEqual(reference('PCMU', noise(t), noise(100 + t)));
      const dec = decodeTable('PCMU');
      const enc = encodeTable('PCMA');
      const want = Uint8Array.from({ length: 160 }, (_, i) => {
        const v = dec[noise(t)[i]!]! + dec[noise(100 + t)[i]!]!;
        return enc[Math.max(-32768, Math.min(32767, v)) & 0xffff]!;
      });
      expect(x.got[t]).toEqual(want);
    }
  });

  it('when only one voice of a mix has a frame, the listener gets its bytes unchanged; none: silence', () => {
    const m = new Mixer();
    const c = new Leg('c');
    const a = new Leg('a');
    const s = new Leg('s');
    for (const l of [c, a, s]) m.addLeg(l);
    m.setPlan('g', { s: { hears: ['c', 'a'] } });
    c.send(noise(1));
    m.tick();
    expect(s.got[0]).toEqual(noise(1));
    m.tick(); // c conceals once (repeat)
    m.tick(); // then nothing
    expect(s.got[2]).toEqual(new Uint8Array(160).fill(ULAW_ENCODE[0]!));
    expect(m.dump().stats).toMatchObject({ mixesEncoded: 0 });
  });

  it('tells each source whether anyone hears it (a source nobody hears is kept trimmed)', () => {
    const m = new Mixer();
    const [c, a, s] = [new Leg('c'), new Leg('a'), new Leg('s')];
    for (const l of [c, a, s]) m.addLeg(l);
    m.setPlan('g', { c: { hears: ['a'] }, a: { hears: ['c'] }, s: { hears: ['c', 'a'] } }); // monitor
    m.tick();
    expect([c.jb.heard, a.jb.heard, s.jb.heard]).toEqual([true, true, false]);
    m.setPlan('g', { c: { hears: ['a'] }, a: { hears: ['c', 's'] }, s: { hears: ['c', 'a'] } }); // coach
    m.tick();
    expect(s.jb.heard).toBe(true);
  });
});
