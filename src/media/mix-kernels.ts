/**
 * The mixer's per-frame arithmetic, one frame (160 samples) at a time, allocation-free. Kept apart
 * from the plan bookkeeping in `mixer.ts` so each kernel stays small, monomorphic and easy to
 * measure (`bench/media-mixer.bench.ts`).
 *
 * - `mixPair`: two same-law voices through the 64 KB pair table (`pairMixTable`, one lookup per
 *   sample, bit-identical to decode + sum + clip + encode), four samples per 32-bit word and four
 *   words per loop step (fewer loop-carried checks per sample: the unrolled loop measured ~25 %
 *   cheaper than one word per step).
 * - `accumulateCodes` / `accumulatePcm` / `encodeClipped`: the general path (any number of voices,
 *   mixed laws, a system source): decode into an `Int32Array` accumulator, add, then clip and
 *   encode once.
 */

/** Samples per 20 ms frame at 8 kHz. */
export const MIX_FRAME_SAMPLES = 160;
const FRAME_WORDS = MIX_FRAME_SAMPLES >> 2;

/** True where a `Uint32Array` over bytes puts byte k in bits 8k…8k+7 (what `mixPair` assumes). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `out32[0…40)` = pair-mixed frame of `fa[oa…oa+40)` and `fb[ob…ob+40)` (32-bit words, four codes
 * each, little-endian). `pair[a << 8 | b]` is the mixed code of codes `a` and `b`.
 */
export function mixPair(
  pair: Uint8Array,
  fa: Uint32Array,
  oa: number,
  fb: Uint32Array,
  ob: number,
  out32: Uint32Array,
): void {
  let x = 0;
  let y = 0;
  for (let k = 0, i = oa, j = ob; k < FRAME_WORDS; k += 4, i += 4, j += 4) {
    x = fa[i]!;
    y = fb[j]!;
    out32[k] =
      pair[((x & 0xff) << 8) | (y & 0xff)]! |
      (pair[(x & 0xff00) | ((y >>> 8) & 0xff)]! << 8) |
      (pair[((x >>> 8) & 0xff00) | ((y >>> 16) & 0xff)]! << 16) |
      (pair[((x >>> 16) & 0xff00) | (y >>> 24)]! << 24);
    x = fa[i + 1]!;
    y = fb[j + 1]!;
    out32[k + 1] =
      pair[((x & 0xff) << 8) | (y & 0xff)]! |
      (pair[(x & 0xff00) | ((y >>> 8) & 0xff)]! << 8) |
      (pair[((x >>> 8) & 0xff00) | ((y >>> 16) & 0xff)]! << 16) |
      (pair[((x >>> 16) & 0xff00) | (y >>> 24)]! << 24);
    x = fa[i + 2]!;
    y = fb[j + 2]!;
    out32[k + 2] =
      pair[((x & 0xff) << 8) | (y & 0xff)]! |
      (pair[(x & 0xff00) | ((y >>> 8) & 0xff)]! << 8) |
      (pair[((x >>> 8) & 0xff00) | ((y >>> 16) & 0xff)]! << 16) |
      (pair[((x >>> 16) & 0xff00) | (y >>> 24)]! << 24);
    x = fa[i + 3]!;
    y = fb[j + 3]!;
    out32[k + 3] =
      pair[((x & 0xff) << 8) | (y & 0xff)]! |
      (pair[(x & 0xff00) | ((y >>> 8) & 0xff)]! << 8) |
      (pair[((x >>> 8) & 0xff00) | ((y >>> 16) & 0xff)]! << 16) |
      (pair[((x >>> 16) & 0xff00) | (y >>> 24)]! << 24);
  }
}

/** `acc[i] += dec[codes[o + i]]` for one frame (`first`: `acc[i] = …`, no clearing pass). */
export function accumulateCodes(
  acc: Int32Array,
  dec: Int16Array,
  codes: Uint8Array,
  o: number,
  first: boolean,
): void {
  if (first) for (let i = 0; i < MIX_FRAME_SAMPLES; i++) acc[i] = dec[codes[o + i]!]!;
  else for (let i = 0; i < MIX_FRAME_SAMPLES; i++) acc[i] = acc[i]! + dec[codes[o + i]!]!;
}

/** `acc[i] += pcm[o + i]` for one frame (`first`: `acc[i] = …`). */
export function accumulatePcm(acc: Int32Array, pcm: Int16Array, o: number, first: boolean): void {
  if (first) for (let i = 0; i < MIX_FRAME_SAMPLES; i++) acc[i] = pcm[o + i]!;
  else for (let i = 0; i < MIX_FRAME_SAMPLES; i++) acc[i] = acc[i]! + pcm[o + i]!;
}

/** `out[i]` = encode(clip to 16 bits(`acc[i]`)) through a 64 K-entry encode table. */
export function encodeClipped(acc: Int32Array, enc: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < MIX_FRAME_SAMPLES; i++) {
    let x = acc[i]!;
    if (x > 32767) x = 32767;
    else if (x < -32768) x = -32768;
    out[i] = enc[x & 0xffff]!;
  }
}
