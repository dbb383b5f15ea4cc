import { describe, expect, it } from 'vitest';
import { copyFrame, wordsOf } from './word-copy.js';

/** A memory filled with a recognisable pattern. */
function memory(bytes: number, seed: number): ArrayBuffer {
  const m = new ArrayBuffer(bytes);
  const u = new Uint8Array(m);
  for (let i = 0; i < bytes; i++) u[i] = (i * seed + 11) & 0xff;
  return m;
}

describe('copyFrame', () => {
  it('copies exactly [srcAt, srcAt + length) to dstAt for any view offsets, base offsets passed in', () => {
    const srcMem = memory(1024, 13);
    const src0 = new Uint8Array(srcMem);
    // [dst view offset, dstAt, src view offset, srcAt, length]
    const cases: [number, number, number, number, number][] = [
      [0, 12, 0, 16, 160], // both aligned: words
      [0, 12, 0, 20, 7], // words + a 3-byte tail
      [4, 8, 8, 4, 161], // aligned views at non-zero offsets: words + tail
      [0, 12, 0, 33, 160], // unaligned source: bytes
      [1, 3, 0, 16, 40], // unaligned view whose dstAt lands aligned in memory (1 + 3)
      [0, 13, 0, 16, 40], // unaligned destination: bytes
      [3, 0, 5, 3, 100], // unaligned in memory (3 + 0, 5 + 3): bytes
      [2, 2, 1, 3, 64], // both land aligned in memory (2 + 2, 1 + 3): words
      [0, 0, 0, 0, 0], // nothing
      [0, 0, 0, 0, 3], // tail only
    ];
    for (const [dv, dstAt, sv, srcAt, length] of cases) {
      const dstMem = memory(512, 5);
      const before = new Uint8Array(dstMem.slice(0));
      const dst = new Uint8Array(dstMem, dv);
      const src = new Uint8Array(srcMem, sv);
      copyFrame(
        dst,
        wordsOf(dstMem),
        dst.byteOffset,
        dstAt,
        src,
        wordsOf(srcMem),
        src.byteOffset,
        srcAt,
        length,
      );
      const after = new Uint8Array(dstMem);
      const from = dv + dstAt;
      for (let i = 0; i < after.length; i++) {
        const want = i >= from && i < from + length ? src0[sv + srcAt + (i - from)] : before[i];
        if (after[i] !== want)
          expect({ i, case: [dv, dstAt, sv, srcAt, length], got: after[i] }).toEqual({ want });
      }
    }
  });

  it('takes Buffer and Uint8Array alike, and word views over part of a memory (base relative to the view)', () => {
    const mem = new ArrayBuffer(256);
    // A send-buffer-like pair: bytes and words over the same sub-range starting at byte 64: base 0.
    const bytes = new Uint8Array(mem, 64, 128);
    const words = new Uint32Array(mem, 64, 32);
    const payload = Buffer.from(memory(300, 7), 8, 200);
    copyFrame(bytes, words, 0, 12, payload, wordsOf(payload.buffer), payload.byteOffset, 4, 101);
    expect([...bytes.subarray(12, 113)]).toEqual([...payload.subarray(4, 105)]);
    expect(new Uint8Array(mem, 0, 64 + 12).every((b) => b === 0)).toBe(true);
    expect(new Uint8Array(mem, 64 + 113).every((b) => b === 0)).toBe(true);
  });
});
