import {
  ascii,
  CLASS,
  equalsIn,
  mayChangeCaseIn,
  PARAM_VALUE,
  quotedEndIn,
  type ScanText,
  scanText,
  skipWsIn,
  TOKEN as TOKEN_CLASS,
} from './scan-text.js';

/**
 * Character classes and small scanners of the RFC 3261 §25.1 grammar, shared by the message parsers.
 * Lookup tables instead of regular expressions: these run for every header of every message.
 */

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
const TOKEN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") {
  TOKEN[c.charCodeAt(0)] = 1;
}

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Parses 1*DIGIT (leading zeros allowed) with an upper bound; returns -1 when invalid. */
export function parseBoundedInt(s: string, max: number): number {
  if (!isDigits(s)) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    v = v * 10 + (s.charCodeAt(i) - 48);
    if (v > max) return -1;
  }
  return v;
}

export function isWs(code: number): boolean {
  return code === 32 || code === 9;
}

/** Trims SP and HTAB (LWS after unfolding) from both ends. */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Index of the end of a quoted-string starting at `start` (which holds `"`), i.e. of its closing
 * quote; -1 if unterminated. RFC 3261 §25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F).
 */
export function quotedEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) {
      i++;
      continue;
    }
    if (c === 34) return i;
  }
  return -1;
}

/** Removes the quotes and quoted-pair escapes of a quoted-string. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 34) return s;
  const inner = s.slice(1, -1);
  return inner.indexOf('\\') < 0 ? inner : inner.replace(/\\(.)/gs, '$1');
}

/** Quotes a string for use as a quoted-string, escaping `"` and `\`. */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Splits a header value at the top-level commas of a `#element` list, honouring quoted strings
 * and `<…>` (commas inside a URI are not separators). Empty elements are dropped (RFC 7230's
 * list rule, which RFC 3261 implementations tolerate).
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') < 0) {
    const t = trimWs(value);
    return t.length ? [t] : [];
  }
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) {
      const e = quotedEnd(value, i);
      if (e < 0) break;
      i = e;
    } else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) {
      const t = trimWs(value.slice(start, i));
      if (t.length) out.push(t);
      start = i + 1;
    }
  }
  const t = trimWs(value.slice(start));
  if (t.length) out.push(t);
  return out;
}

/** Splits at `sep` outside quoted strings. */
export function splitOutsideQuotes(value: string, sep: number): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) {
      const e = quotedEnd(value, i);
      if (e < 0) return [...out, value.slice(start)];
      i = e;
    } else if (c === sep) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

/** Generic parameters: `;name[=value]` pairs; names are lower-cased, values kept as written. */
export type Params = Map<string, string | null>;

/**
 * Parses `*( SEMI generic-param )` (the text after the first `;`). Returns false when a
 * parameter name is not a token or a quoted value is unterminated.
 * generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string
 */
export function parseParams(text: string, into: Params): boolean {
  return parseParamsIn(scanText(text), 0, text.length, into);
}

/**
 * `parseParams` over `[from, n)` of a scanned text, in one pass: each parameter is
 * [LWS] token [LWS] [ "=" [LWS] ( quoted-string / 1*value-char ) [LWS] ] up to ';' or the end.
 * An empty one (as in ";;" or a trailing ";") is refused.
 */
export function parseParamsIn(t: ScanText, from: number, n: number, into: Params): boolean {
  const b = t.b;
  const o = t.o;
  let i = from;
  for (;;) {
    i = skipWsIn(t, i, n);
    const na = i;
    while (i < n && (CLASS[b[o + i] as number] as number) & TOKEN_CLASS) i++;
    const nb = i;
    if (na === nb) return false;
    i = skipWsIn(t, i, n);
    let value: string | null = null;
    if (i < n && b[o + i] === 61) {
      const va = skipWsIn(t, i + 1, n);
      let vb: number;
      if (va < n && b[o + va] === 34) {
        const q = quotedEndIn(t, va, n);
        if (q < 0) return false;
        vb = q + 1;
      } else {
        vb = va;
        while (vb < n && (CLASS[b[o + vb] as number] as number) & PARAM_VALUE) vb++;
        if (vb === va) return false;
      }
      value = t.s.slice(va, vb);
      i = skipWsIn(t, vb, n);
    }
    if (i < n && b[o + i] !== 59) return false;
    into.set(paramName(t, na, nb), value);
    if (i >= n) return true;
    i++;
  }
}

const BRANCH = ascii('branch');
const TAG = ascii('tag');
const RPORT = ascii('rport');
const RECEIVED = ascii('received');
const TRANSPORT = ascii('transport');
const LR = ascii('lr');

/** A parameter name (a token) lower-cased; the common ones without allocating. */
export function paramName(t: ScanText, a: number, z: number): string {
  switch (z - a) {
    case 2:
      if (equalsIn(t, a, z, LR)) return 'lr';
      break;
    case 3:
      if (equalsIn(t, a, z, TAG)) return 'tag';
      break;
    case 5:
      if (equalsIn(t, a, z, RPORT)) return 'rport';
      break;
    case 6:
      if (equalsIn(t, a, z, BRANCH)) return 'branch';
      break;
    case 8:
      if (equalsIn(t, a, z, RECEIVED)) return 'received';
      break;
    case 9:
      if (equalsIn(t, a, z, TRANSPORT)) return 'transport';
      break;
  }
  const name = t.s.slice(a, z);
  return mayChangeCaseIn(t, a, z) ? name.toLowerCase() : name;
}

export function serializeParams(params: Params): string {
  let s = '';
  for (const [k, v] of params) s += v === null ? `;${k}` : `;${k}=${v}`;
  return s;
}

/** hostname / IPv4address (RFC 3261 §25.1): alphanumerics, '-' and '.', not starting with '-' or '.'. */
export function isHostname(s: string): boolean {
  if (s.length === 0) return false;
  const f = s.charCodeAt(0);
  if (f === 45 || f === 46) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum && c !== 45 && c !== 46 && c !== 95) return false;
  }
  return true;
}

/** IPv6reference = "[" IPv6address "]" (hex digits, ':' and an optional dotted IPv4 tail). */
export function isIpv6Reference(s: string): boolean {
  if (s.length < 4 || s.charCodeAt(0) !== 91 || s.charCodeAt(s.length - 1) !== 93) return false;
  let colons = 0;
  for (let i = 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) colons++;
    else if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46))
      return false;
  }
  if (colons < 2 || colons > 7) return false;
  return s.indexOf(':::') < 0 && s.indexOf('::') === s.lastIndexOf('::');
}
