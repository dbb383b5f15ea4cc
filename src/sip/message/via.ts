import { isIpv6Reference, type Params, parseParamsIn, serializeParams } from './grammar.js';
import {
  allIn,
  ascii,
  CLASS,
  equalsIn,
  HOST,
  indexOfIn,
  mayChangeCaseIn,
  parseIntIn,
  type ScanText,
  scanText,
  skipWsIn,
  TOKEN,
  trimEndIn,
  WS,
} from './scan-text.js';

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

export function parseVia(s: string): ViaResult {
  return parseViaIn(scanText(s), 0, s.length);
}

const UDP = ascii('UDP');
const TCP = ascii('TCP');

/** End of a sent-protocol word: stops at '/', LWS, ';' or ':'. */
function wordEnd(t: ScanText, i: number, end: number): number {
  const b = t.b;
  const o = t.o;
  while (i < end) {
    const c = b[o + i];
    if (c === 47 || c === 32 || c === 9 || c === 59 || c === 58) break;
    i++;
  }
  return i;
}

/** protocol-name = "SIP" / token, of which only SIP (in any case) is understood. */
function isSip(t: ScanText, a: number, z: number): boolean {
  const b = t.b;
  const o = t.o;
  if (z - a === 3 && ((b[o + a] as number) | 32) === 115 && ((b[o + a + 1] as number) | 32) === 105) {
    if (((b[o + a + 2] as number) | 32) === 112) return true;
  }
  // Non-ASCII letters may upper-case to ASCII ones (U+017F is "S" upper-cased).
  return mayChangeCaseIn(t, a, z) && t.s.slice(a, z).toUpperCase() === 'SIP';
}

/** `parseVia` over `[start, end)` of a scanned text (one via-parm, no comma). */
export function parseViaIn(t: ScanText, start: number, end: number): ViaResult {
  const b = t.b;
  const o = t.o;
  const s = t.s;
  let i = skipWsIn(t, start, end);
  let e = wordEnd(t, i, end);
  const nameOk = isSip(t, i, e);
  i = skipWsIn(t, e, end);
  if (i >= end || b[o + i] !== 47) return { ok: false, reason: 'bad Via sent-protocol' };
  i = skipWsIn(t, i + 1, end);
  e = wordEnd(t, i, end);
  const versionOk = e - i === 3 && b[o + i] === 50 && b[o + i + 1] === 46 && b[o + i + 2] === 48;
  i = skipWsIn(t, e, end);
  if (i >= end || b[o + i] !== 47) return { ok: false, reason: 'bad Via sent-protocol' };
  i = skipWsIn(t, i + 1, end);
  e = wordEnd(t, i, end);
  const ta = i;
  const tz = e;
  i = e;
  if (!nameOk || !versionOk || !allIn(t, TOKEN, ta, tz)) {
    return { ok: false, reason: 'bad Via sent-protocol' };
  }
  if (i >= end || !((CLASS[b[o + i] as number] as number) & WS))
    return { ok: false, reason: 'bad Via sent-by' };
  i = skipWsIn(t, i, end);
  const semi = indexOfIn(t, 59, i, end);
  const sa = i;
  const sz = trimEndIn(t, sa, semi < 0 ? end : semi);
  let host: string;
  let port: number | undefined;
  if (sa < sz && b[o + sa] === 91) {
    const close = indexOfIn(t, 93, sa, sz);
    if (close < 0) return { ok: false, reason: 'bad Via IPv6 reference' };
    host = s.slice(sa, close + 1);
    const aa = skipWsIn(t, close + 1, sz);
    if (aa < sz) {
      if (b[o + aa] !== 58) return { ok: false, reason: 'bad Via sent-by' };
      const pa = skipWsIn(t, aa + 1, sz);
      port = parseIntIn(t, pa, sz, 65535);
      if (port < 0) return { ok: false, reason: 'bad Via port' };
    }
    if (!isIpv6Reference(host)) return { ok: false, reason: 'bad Via IPv6 reference' };
  } else {
    const c = indexOfIn(t, 58, sa, sz);
    let hz = sz;
    if (c >= 0) {
      hz = trimEndIn(t, sa, c);
      const pa = skipWsIn(t, c + 1, sz);
      port = parseIntIn(t, pa, sz, 65535);
      if (port < 0) return { ok: false, reason: 'bad Via port' };
    }
    if (!allIn(t, HOST, sa, hz) || b[o + sa] === 45 || b[o + sa] === 46) {
      return { ok: false, reason: 'bad Via host' };
    }
    host = s.slice(sa, hz);
  }
  const params: Params = new Map();
  if (semi >= 0 && !parseParamsIn(t, semi + 1, end, params))
    return { ok: false, reason: 'bad Via parameter' };
  const transport = equalsIn(t, ta, tz, UDP)
    ? 'UDP'
    : equalsIn(t, ta, tz, TCP)
      ? 'TCP'
      : s.slice(ta, tz).toUpperCase();
  return { ok: true, value: { transport, host, port, params } };
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
