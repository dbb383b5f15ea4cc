/**
 * Frame copies on the per-packet path (jitter-buffer push, leg emit): 32-bit words where both ends
 * are 4-byte aligned in their memory, then the tail bytes; a byte copy otherwise. Word views are
 * made once per memory (ArrayBuffer). Callers keep the last source *object* with its words and its
 * `byteOffset` and look them up only when the source object changes, so the steady path allocates
 * nothing, does no lookup and reads no typed-array getter (`buffer`, `byteOffset`: builtin calls
 * that V8 does not inline when one call site sees both `Buffer` and `Uint8Array` receivers).
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
 * Copies `length` bytes from `src[srcAt…]` to `dst[dstAt…]`. `dstWords`/`srcWords` are 32-bit views
 * of the same memory as `dst`/`src`, and `dstBase`/`srcBase` are where byte 0 of `dst`/`src` lies in
 * them, in bytes: with `dstWords = wordsOf(dst.buffer)`, `dstBase = dst.byteOffset`.
 */
export function copyFrame(
  dst: Uint8Array,
  dstWords: Uint32Array,
  dstBase: number,
  dstAt: number,
  src: Uint8Array,
  srcWords: Uint32Array,
  srcBase: number,
  srcAt: number,
  length: number,
): void {
  const d = dstBase + dstAt;
  const s = srcBase + srcAt;
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
