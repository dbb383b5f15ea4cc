/**
 * Frame copies on the per-packet path (jitter-buffer push, leg emit): 32-bit words where both ends
 * are 4-byte aligned in their memory, then the tail bytes; a byte copy otherwise. Word views are
 * made once per memory (ArrayBuffer) — callers keep the last one and look it up only when their
 * source memory changes, so the steady path allocates nothing and does no lookup.
 */
const views = new WeakMap<ArrayBufferLike, Uint32Array>();

/** A 32-bit view over the whole of `memory` (made once per memory). */
export function wordsOf(memory: ArrayBufferLike): Uint32Array {
  let w = views.get(memory);
  if (w === undefined) {
    w = new Uint32Array(memory, 0, memory.byteLength >>> 2);
    views.set(memory, w);
  }
  return w;
}

/**
 * Copies `length` bytes from `src[srcAt…]` to `dst[dstAt…]`. `srcWords`/`dstWords` are
 * `wordsOf(src.buffer)`/`wordsOf(dst.buffer)`.
 */
export function copyFrame(
  dst: Uint8Array,
  dstWords: Uint32Array,
  dstAt: number,
  src: Uint8Array,
  srcWords: Uint32Array,
  srcAt: number,
  length: number,
): void {
  const d = dst.byteOffset + dstAt;
  const s = src.byteOffset + srcAt;
  let k = 0;
  if (((d | s) & 3) === 0) {
    const n = length >>> 2;
    const dw = d >>> 2;
    const sw = s >>> 2;
    for (; k < n; k++) dstWords[dw + k] = srcWords[sw + k]!;
    k = n << 2;
  }
  for (; k < length; k++) dst[dstAt + k] = src[srcAt + k]!;
}
