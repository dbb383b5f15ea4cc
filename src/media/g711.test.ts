import { describe, expect, it } from 'vitest';
import {
  ALAW_DECODE,
  ALAW_ENCODE,
  alawToLinearReference,
  linearToAlawReference,
  linearToUlawReference,
  SILENCE_CODE,
  ULAW_DECODE,
  ULAW_ENCODE,
  ulawToLinearReference,
} from './g711.js';

describe('G.711', () => {
  // Reference vectors: ITU-T G.711 Tables 1 and 2 decision/output values, as produced by the
  // Sun reference g711.c and by CPython's audioop (lin2ulaw/ulaw2lin, lin2alaw/alaw2lin).
  it('decodes µ-law reference vectors', () => {
    const vectors: [number, number][] = [
      [0x00, -32124],
      [0x0f, -16764],
      [0x7e, -8],
      [0x7f, 0],
      [0x80, 32124],
      [0xff, 0],
      [0xf0, 120],
      [0xa5, 6652],
    ];
    for (const [code, pcm] of vectors) expect(ULAW_DECODE[code], `0x${code.toString(16)}`).toBe(pcm);
  });

  it('decodes A-law reference vectors', () => {
    const vectors: [number, number][] = [
      [0xd5, 8],
      [0x55, -8],
      [0xaa, 32256],
      [0x2a, -32256],
      [0x80, 5504],
      [0x00, -5504],
    ];
    for (const [code, pcm] of vectors) expect(ALAW_DECODE[code], `0x${code.toString(16)}`).toBe(pcm);
  });

  it('encodes reference vectors', () => {
    expect(ULAW_ENCODE[0]).toBe(0xff);
    expect(ULAW_ENCODE[32767]).toBe(0x80);
    expect(ULAW_ENCODE[-32768 & 0xffff]).toBe(0x00);
    expect(ULAW_ENCODE[1000]).toBe(0xce);
    expect(ULAW_ENCODE[-1000 & 0xffff]).toBe(0x4e);
    expect(ALAW_ENCODE[0]).toBe(0xd5);
    expect(ALAW_ENCODE[32767]).toBe(0xaa);
    expect(ALAW_ENCODE[-32768 & 0xffff]).toBe(0x2a);
    expect(ALAW_ENCODE[1000]).toBe(0xfa);
    expect(ALAW_ENCODE[-1000 & 0xffff]).toBe(0x7a);
    expect(SILENCE_CODE).toEqual({ PCMU: 0xff, PCMA: 0xd5 });
  });

  it('decode then encode is the identity on every code (but µ-law −0)', () => {
    for (let c = 0; c < 256; c++) {
      expect(ALAW_ENCODE[ALAW_DECODE[c]! & 0xffff]).toBe(c);
      if (c !== 0x7f) expect(ULAW_ENCODE[ULAW_DECODE[c]! & 0xffff]).toBe(c);
    }
  });

  it('tables equal the reference algorithm and are monotonic', () => {
    for (let s = -32768; s < 32768; s += 7) {
      expect(ULAW_ENCODE[s & 0xffff]).toBe(linearToUlawReference(s));
      expect(ALAW_ENCODE[s & 0xffff]).toBe(linearToAlawReference(s));
    }
    for (let c = 0; c < 256; c++) {
      expect(ULAW_DECODE[c]).toBe(ulawToLinearReference(c));
      expect(ALAW_DECODE[c]).toBe(alawToLinearReference(c));
    }
    let prev = -Infinity;
    for (let s = -32768; s < 32768; s += 13) {
      const v = ULAW_DECODE[ULAW_ENCODE[s & 0xffff]!]!;
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });
});
