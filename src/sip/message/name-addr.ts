import { type Params, parseParamsIn, quote, serializeParams, unquote } from './grammar.js';
import {
  allIn,
  indexOfIn,
  quotedEndIn,
  type ScanText,
  scanText,
  skipWsIn,
  TOKEN,
  trimEndIn,
  WS,
} from './scan-text.js';
import { parseUriIn, serializeUri, type Uri } from './sip-uri.js';

/**
 * The value of From, To, Contact, Route, Record-Route, Reply-To… (RFC 3261 §20.10, §25.1):
 *
 *   ( name-addr / addr-spec ) *( SEMI param )
 *   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 *
 * RFC 3261 §20.10: "If the URI is not enclosed in angle brackets, any semicolon-delimited
 * parameters are header-parameters, not URI parameters."
 */
export interface NameAddr {
  /** The display name, unquoted; undefined when absent. */
  displayName: string | undefined;
  uri: Uri;
  /** Header parameters (`tag`, `expires`, `q`, …). */
  params: Params;
}

export type NameAddrResult = { ok: true; value: NameAddr } | { ok: false; reason: string };

export function parseNameAddr(text: string): NameAddrResult {
  return parseNameAddrIn(scanText(text), 0, text.length);
}

/** `parseNameAddr` over `[start, end)` of a scanned text. */
export function parseNameAddrIn(t: ScanText, start: number, end: number): NameAddrResult {
  const b = t.b;
  const o = t.o;
  const s = t.s;
  const a = skipWsIn(t, start, end);
  const z = trimEndIn(t, a, end);
  let displayName: string | undefined;
  let ua: number;
  let uz: number;
  let rest: number;
  const lt = findAngle(t, a, z);
  if (lt === -2) return { ok: false, reason: 'unterminated quoted display name' };
  if (lt >= 0) {
    const gt = indexOfIn(t, 62, lt, z);
    if (gt < 0) return { ok: false, reason: 'missing ">"' };
    const dz = trimEndIn(t, a, lt);
    if (dz > a) {
      if (b[o + a] === 34) {
        if (quotedEndIn(t, a, dz) !== dz - 1) return { ok: false, reason: 'bad quoted display name' };
        displayName = unquote(s.slice(a, dz));
      } else {
        // *(token LWS)
        if (!allIn(t, TOKEN | WS, a, dz)) return { ok: false, reason: 'non-token character in display name' };
        displayName = s.slice(a, dz);
      }
    }
    ua = lt + 1;
    uz = gt;
    rest = gt + 1;
  } else {
    // addr-spec: the URI ends at the first ';' (parameters belong to the header), and may not
    // carry '?' headers or ',' (RFC 3261 §20: such a URI must be enclosed in "<" and ">").
    const semi = indexOfIn(t, 59, a, z);
    uz = semi < 0 ? z : semi;
    rest = uz;
    if (indexOfIn(t, 63, a, uz) >= 0 || indexOfIn(t, 44, a, uz) >= 0) {
      return { ok: false, reason: 'URI with "?" or "," must be enclosed in <>' };
    }
    ua = a;
    uz = trimEndIn(t, ua, uz);
  }
  const u = parseUriIn(t, ua, uz);
  if (!u.ok) return { ok: false, reason: u.reason };
  const params: Params = new Map();
  const ra = skipWsIn(t, rest, z);
  if (ra < z) {
    if (b[o + ra] !== 59) return { ok: false, reason: 'garbage after URI' };
    if (!parseParamsIn(t, ra + 1, z, params)) return { ok: false, reason: 'bad header parameter' };
  }
  return { ok: true, value: { displayName, uri: u.uri, params } };
}

/** Index of the `<` that opens the URI (outside a quoted display name); -1 if none, -2 if unterminated quote. */
function findAngle(t: ScanText, a: number, z: number): number {
  const b = t.b;
  const o = t.o;
  for (let i = a; i < z; i++) {
    const c = b[o + i];
    if (c === 34) {
      const e = quotedEndIn(t, i, z);
      if (e < 0) return -2;
      i = e;
    } else if (c === 60) return i;
    else if (c === 59) return -1;
  }
  return -1;
}

export function serializeNameAddr(na: NameAddr): string {
  let s = '';
  if (na.displayName !== undefined) s = `${quote(na.displayName)} `;
  return `${s}<${serializeUri(na.uri)}>${serializeParams(na.params)}`;
}

export function nameAddr(uri: Uri, displayName?: string, params?: Record<string, string | null>): NameAddr {
  return { displayName, uri, params: new Map(Object.entries(params ?? {})) };
}
