import {
  isTokenChar,
  isWs,
  type Params,
  parseParams,
  quote,
  quotedEnd,
  serializeParams,
  trimWs,
  unquote,
} from './grammar.js';
import { parseUri, serializeUri, type Uri } from './sip-uri.js';

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
  const s = trimWs(text);
  let displayName: string | undefined;
  let uriText: string;
  let rest: string;
  const lt = findAngle(s);
  if (lt === -2) return { ok: false, reason: 'unterminated quoted display name' };
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) return { ok: false, reason: 'missing ">"' };
    const dn = trimWs(s.slice(0, lt));
    if (dn.length) {
      if (dn.charCodeAt(0) === 34) {
        if (quotedEnd(dn, 0) !== dn.length - 1) return { ok: false, reason: 'bad quoted display name' };
        displayName = unquote(dn);
      } else {
        // *(token LWS)
        for (let i = 0; i < dn.length; i++) {
          const c = dn.charCodeAt(i);
          if (!isTokenChar(c) && !isWs(c))
            return { ok: false, reason: 'non-token character in display name' };
        }
        displayName = dn;
      }
    }
    uriText = s.slice(lt + 1, gt);
    rest = s.slice(gt + 1);
  } else {
    // addr-spec: the URI ends at the first ';' (parameters belong to the header), and may not
    // carry '?' headers or ',' (RFC 3261 §20: such a URI must be enclosed in "<" and ">").
    const semi = s.indexOf(';');
    uriText = semi < 0 ? s : s.slice(0, semi);
    rest = semi < 0 ? '' : s.slice(semi);
    if (/[?,]/.test(uriText)) return { ok: false, reason: 'URI with "?" or "," must be enclosed in <>' };
    uriText = trimWs(uriText);
  }
  const u = parseUri(uriText);
  if (!u.ok) return { ok: false, reason: u.reason };
  const params: Params = new Map();
  const r = trimWs(rest);
  if (r.length) {
    if (r.charCodeAt(0) !== 59) return { ok: false, reason: 'garbage after URI' };
    if (!parseParams(r.slice(1), params)) return { ok: false, reason: 'bad header parameter' };
  }
  return { ok: true, value: { displayName, uri: u.uri, params } };
}

/** Index of the `<` that opens the URI (outside a quoted display name); -1 if none, -2 if unterminated quote. */
function findAngle(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      const e = quotedEnd(s, i);
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
