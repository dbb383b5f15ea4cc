import {
  isHostname,
  isIpv6Reference,
  isToken,
  isWs,
  type Params,
  parseBoundedInt,
  parseParams,
  serializeParams,
  trimWs,
} from './grammar.js';

/**
 * One Via value (RFC 3261 §20.42, §25.1):
 *
 *   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *   sent-by = host [ COLON port ]
 *
 * SLASH and COLON allow LWS around them, so `SIP / 2.0 / UDP` is valid (RFC 4475 §3.1.1.1).
 */
export interface Via {
  /** Upper-cased transport: UDP, TCP, TLS, SCTP, WS, WSS, or any token. */
  transport: string;
  host: string;
  port: number | undefined;
  params: Params;
}

export type ViaResult = { ok: true; value: Via } | { ok: false; reason: string };

/** RFC 3261 §8.1.1.7: "The branch ID inserted by an element compliant with this specification MUST always begin with the characters "z9hG4bK"." */
export const MAGIC_COOKIE = 'z9hG4bK';

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** End of a sent-protocol word: stops at '/', LWS, ';' or ':'. */
function wordEnd(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 47 || c === 32 || c === 9 || c === 59 || c === 58) break;
    i++;
  }
  return i;
}

export function parseVia(s: string): ViaResult {
  let i = skipWs(s, 0);
  let e = wordEnd(s, i);
  const name = s.slice(i, e);
  i = skipWs(s, e);
  if (s.charCodeAt(i) !== 47) return { ok: false, reason: 'bad Via sent-protocol' };
  i = skipWs(s, i + 1);
  e = wordEnd(s, i);
  const version = s.slice(i, e);
  i = skipWs(s, e);
  if (s.charCodeAt(i) !== 47) return { ok: false, reason: 'bad Via sent-protocol' };
  i = skipWs(s, i + 1);
  e = wordEnd(s, i);
  const transport = s.slice(i, e);
  i = e;
  if (!(name === 'SIP' || name.toUpperCase() === 'SIP') || version !== '2.0' || !isToken(transport)) {
    return { ok: false, reason: 'bad Via sent-protocol' };
  }
  if (!isWs(s.charCodeAt(i))) return { ok: false, reason: 'bad Via sent-by' };
  i = skipWs(s, i);
  const semi = s.indexOf(';', i);
  const sentBy = trimWs(semi < 0 ? s.slice(i) : s.slice(i, semi));
  let host = sentBy;
  let port: number | undefined;
  if (sentBy.charCodeAt(0) === 91) {
    const close = sentBy.indexOf(']');
    if (close < 0) return { ok: false, reason: 'bad Via IPv6 reference' };
    host = sentBy.slice(0, close + 1);
    const after = trimWs(sentBy.slice(close + 1));
    if (after.length) {
      if (after.charCodeAt(0) !== 58) return { ok: false, reason: 'bad Via sent-by' };
      port = parseBoundedInt(trimWs(after.slice(1)), 65535);
      if (port < 0) return { ok: false, reason: 'bad Via port' };
    }
    if (!isIpv6Reference(host)) return { ok: false, reason: 'bad Via IPv6 reference' };
  } else {
    const c = sentBy.indexOf(':');
    if (c >= 0) {
      host = trimWs(sentBy.slice(0, c));
      port = parseBoundedInt(trimWs(sentBy.slice(c + 1)), 65535);
      if (port < 0) return { ok: false, reason: 'bad Via port' };
    }
    if (!isHostname(host)) return { ok: false, reason: 'bad Via host' };
  }
  const params: Params = new Map();
  if (semi >= 0 && !parseParams(s.slice(semi + 1), params)) return { ok: false, reason: 'bad Via parameter' };
  const t = transport === 'UDP' || transport === 'TCP' ? transport : transport.toUpperCase();
  return { ok: true, value: { transport: t, host, port, params } };
}

export function serializeVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${serializeParams(v.params)}`;
}

export function viaBranch(v: Via): string | undefined {
  return v.params.get('branch') ?? undefined;
}

/** sent-by as `host:port` (default port per transport), used in transaction keys. */
export function viaSentBy(v: Via): string {
  const port = v.port ?? (v.transport === 'TLS' || v.transport === 'WSS' ? 5061 : 5060);
  return `${v.host.toLowerCase()}:${port}`;
}
