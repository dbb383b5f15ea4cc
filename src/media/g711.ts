/**
 * G.711 µ-law (PCMU) and A-law (PCMA), table-driven (ITU-T G.711; the segment algorithm of the
 * public-domain Sun Microsystems reference `g711.c`). The tables are built once at load from that
 * algorithm; encoding and decoding are then one array lookup per sample.
 */

export type G711Codec = 'PCMU' | 'PCMA';

/** RFC 3551 §6 static payload types. */
export const PAYLOAD_TYPE: Readonly<Record<G711Codec, number>> = { PCMU: 0, PCMA: 8 };
export const SAMPLE_RATE = 8000;

const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
const BIAS = 0x84;
const CLIP = 8159;

function segment(value: number, table: number[]): number {
  for (let i = 0; i < table.length; i++) if (value <= table[i]!) return i;
  return table.length;
}

/** Reference µ-law encoder for one 16-bit sample (used to build the table). */
export function linearToUlawReference(sample: number): number {
  let pcm = sample >> 2;
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > CLIP) pcm = CLIP;
  pcm += BIAS >> 2;
  const seg = segment(pcm, SEG_UEND);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0xf)) ^ mask;
}

/** Reference µ-law decoder. */
export function ulawToLinearReference(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? BIAS - t : t - BIAS;
}

/** Reference A-law encoder for one 16-bit sample. */
export function linearToAlawReference(sample: number): number {
  let pcm = sample >> 3;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, SEG_AEND);
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return aval ^ mask;
}

/** Reference A-law decoder. */
export function alawToLinearReference(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else {
    t += 0x108;
    t <<= seg - 1;
  }
  return a & 0x80 ? t : -t;
}

function buildEncode(fn: (s: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = fn((i << 16) >> 16);
  return table;
}
function buildDecode(fn: (c: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = fn(i);
  return table;
}

/** Encode tables, indexed by `sample & 0xffff`. */
export const ULAW_ENCODE = buildEncode(linearToUlawReference);
export const ALAW_ENCODE = buildEncode(linearToAlawReference);
/** Decode tables, indexed by the code byte. */
export const ULAW_DECODE = buildDecode(ulawToLinearReference);
export const ALAW_DECODE = buildDecode(alawToLinearReference);

/** The code of digital silence (0) in each law: what a silent frame is filled with. */
export const SILENCE_CODE: Readonly<Record<G711Codec, number>> = {
  PCMU: ULAW_ENCODE[0]!,
  PCMA: ALAW_ENCODE[0]!,
};

export function encodeTable(codec: G711Codec): Uint8Array {
  return codec === 'PCMU' ? ULAW_ENCODE : ALAW_ENCODE;
}
export function decodeTable(codec: G711Codec): Int16Array {
  return codec === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
}

/** Decodes `n` codes from `src[srcOffset..]` into `dst[0..n)`. Allocation-free. */
export function decodeG711(
  codec: G711Codec,
  src: Uint8Array,
  srcOffset: number,
  n: number,
  dst: Int16Array,
): void {
  const t = codec === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
  for (let i = 0; i < n; i++) dst[i] = t[src[srcOffset + i]!]!;
}

/** Encodes `n` samples into `dst[dstOffset..]`. Allocation-free. */
export function encodeG711(
  codec: G711Codec,
  src: Int16Array,
  n: number,
  dst: Uint8Array,
  dstOffset: number,
): void {
  const t = codec === 'PCMU' ? ULAW_ENCODE : ALAW_ENCODE;
  for (let i = 0; i < n; i++) dst[dstOffset + i] = t[src[i]! & 0xffff]!;
}

const PAIR_TABLES: Partial<Record<G711Codec, Uint8Array>> = {};

/**
 * The two-voice mix table of a law: `table[a << 8 | b]` = encode(clip(decode(a) + decode(b))), the
 * exact result of decoding both codes, summing, clipping to 16 bits and encoding, in one lookup
 * (64 KB per law, built on first use). A supervisor hearing customer and agent costs one lookup
 * per sample.
 */
export function pairMixTable(codec: G711Codec): Uint8Array {
  let t = PAIR_TABLES[codec];
  if (t) return t;
  const dec = decodeTable(codec);
  const enc = encodeTable(codec);
  t = new Uint8Array(65536);
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      let s = dec[a]! + dec[b]!;
      if (s > 32767) s = 32767;
      else if (s < -32768) s = -32768;
      t[(a << 8) | b] = enc[s & 0xffff]!;
    }
  }
  PAIR_TABLES[codec] = t;
  return t;
}
