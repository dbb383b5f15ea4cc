import { splitList, trimWs } from './grammar.js';
import { headerKey, headerKeyIn } from './header-names.js';
import { type NameAddr, parseNameAddrIn } from './name-addr.js';
import {
  allIn,
  ascii,
  CLASS,
  equalsIn,
  indexOfIn,
  NOT_WS,
  parseIntIn,
  type ScanText,
  scanText,
  scanTextOf,
  skipWsIn,
  TOKEN,
  trimEndIn,
  WS,
} from './scan-text.js';
import { ParsedHead, type SipMessage, SipRequest, SipResponse } from './sip-message.js';
import { type PartialMessage, SipParseError } from './sip-parse-error.js';
import { parseUriIn } from './sip-uri.js';
import { parseVia, parseViaIn } from './via.js';

export interface ParseOptions {
  /**
   * RFC 3261 §18.3: over message-oriented transports the Content-Length says how much of the
   * datagram is body. With `datagram: false` the input is one framed message (see StreamFramer).
   */
  readonly datagram?: boolean;
  /** Messages larger than this are refused with 513 (default 65,535 bytes). */
  readonly maxSize?: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 65_535;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
/** RFC 3261 §8.1.1.5: "The sequence number value MUST be expressible as a 32-bit unsigned integer and MUST be less than 2**31." */
const MAX_CSEQ = 2 ** 31 - 1;

/**
 * Parses one SIP message. Returns a SipRequest or SipResponse, or throws a SipParseError (and
 * nothing else: any unexpected failure is wrapped). Never loops on input: the work is linear.
 */
export function parseMessage(input: Buffer | string, options: ParseOptions = {}): SipRequest | SipResponse {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const maxSize = options.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (buf.length > maxSize) {
    // Keep what a 513 answer needs (Via, From, To, Call-ID, CSeq) from the first part of the head.
    throw new SipParseError('SIP_MESSAGE_TOO_LARGE', `${buf.length} bytes`, () => {
      const end = buf.indexOf(CRLFCRLF);
      return partialFromHead(buf.toString('utf8', 0, end < 0 ? Math.min(buf.length, 8192) : end));
    });
  }
  try {
    return parse(buf, options.datagram ?? true);
  } catch (err) {
    if (err instanceof SipParseError) throw err;
    throw new SipParseError('SIP_PARSE_ERROR', `unparseable (${(err as Error)?.message ?? 'unknown'})`);
  }
}

/** Builds what a responder needs from the raw head text (error path only: cheap enough). */
export function partialFromHead(head: string): PartialMessage {
  const lines = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  const first = lines[0] ?? '';
  const isRequest = !first.startsWith('SIP/');
  const method = isRequest ? first.split(' ')[0] : undefined;
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = headerKey(trimWs(line.slice(0, colon)));
    const value = trimWs(line.slice(colon + 1));
    const rows = headers.get(key);
    if (rows) rows.push(value);
    else headers.set(key, [value]);
  }
  return { isRequest, method, headers };
}

/**
 * Index of the line end (the CR of CRLF, or the LF when `sepLen` is 1) at or after `pos`, `headLen`
 * if none before it. A single-character search for LF is the cheaper one; a bare LF inside a
 * CRLF-separated line is skipped, as a search for "\r\n" would.
 */
function lineEnd(t: ScanText, pos: number, headLen: number, sepLen: number): number {
  const s = t.s;
  let lf = s.indexOf('\n', pos + sepLen - 1);
  if (sepLen === 2) while (lf >= 0 && t.b[t.o + lf - 1] !== 13) lf = s.indexOf('\n', lf + 1);
  const eol = lf - sepLen + 1;
  return lf < 0 || eol > headLen ? headLen : eol;
}

function fail(reason: string, head?: string): never {
  throw new SipParseError(
    'SIP_PARSE_ERROR',
    reason,
    head === undefined ? undefined : () => partialFromHead(head),
  );
}

/** `fail` with the head `[0, headLen)` of the scanned text, sliced only if the partial is asked for. */
function failIn(reason: string, t: ScanText, headLen: number): never {
  throw new SipParseError('SIP_PARSE_ERROR', reason, () => partialFromHead(t.s.slice(0, headLen)));
}

/**
 * Bytes decoded at once to find the end of the head: every typical message fits, and its head is
 * then found by a string search in the text the parser scans anyway (no second pass on the Buffer).
 */
const DECODE_AHEAD = 4096;

function parse(buf: Buffer, datagram: boolean): SipRequest | SipResponse {
  // RFC 3261 §7.5: "Implementations processing SIP messages over stream-oriented transports
  // MUST ignore any CRLF appearing before the start-line".
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) fail('empty message');
  // Tolerate bare-LF line endings when the first line ends with LF alone.
  let eol1 = start;
  while (eol1 < buf.length && buf[eol1] !== 10 && buf[eol1] !== 13) eol1++;
  const lfFirst = buf[eol1] === 10;
  let sep = '\r\n';
  let headEnd = -1;
  let bodyStart = -1;
  let t: ParsedHead | undefined;
  // Fast path: decode the first DECODE_AHEAD bytes; when each byte became one code unit (any
  // ASCII text) the text and the bytes line up and the head is searched in the text.
  const aheadEnd = buf.length - start <= DECODE_AHEAD ? buf.length : start + DECODE_AHEAD;
  const text = buf.toString('utf8', start, aheadEnd);
  if (text.length === aheadEnd - start) {
    const crlf = text.indexOf('\r\n\r\n');
    const lf = crlf < 0 || lfFirst ? text.indexOf('\n\n') : -1;
    // Both searches are exact within the text; only when neither found anything may the end lie beyond it.
    if (crlf >= 0 || lf >= 0 || aheadEnd === buf.length) {
      headEnd = crlf >= 0 ? start + crlf : -1;
      bodyStart = headEnd + 4;
      if (lf >= 0 && (crlf < 0 || lf < crlf)) {
        headEnd = start + lf;
        bodyStart = headEnd + 2;
        sep = '\n';
      }
      if (headEnd >= 0) t = new ParsedHead(text, buf, start, buf);
    }
  }
  if (t === undefined) {
    headEnd = buf.indexOf(CRLFCRLF, start);
    bodyStart = headEnd + 4;
    if (headEnd < 0 || lfFirst) {
      const lf = buf.indexOf(LFLF, start);
      if (lf >= 0 && (headEnd < 0 || lf < headEnd)) {
        headEnd = lf;
        bodyStart = lf + 2;
        sep = '\n';
      }
    }
    // RFC 4475 §3.1.2.13 (baddn): "It is reasonable always to reject this kind of error with a 400" — a
    // datagram whose headers run to its end still carries a Via, so the partial lets the transport answer.
    if (headEnd < 0)
      fail(
        'no empty line after the headers',
        buf.toString('utf8', start, Math.min(buf.length, start + 8192)),
      );
    const head = buf.toString('utf8', start, headEnd);
    const st = scanTextOf(head, buf, start, headEnd);
    t = new ParsedHead(head, st.b, st.o, buf);
  }
  // The head is [0, headLen) of t: its text may go on with the body (fast path) or hold fewer code
  // units than bytes (a non-ASCII head decoded alone).
  const headLen = t.s === text ? headEnd - start : t.s.length;
  const s = t.s;
  const b = t.b;
  const o = t.o;
  let firstEnd = s.indexOf(sep);
  if (firstEnd < 0 || firstEnd > headLen) firstEnd = headLen;
  const msg: SipMessage =
    firstEnd >= 4 && b[o] === 83 && b[o + 1] === 73 && b[o + 2] === 80 && b[o + 3] === 47
      ? parseStatusLine(t, firstEnd, headLen)
      : parseRequestLine(t, firstEnd, headLen);
  msg.lazy = t;
  const keys = t.keys;
  const ranges = t.ranges;
  let contentLength = -1;
  const via = msg.via;
  let haveFrom = false;
  let haveTo = false;
  let haveCallId = false;
  let haveCSeq = false;
  // RFC 3261 §7.3.1: "Header fields can be extended over multiple lines by preceding each extra
  // line with at least one space or horizontal tab." Folded lines are joined with one SP.
  const sepLen = sep.length;
  let pos = firstEnd < headLen ? firstEnd + sepLen : headLen;
  while (pos < headLen) {
    const eol = lineEnd(t, pos, headLen, sepLen);
    const lineStart = pos;
    pos = eol + sepLen;
    // field-name = token; HCOLON = *( SP / HTAB ) ":" SWS — scanned in place, without slicing the line.
    let ne = lineStart;
    let h = 0;
    for (; ne < eol; ne++) {
      const c = b[o + ne] as number;
      if (((CLASS[c] as number) & TOKEN) === 0) break;
      h = (h * 31 + (c | 32)) | 0;
    }
    if (ne === lineStart) failIn('bad header name', t, headLen);
    const colon = skipWsIn(t, ne, eol);
    if (colon >= eol || b[o + colon] !== 58) failIn('header line without a colon after its name', t, headLen);
    const key = headerKeyIn(t, lineStart, ne, h);
    // The value is [va, vz) of vt: the line itself, or the joined text of a folded header, which is
    // then kept as a string of its own (its range reads `ra = -1 - i`, see ParsedHead).
    let vt: ScanText = t;
    let va = skipWsIn(t, colon + 1, eol);
    let vz = trimEndIn(t, va, eol);
    let ra = va;
    let value: string | undefined;
    if (pos < headLen && (b[o + pos] === 32 || b[o + pos] === 9)) {
      // Folded continuation lines (rare): join them with one SP.
      value = s.slice(va, vz);
      while (pos < headLen && (b[o + pos] === 32 || b[o + pos] === 9)) {
        let e2 = s.indexOf(sep, pos);
        if (e2 < 0 || e2 > headLen) e2 = headLen;
        const part = trimWs(s.slice(pos, e2));
        value = value.length ? (part.length ? `${value} ${part}` : value) : part;
        pos = e2 + sepLen;
      }
      vt = scanText(value);
      va = 0;
      vz = value.length;
      ra = t.fold(value);
    }
    switch (key) {
      case 'via': {
        // One via-parm parses as a whole; a comma outside a quoted string never does, so only a
        // failed value is looked at as a list.
        const r = parseViaIn(vt, va, vz);
        if (r.ok) via.push(r.value);
        else if (indexOfIn(vt, 44, va, vz) < 0) failIn(r.reason, t, headLen);
        else {
          for (const v of splitList(value ?? s.slice(va, vz))) {
            const r = parseVia(v);
            if (!r.ok) failIn(r.reason, t, headLen);
            via.push(r.value);
          }
        }
        break;
      }
      case 'from':
        if (haveFrom) failIn('more than one From', t, headLen);
        msg.from = nameAddrOrFail(vt, va, vz, key, t, headLen);
        haveFrom = true;
        break;
      case 'to':
        if (haveTo) failIn('more than one To', t, headLen);
        msg.to = nameAddrOrFail(vt, va, vz, key, t, headLen);
        haveTo = true;
        break;
      case 'call-id':
        if (haveCallId) failIn('more than one Call-ID', t, headLen);
        if (!allIn(vt, NOT_WS, va, vz)) failIn('bad Call-ID', t, headLen);
        msg.callId = vt.s.slice(va, vz);
        haveCallId = true;
        break;
      case 'cseq': {
        if (haveCSeq) failIn('more than one CSeq', t, headLen);
        let sp = va;
        while (sp < vz && !((CLASS[vt.b[vt.o + sp] as number] as number) & WS)) sp++;
        const seq = parseIntIn(vt, va, sp, MAX_CSEQ);
        const ma = skipWsIn(vt, sp, vz);
        if (seq < 0 || sp === vz || !allIn(vt, TOKEN, ma, vz)) failIn('bad CSeq', t, headLen);
        msg.cseq = { seq, method: methodIn(vt, ma, vz) };
        haveCSeq = true;
        break;
      }
      case 'max-forwards': {
        // RFC 3261 §20.22: Max-Forwards = "Max-Forwards" HCOLON 1*DIGIT, 0-255 in practice.
        const mf = parseIntIn(vt, va, vz, 255);
        if (mf < 0 || msg.maxForwards !== undefined) failIn('bad Max-Forwards', t, headLen);
        msg.maxForwards = mf;
        break;
      }
      case 'content-length': {
        const cl = parseIntIn(vt, va, vz, 2 ** 31 - 1);
        if (cl < 0) failIn('bad Content-Length', t, headLen);
        if (contentLength >= 0 && cl !== contentLength)
          failIn('conflicting Content-Length values', t, headLen);
        contentLength = cl;
        break;
      }
      default:
        // Kept as a range: the header map is built on first access (SipMessage.headers).
        keys.push(key);
        ranges.push(ra, ra < 0 ? 0 : vz);
    }
  }
  if (via.length === 0) failIn('no Via', t, headLen);
  if (!haveFrom || !haveTo || !haveCallId || !haveCSeq) {
    failIn('missing one of the required header fields From, To, Call-ID, CSeq', t, headLen);
  }
  if (msg instanceof SipRequest && msg.cseq.method !== msg.method) {
    failIn('CSeq method does not match the request method', t, headLen);
  }
  const avail = buf.length - bodyStart;
  if (contentLength < 0) {
    // RFC 3261 §18.3: over a stream the Content-Length is mandatory; the framer supplied a slice.
    t.bodyStart = bodyStart;
    t.bodyEnd = buf.length;
    void datagram;
  } else {
    // RFC 3261 §18.3: "If the transport packet ends before the end of the message body, this is
    // considered an error. If the message is a response, it MUST be discarded. If the message is
    // a request, the element SHOULD generate a 400 (Bad Request) response." … "Any additional bytes
    // in the transport packet beyond the end of the body MUST be discarded."
    if (contentLength > avail) failIn('Content-Length larger than the message body', t, headLen);
    t.bodyStart = bodyStart;
    t.bodyEnd = bodyStart + contentLength;
  }
  return msg as SipRequest | SipResponse;
}

const METHODS = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'UPDATE',
  'REFER',
  'NOTIFY',
  'MESSAGE',
  'SUBSCRIBE',
  'PRACK',
  'PUBLISH',
].map((m) => ({ bytes: ascii(m), method: m }));

/** A method (a token) at `[a, z)`: the standard ones without slicing. */
function methodIn(t: ScanText, a: number, z: number): string {
  for (let k = 0; k < METHODS.length; k++) {
    const m = METHODS[k] as { bytes: Uint8Array; method: string };
    if (equalsIn(t, a, z, m.bytes)) return m.method;
  }
  return t.s.slice(a, z);
}

function nameAddrOrFail(
  vt: ScanText,
  a: number,
  z: number,
  key: string,
  t: ScanText,
  headLen: number,
): NameAddr {
  const r = parseNameAddrIn(vt, a, z);
  if (!r.ok) failIn(`bad ${key}: ${r.reason}`, t, headLen);
  return r.value;
}

const SIP_2_0 = ascii('SIP/2.0');

function badVersion(version: string, t: ScanText, headLen: number): never {
  if (/^SIP\/[0-9]+\.[0-9]+$/.test(version)) {
    throw new SipParseError('SIP_VERSION_NOT_SUPPORTED', `version ${version}`, () =>
      partialFromHead(t.s.slice(0, headLen)),
    );
  }
  failIn('bad SIP version', t, headLen);
}

/** The status line is `[0, end)` of `t` (which starts with "SIP/"); the head is `[0, headLen)`. */
function parseStatusLine(t: ScanText, end: number, headLen: number): SipResponse {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
  const s = t.s;
  const b = t.b;
  const o = t.o;
  const sp1 = indexOfIn(t, 32, 0, end);
  const ve = sp1 < 0 ? end : sp1;
  if (!equalsIn(t, 0, ve, SIP_2_0)) badVersion(s.slice(0, ve), t, headLen);
  const rs = sp1 + 1;
  const sp2 = indexOfIn(t, 32, rs, end);
  const ce = sp2 < 0 ? end : sp2;
  const c0 = (b[o + rs] as number) - 48;
  const c1 = (b[o + rs + 1] as number) - 48;
  const c2 = (b[o + rs + 2] as number) - 48;
  if (ce - rs !== 3 || c0 < 1 || c0 > 6 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9)
    failIn('bad status code', t, headLen);
  return new SipResponse(c0 * 100 + c1 * 10 + c2, sp2 < 0 ? '' : s.slice(sp2 + 1, end));
}

/** The request line is `[0, end)` of `t`; the head is `[0, headLen)`. */
function parseRequestLine(t: ScanText, end: number, headLen: number): SipRequest {
  // RFC 3261 §7.1: "The elements are separated by single space (SP) characters."
  const s = t.s;
  const sp1 = indexOfIn(t, 32, 0, end);
  const sp2 = sp1 < 0 ? -1 : indexOfIn(t, 32, sp1 + 1, end);
  const versionOk = sp2 >= 0 && equalsIn(t, sp2 + 1, end, SIP_2_0);
  if (sp1 <= 0 || sp2 < 0 || (!versionOk && indexOfIn(t, 32, sp2 + 1, end) >= 0)) {
    failIn('request line is not Method SP Request-URI SP SIP-Version', t, headLen);
  }
  if (!allIn(t, TOKEN, 0, sp1)) failIn('bad method', t, headLen);
  if (!versionOk) badVersion(s.slice(sp2 + 1, end), t, headLen);
  const method = methodIn(t, 0, sp1);
  const u = parseUriIn(t, sp1 + 1, sp2);
  if (!u.ok) failIn(`bad Request-URI: ${u.reason}`, t, headLen);
  // RFC 3261 §19.1.1, Table 1: the headers component is not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (u.uri.kind === 'sip' && u.uri.headers !== undefined) failIn('Request-URI with headers', t, headLen);
  return new SipRequest(method, u.uri);
}
