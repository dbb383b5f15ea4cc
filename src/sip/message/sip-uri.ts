import { isHostname, isIpv6Reference, parseBoundedInt } from './grammar.js';

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

/** Characters SIP URIs never carry unescaped (§25.1: no LWS, controls, `"`, `<`, `>`). */
function hasForbidden(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 34 || c === 60 || c === 62 || c === 127) return true;
  }
  return false;
}

export function parseUri(text: string): UriResult {
  if (hasForbidden(text)) return { ok: false, reason: 'URI contains whitespace or a forbidden character' };
  const colon = text.indexOf(':');
  if (colon <= 0) return { ok: false, reason: 'URI has no scheme' };
  const raw = text.slice(0, colon);
  const scheme = raw === 'sip' || raw === 'sips' ? raw : raw.toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && !SCHEME.test(scheme))
    return { ok: false, reason: 'bad URI scheme' };
  const rest = text.slice(colon + 1);
  if (scheme !== 'sip' && scheme !== 'sips') {
    if (rest.length === 0) return { ok: false, reason: 'empty URI' };
    return { ok: true, uri: { kind: 'absolute', scheme, opaque: rest } };
  }
  // The userinfo ends at the first '@': neither host, parameters nor headers may hold one unescaped.
  const at = rest.indexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  let hp = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    hp = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    password = pc < 0 ? undefined : userinfo.slice(pc + 1);
    if (user.length === 0) return { ok: false, reason: 'empty user part' };
  }
  let headers: string | undefined;
  const q = hp.indexOf('?');
  if (q >= 0) {
    headers = hp.slice(q + 1);
    hp = hp.slice(0, q);
  }
  const params = new Map<string, string | null>();
  const semi = hp.indexOf(';');
  if (semi >= 0) {
    let i = semi + 1;
    while (i <= hp.length) {
      let end = hp.indexOf(';', i);
      if (end < 0) end = hp.length;
      if (end > i) {
        const eq = hp.indexOf('=', i);
        const nameEnd = eq >= 0 && eq < end ? eq : end;
        if (nameEnd === i) return { ok: false, reason: 'empty URI parameter name' };
        const raw = hp.slice(i, nameEnd);
        params.set(
          raw === raw.toLowerCase() ? raw : raw.toLowerCase(),
          nameEnd === end ? null : hp.slice(nameEnd + 1, end),
        );
      }
      i = end + 1;
    }
    hp = hp.slice(0, semi);
  }
  let host = hp;
  let port: number | undefined;
  if (hp.charCodeAt(0) === 91) {
    const close = hp.indexOf(']');
    if (close < 0) return { ok: false, reason: 'unterminated IPv6 reference' };
    host = hp.slice(0, close + 1);
    const after = hp.slice(close + 1);
    if (after.length) {
      if (after.charCodeAt(0) !== 58) return { ok: false, reason: 'garbage after IPv6 reference' };
      port = parseBoundedInt(after.slice(1), 65535);
      if (port < 0) return { ok: false, reason: 'bad port' };
    }
    if (!isIpv6Reference(host)) return { ok: false, reason: 'bad IPv6 reference' };
  } else {
    const pc = hp.lastIndexOf(':');
    if (pc >= 0) {
      host = hp.slice(0, pc);
      port = parseBoundedInt(hp.slice(pc + 1), 65535);
      if (port < 0) return { ok: false, reason: 'bad port' };
    }
    // RFC 5118 §4.10: an IPv6 address outside brackets is not a valid host.
    if (!isHostname(host)) return { ok: false, reason: 'bad host' };
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
