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
 * Parses `*( SEMI generic-param )` (the text after the first `;`). Returns undefined when a
 * parameter name is not a token or a quoted value is unterminated.
 * generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string
 */
export function parseParams(text: string, into: Params): boolean {
  let i = 0;
  const n = text.length;
  while (i <= n) {
    // One parameter (an empty one, as in ";;" or a trailing ";", is refused): [LWS] name [LWS] [= [LWS] value [LWS]] up to ';' (outside quotes) or the end.
    let end = i;
    let eq = -1;
    while (end < n) {
      const c = text.charCodeAt(end);
      if (c === 59) break;
      if (c === 61 && eq < 0) eq = end;
      else if (c === 34) {
        const q = quotedEnd(text, end);
        if (q < 0) return false;
        end = q;
      }
      end++;
    }
    const name = trimWs(text.slice(i, eq < 0 ? end : eq));
    if (!isToken(name)) return false;
    let value: string | null = null;
    if (eq >= 0) {
      value = trimWs(text.slice(eq + 1, end));
      if (value.charCodeAt(0) === 34) {
        if (quotedEnd(value, 0) !== value.length - 1) return false;
      } else if (value.length === 0) return false;
      else {
        for (let k = 0; k < value.length; k++) {
          const c = value.charCodeAt(k);
          // token / host (IPv6 references carry ':' '[' ']').
          if (!isTokenChar(c) && c !== 58 && c !== 91 && c !== 93) return false;
        }
      }
    }
    into.set(name === name.toLowerCase() ? name : name.toLowerCase(), value);
    i = end + 1;
  }
  return true;
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
