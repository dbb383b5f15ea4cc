/**
 * Text as the parsers scan it: a string and its bytes side by side. Code unit `i` of `s` is byte
 * `b[o + i]`, so the scanners classify bytes (a typed-array read, several times cheaper than
 * `charCodeAt`) and slice the string only for the values they return. A non-ASCII code unit reads
 * as a byte >= 0x80: the SIP grammar gives those no meaning beyond "none of its ASCII classes".
 *
 * Ranges are half-open `[from, end)` in code units of `s`; nothing is read at or beyond `end`.
 */
export interface ScanText {
  readonly s: string;
  readonly b: Uint8Array;
  readonly o: number;
}

/** A string made scannable: its UTF-8 bytes when it is ASCII, else its code units clamped to 0x80. */
export function scanText(s: string): ScanText {
  const b = Buffer.from(s, 'utf8');
  return { s, b: b.length === s.length ? b : clampedBytes(s), o: 0 };
}

/**
 * `head` decoded from `buf[start, end)`: the bytes are used in place when every byte decoded to
 * exactly one code unit (UTF-8 sequences of 2 to 4 bytes, and invalid ones, shorten the text),
 * which is the case for any ASCII head.
 */
export function scanTextOf(head: string, buf: Uint8Array, start: number, end: number): ScanText {
  if (head.length === end - start) return { s: head, b: buf, o: start };
  return { s: head, b: clampedBytes(head), o: 0 };
}

function clampedBytes(s: string): Buffer {
  const b = Buffer.allocUnsafe(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[i] = c < 128 ? c : 0x80;
  }
  return b;
}

/** Byte classes of RFC 3261 §25.1. */
export const TOKEN = 1;
export const WS = 2;
/** hostname / IPv4address characters: alphanumerics, '-', '.', '_' */
export const HOST = 4;
export const DIGIT = 8;
/** Never unescaped in a SIP URI: controls, SP, `"`, `<`, `>`, DEL. */
export const URI_FORBIDDEN = 16;
/** gen-value of a parameter that is not quoted: token / host (IPv6 references carry ':' '[' ']'). */
export const PARAM_VALUE = 32;

/** Any byte but SP and HTAB. */
export const NOT_WS = 64;

/** The classes of each byte; 0 for every byte >= 0x80 but NOT_WS. */
export const CLASS = new Uint8Array(256);
function mark(chars: string | readonly number[], cls: number): void {
  for (const c of chars) {
    const code = typeof c === 'number' ? c : c.charCodeAt(0);
    CLASS[code] = (CLASS[code] as number) | cls;
  }
}
mark("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~", TOKEN | PARAM_VALUE);
mark('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._', HOST);
mark('0123456789', DIGIT);
mark([...Array.from({ length: 33 }, (_, c) => c), 34, 60, 62, 127], URI_FORBIDDEN);
mark(':[]', PARAM_VALUE);
mark(' \t', WS);
for (let c = 0; c < 256; c++) if (c !== 32 && c !== 9) CLASS[c] = (CLASS[c] as number) | NOT_WS;

/** Index of the first `byte` in `[from, end)`, or -1. */
export function indexOfIn(t: ScanText, byte: number, from: number, end: number): number {
  const b = t.b;
  const o = t.o;
  for (let i = from; i < end; i++) if (b[o + i] === byte) return i;
  return -1;
}

/** First index in `[from, end)` that is not SP or HTAB (`end` if none). */
export function skipWsIn(t: ScanText, from: number, end: number): number {
  const b = t.b;
  const o = t.o;
  let i = from;
  while (i < end && (CLASS[b[o + i] as number] as number) & WS) i++;
  return i;
}

/** One past the last index in `[from, end)` that is not SP or HTAB (`from` if none). */
export function trimEndIn(t: ScanText, from: number, end: number): number {
  const b = t.b;
  const o = t.o;
  let i = end;
  while (i > from && (CLASS[b[o + i - 1] as number] as number) & WS) i--;
  return i;
}

/** Whether every byte of `[from, end)` has `cls` (false for an empty range). */
export function allIn(t: ScanText, cls: number, from: number, end: number): boolean {
  if (from >= end) return false;
  const b = t.b;
  const o = t.o;
  for (let i = from; i < end; i++) if (((CLASS[b[o + i] as number] as number) & cls) === 0) return false;
  return true;
}

/** Whether `[from, end)` holds an ASCII upper-case letter or a non-ASCII code unit. */
export function mayChangeCaseIn(t: ScanText, from: number, end: number): boolean {
  const b = t.b;
  const o = t.o;
  for (let i = from; i < end; i++) {
    const c = b[o + i] as number;
    if ((c >= 65 && c <= 90) || c >= 128) return true;
  }
  return false;
}

/** Whether `[from, end)` equals the lower-case ASCII `lit` with ASCII case ignored. */
export function equalsLowerIn(t: ScanText, from: number, end: number, lit: Uint8Array): boolean {
  if (end - from !== lit.length) return false;
  const b = t.b;
  const o = from + t.o;
  for (let k = 0; k < lit.length; k++) {
    const c = b[o + k] as number;
    const l = lit[k] as number;
    if (c !== l && !(c >= 65 && c <= 90 && c + 32 === l)) return false;
  }
  return true;
}

/** Whether `[from, end)` equals `lit` byte for byte. */
export function equalsIn(t: ScanText, from: number, end: number, lit: Uint8Array): boolean {
  if (end - from !== lit.length) return false;
  const b = t.b;
  const o = from + t.o;
  for (let k = 0; k < lit.length; k++) if (b[o + k] !== lit[k]) return false;
  return true;
}

/** Parses 1*DIGIT (leading zeros allowed) in `[from, end)` with an upper bound; -1 when invalid. */
export function parseIntIn(t: ScanText, from: number, end: number, max: number): number {
  if (from >= end) return -1;
  const b = t.b;
  const o = t.o;
  let v = 0;
  for (let i = from; i < end; i++) {
    const d = (b[o + i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  // Checked after the loop: a too-long number still has to be all digits to count as "too large".
  return v > max ? -1 : v;
}

/**
 * Index of the closing quote of the quoted-string opening at `start` (which holds `"`), -1 if it
 * is not closed before `end`. RFC 3261 §25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F).
 */
export function quotedEndIn(t: ScanText, start: number, end: number): number {
  const b = t.b;
  const o = t.o;
  for (let i = start + 1; i < end; i++) {
    const c = b[o + i];
    if (c === 92) {
      i++;
      continue;
    }
    if (c === 34) return i;
  }
  return -1;
}

/** Bytes of an ASCII literal, for `equalsIn` / `equalsLowerIn`. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
