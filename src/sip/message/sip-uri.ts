import { isIpv6Reference, paramName } from './grammar.js';
import {
  allIn,
  ascii,
  CLASS,
  equalsLowerIn,
  HOST,
  indexOfIn,
  parseIntIn,
  type ScanText,
  scanText,
  URI_FORBIDDEN,
} from './scan-text.js';

/**
 * SIP and SIPS URIs (RFC 3261 §19.1, §25.1) with IPv6 references (RFC 5118), and any other
 * absoluteURI kept opaque (e.g. `tel:`, or an unknown scheme a UAS answers with 416).
 *
 *   SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
 *   userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
 *   hostport = host [ ":" port ];  host = hostname / IPv4address / IPv6reference
 */
export interface SipUri {
  readonly kind: 'sip';
  scheme: 'sip' | 'sips';
  /** The user part as written (escapes kept; compare with `uriEquals`). */
  user: string | undefined;
  password: string | undefined;
  /** Host; IPv6 references keep their brackets, e.g. `[2001:db8::10]`. */
  host: string;
  port: number | undefined;
  /** uri-parameters, names lower-cased; `null` for a parameter without value (`;lr`). */
  params: Map<string, string | null>;
  /** `?name=value&…` headers, as written. */
  headers: string | undefined;
}

export interface AbsoluteUri {
  readonly kind: 'absolute';
  scheme: string;
  /** Everything after `scheme:`. */
  opaque: string;
}

export type Uri = SipUri | AbsoluteUri;

/** Thrown-free result: the URI or a reason. */
export type UriResult = { ok: true; uri: Uri } | { ok: false; reason: string };

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

export function parseUri(text: string): UriResult {
  return parseUriIn(scanText(text), 0, text.length);
}

const SIP = ascii('sip');
const SIPS = ascii('sips');

/** `parseUri` over `[start, end)` of a scanned text. */
export function parseUriIn(t: ScanText, start: number, end: number): UriResult {
  const b = t.b;
  const o = t.o;
  const s = t.s;
  // One pass: §25.1 forbids LWS, controls, `"`, `<`, `>` unescaped anywhere; the scheme ends at the
  // first ':'; the userinfo at the first '@' after it (neither host, parameters nor headers may
  // hold one unescaped); the headers start at the first '?' after that, the parameters at the
  // first ';' before the headers; the port follows the last ':' of the hostport.
  let colon = -1;
  let at = -1;
  let q = -1;
  let semi = -1;
  let lastColon = -1;
  for (let i = start; i < end; i++) {
    const c = b[o + i] as number;
    if ((CLASS[c] as number) & URI_FORBIDDEN) {
      return { ok: false, reason: 'URI contains whitespace or a forbidden character' };
    }
    if (colon < 0) {
      if (c === 58) colon = i;
    } else if (c === 58) {
      if (q < 0 && semi < 0) lastColon = i;
    } else if (c === 64) {
      if (at < 0) {
        at = i;
        q = -1;
        semi = -1;
        lastColon = -1;
      }
    } else if (c === 63) {
      if (q < 0) q = i;
    } else if (c === 59) {
      if (q < 0 && semi < 0) semi = i;
    }
  }
  if (colon <= start) return { ok: false, reason: 'URI has no scheme' };
  let scheme: string;
  if (equalsLowerIn(t, start, colon, SIP)) scheme = 'sip';
  else if (equalsLowerIn(t, start, colon, SIPS)) scheme = 'sips';
  else {
    scheme = s.slice(start, colon).toLowerCase();
    if (scheme !== 'sip' && scheme !== 'sips' && !SCHEME.test(scheme))
      return { ok: false, reason: 'bad URI scheme' };
  }
  if (scheme !== 'sip' && scheme !== 'sips') {
    if (colon + 1 === end) return { ok: false, reason: 'empty URI' };
    return { ok: true, uri: { kind: 'absolute', scheme, opaque: s.slice(colon + 1, end) } };
  }
  let user: string | undefined;
  let password: string | undefined;
  let hp = colon + 1;
  if (at >= 0) {
    const pc = indexOfIn(t, 58, colon + 1, at);
    if ((pc < 0 ? at : pc) === colon + 1) return { ok: false, reason: 'empty user part' };
    user = s.slice(colon + 1, pc < 0 ? at : pc);
    password = pc < 0 ? undefined : s.slice(pc + 1, at);
    hp = at + 1;
  }
  let headers: string | undefined;
  let hpEnd = end;
  if (q >= 0) {
    headers = s.slice(q + 1, end);
    hpEnd = q;
  }
  const params = new Map<string, string | null>();
  if (semi >= 0) {
    let i = semi + 1;
    while (i <= hpEnd) {
      let pe = indexOfIn(t, 59, i, hpEnd);
      if (pe < 0) pe = hpEnd;
      if (pe > i) {
        const eq = indexOfIn(t, 61, i, pe);
        const nameEnd = eq >= 0 ? eq : pe;
        if (nameEnd === i) return { ok: false, reason: 'empty URI parameter name' };
        params.set(paramName(t, i, nameEnd), nameEnd === pe ? null : s.slice(nameEnd + 1, pe));
      }
      i = pe + 1;
    }
    hpEnd = semi;
  }
  let host: string;
  let port: number | undefined;
  if (hp < hpEnd && b[o + hp] === 91) {
    const close = indexOfIn(t, 93, hp, hpEnd);
    if (close < 0) return { ok: false, reason: 'unterminated IPv6 reference' };
    host = s.slice(hp, close + 1);
    if (close + 1 < hpEnd) {
      if (b[o + close + 1] !== 58) return { ok: false, reason: 'garbage after IPv6 reference' };
      port = parseIntIn(t, close + 2, hpEnd, 65535);
      if (port < 0) return { ok: false, reason: 'bad port' };
    }
    if (!isIpv6Reference(host)) return { ok: false, reason: 'bad IPv6 reference' };
  } else {
    const pc = lastColon;
    let hostEnd = hpEnd;
    if (pc >= 0) {
      hostEnd = pc;
      port = parseIntIn(t, pc + 1, hpEnd, 65535);
      if (port < 0) return { ok: false, reason: 'bad port' };
    }
    // RFC 5118 §4.10: an IPv6 address outside brackets is not a valid host.
    if (!allIn(t, HOST, hp, hostEnd) || b[o + hp] === 45 || b[o + hp] === 46) {
      return { ok: false, reason: 'bad host' };
    }
    host = s.slice(hp, hostEnd);
  }
  return { ok: true, uri: { kind: 'sip', scheme, user, password, host, port, params, headers } };
}

/** Parses a URI that must be a SIP/SIPS URI; throws a TypeError for programming errors. */
export function sipUri(text: string): SipUri {
  const r = parseUri(text);
  if (!r.ok) throw new TypeError(`invalid SIP URI ${JSON.stringify(text)}: ${r.reason}`);
  if (r.uri.kind !== 'sip') throw new TypeError(`not a SIP URI: ${text}`);
  return r.uri;
}

export function serializeUri(uri: Uri): string {
  if (uri.kind === 'absolute') return `${uri.scheme}:${uri.opaque}`;
  let s = `${uri.scheme}:`;
  if (uri.user !== undefined)
    s += uri.password !== undefined ? `${uri.user}:${uri.password}@` : `${uri.user}@`;
  s += uri.host;
  if (uri.port !== undefined) s += `:${uri.port}`;
  for (const [k, v] of uri.params) s += v === null ? `;${k}` : `;${k}=${v}`;
  if (uri.headers !== undefined) s += `?${uri.headers}`;
  return s;
}

/** Decodes %HH escapes; invalid escapes are left as written. */
export function unescapeUri(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  }
}

/**
 * RFC 3261 §19.1.4 URI comparison (the parts a UA needs): scheme, user (case-sensitive,
 * after unescaping), host (case-insensitive), port, and the transport/user/ttl/method/maddr
 * parameters when present in either.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'absolute' || b.kind === 'absolute') {
    return a.kind === 'absolute' && b.kind === 'absolute' && a.scheme === b.scheme && a.opaque === b.opaque;
  }
  if (a.scheme !== b.scheme) return false;
  if ((a.user === undefined) !== (b.user === undefined)) return false;
  if (a.user !== undefined && unescapeUri(a.user) !== unescapeUri(b.user ?? '')) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase()) return false;
  if (a.port !== b.port) return false;
  for (const p of ['transport', 'user', 'ttl', 'method', 'maddr']) {
    const av = a.params.get(p);
    const bv = b.params.get(p);
    if ((av !== undefined || bv !== undefined) && av?.toLowerCase() !== bv?.toLowerCase()) return false;
  }
  return true;
}
