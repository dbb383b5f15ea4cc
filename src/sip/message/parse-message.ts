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
import { type SipMessage, SipRequest, SipResponse } from './sip-message.js';
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

function fail(reason: string, head?: string): never {
  throw new SipParseError(
    'SIP_PARSE_ERROR',
    reason,
    head === undefined ? undefined : () => partialFromHead(head),
  );
}

function parse(buf: Buffer, datagram: boolean): SipRequest | SipResponse {
  // RFC 3261 §7.5: "Implementations processing SIP messages over stream-oriented transports
  // MUST ignore any CRLF appearing before the start-line".
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) fail('empty message');
  let sep = '\r\n';
  let headEnd = buf.indexOf(CRLFCRLF, start);
  let bodyStart = headEnd + 4;
  // Tolerate bare-LF line endings when the first line ends with LF alone.
  let eol1 = start;
  while (eol1 < buf.length && buf[eol1] !== 10 && buf[eol1] !== 13) eol1++;
  if (headEnd < 0 || buf[eol1] === 10) {
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
    fail('no empty line after the headers', buf.toString('utf8', start, Math.min(buf.length, start + 8192)));
  const head = buf.toString('utf8', start, headEnd);
  const t = scanTextOf(head, buf, start, headEnd);
  const b = t.b;
  const o = t.o;
  let firstEnd = head.indexOf(sep);
  if (firstEnd < 0) firstEnd = head.length;
  const msg: SipMessage =
    firstEnd >= 4 && b[o] === 83 && b[o + 1] === 73 && b[o + 2] === 80 && b[o + 3] === 47
      ? parseStatusLine(t, firstEnd)
      : parseRequestLine(t, firstEnd);
  let contentLength = -1;
  let haveFrom = false;
  let haveTo = false;
  let haveCallId = false;
  let haveCSeq = false;
  // RFC 3261 §7.3.1: "Header fields can be extended over multiple lines by preceding each extra
  // line with at least one space or horizontal tab." Folded lines are joined with one SP.
  const sepLen = sep.length;
  let pos = firstEnd < head.length ? firstEnd + sepLen : head.length;
  while (pos < head.length) {
    let eol = head.indexOf(sep, pos);
    if (eol < 0) eol = head.length;
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
    if (ne === lineStart) fail('bad header name', head);
    const colon = skipWsIn(t, ne, eol);
    if (colon >= eol || b[o + colon] !== 58) fail('header line without a colon after its name', head);
    const key = headerKeyIn(t, lineStart, ne, h);
    // The value is [va, vz) of vt: the line itself, or the joined text of a folded header.
    let vt = t;
    let va = skipWsIn(t, colon + 1, eol);
    let vz = trimEndIn(t, va, eol);
    let value: string | undefined;
    if (pos < head.length && (b[o + pos] === 32 || b[o + pos] === 9)) {
      // Folded continuation lines (rare): join them with one SP.
      value = head.slice(va, vz);
      while (pos < head.length && (b[o + pos] === 32 || b[o + pos] === 9)) {
        let e2 = head.indexOf(sep, pos);
        if (e2 < 0) e2 = head.length;
        const part = trimWs(head.slice(pos, e2));
        value = value.length ? (part.length ? `${value} ${part}` : value) : part;
        pos = e2 + sepLen;
      }
      vt = scanText(value);
      va = 0;
      vz = value.length;
    }
    switch (key) {
      case 'via': {
        // One via-parm parses as a whole; a comma outside a quoted string never does, so only a
        // failed value is looked at as a list.
        const r = parseViaIn(vt, va, vz);
        if (r.ok) msg.via.push(r.value);
        else if (indexOfIn(vt, 44, va, vz) < 0) fail(r.reason, head);
        else {
          for (const v of splitList(value ?? head.slice(va, vz))) {
            const r = parseVia(v);
            if (!r.ok) fail(r.reason, head);
            msg.via.push(r.value);
          }
        }
        break;
      }
      case 'from':
        if (haveFrom) fail('more than one From', head);
        msg.from = nameAddrOrFail(vt, va, vz, key, head);
        haveFrom = true;
        break;
      case 'to':
        if (haveTo) fail('more than one To', head);
        msg.to = nameAddrOrFail(vt, va, vz, key, head);
        haveTo = true;
        break;
      case 'call-id':
        if (haveCallId) fail('more than one Call-ID', head);
        if (!allIn(vt, NOT_WS, va, vz)) fail('bad Call-ID', head);
        msg.callId = vt.s.slice(va, vz);
        haveCallId = true;
        break;
      case 'cseq': {
        if (haveCSeq) fail('more than one CSeq', head);
        let sp = va;
        while (sp < vz && !((CLASS[vt.b[vt.o + sp] as number] as number) & WS)) sp++;
        const seq = parseIntIn(vt, va, sp, MAX_CSEQ);
        const ma = skipWsIn(vt, sp, vz);
        if (seq < 0 || sp === vz || !allIn(vt, TOKEN, ma, vz)) fail('bad CSeq', head);
        msg.cseq = { seq, method: methodIn(vt, ma, vz) };
        haveCSeq = true;
        break;
      }
      case 'max-forwards': {
        // RFC 3261 §20.22: Max-Forwards = "Max-Forwards" HCOLON 1*DIGIT, 0-255 in practice.
        const mf = parseIntIn(vt, va, vz, 255);
        if (mf < 0 || msg.maxForwards !== undefined) fail('bad Max-Forwards', head);
        msg.maxForwards = mf;
        break;
      }
      case 'content-length': {
        const cl = parseIntIn(vt, va, vz, 2 ** 31 - 1);
        if (cl < 0) fail('bad Content-Length', head);
        if (contentLength >= 0 && cl !== contentLength) fail('conflicting Content-Length values', head);
        contentLength = cl;
        break;
      }
      default: {
        const v = value ?? head.slice(va, vz);
        const list = msg.headers.get(key);
        if (list) list.push(v);
        else msg.headers.set(key, [v]);
      }
    }
  }
  if (msg.via.length === 0) fail('no Via', head);
  if (!haveFrom || !haveTo || !haveCallId || !haveCSeq) {
    fail('missing one of the required header fields From, To, Call-ID, CSeq', head);
  }
  if (msg instanceof SipRequest && msg.cseq.method !== msg.method) {
    fail('CSeq method does not match the request method', head);
  }
  const avail = buf.length - bodyStart;
  if (contentLength < 0) {
    // RFC 3261 §18.3: over a stream the Content-Length is mandatory; the framer supplied a slice.
    msg.body = buf.subarray(bodyStart);
    void datagram;
  } else {
    // RFC 3261 §18.3: "If the transport packet ends before the end of the message body, this is
    // considered an error. If the message is a response, it MUST be discarded. If the message is
    // a request, the element SHOULD generate a 400 (Bad Request) response." … "Any additional bytes
    // in the transport packet beyond the end of the body MUST be discarded."
    if (contentLength > avail) fail('Content-Length larger than the message body', head);
    // An empty body keeps the message's shared empty Buffer (a view would cost more than the parse of a header).
    if (contentLength > 0) msg.body = buf.subarray(bodyStart, bodyStart + contentLength);
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

function nameAddrOrFail(t: ScanText, a: number, z: number, key: string, head: string): NameAddr {
  const r = parseNameAddrIn(t, a, z);
  if (!r.ok) fail(`bad ${key}: ${r.reason}`, head);
  return r.value;
}

const SIP_2_0 = ascii('SIP/2.0');

function badVersion(version: string, head: string): never {
  if (/^SIP\/[0-9]+\.[0-9]+$/.test(version)) {
    throw new SipParseError('SIP_VERSION_NOT_SUPPORTED', `version ${version}`, () => partialFromHead(head));
  }
  fail('bad SIP version', head);
}

/** The status line is `[0, end)` of `t` (which starts with "SIP/"). */
function parseStatusLine(t: ScanText, end: number): SipResponse {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
  const head = t.s;
  const b = t.b;
  const o = t.o;
  const sp1 = indexOfIn(t, 32, 0, end);
  const ve = sp1 < 0 ? end : sp1;
  if (!equalsIn(t, 0, ve, SIP_2_0)) badVersion(head.slice(0, ve), head);
  const rs = sp1 + 1;
  const sp2 = indexOfIn(t, 32, rs, end);
  const ce = sp2 < 0 ? end : sp2;
  const c0 = (b[o + rs] as number) - 48;
  const c1 = (b[o + rs + 1] as number) - 48;
  const c2 = (b[o + rs + 2] as number) - 48;
  if (ce - rs !== 3 || c0 < 1 || c0 > 6 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9)
    fail('bad status code', head);
  return new SipResponse(c0 * 100 + c1 * 10 + c2, sp2 < 0 ? '' : head.slice(sp2 + 1, end));
}

/** The request line is `[0, end)` of `t`. */
function parseRequestLine(t: ScanText, end: number): SipRequest {
  // RFC 3261 §7.1: "The elements are separated by single space (SP) characters."
  const head = t.s;
  const sp1 = indexOfIn(t, 32, 0, end);
  const sp2 = sp1 < 0 ? -1 : indexOfIn(t, 32, sp1 + 1, end);
  const versionOk = sp2 >= 0 && equalsIn(t, sp2 + 1, end, SIP_2_0);
  if (sp1 <= 0 || sp2 < 0 || (!versionOk && indexOfIn(t, 32, sp2 + 1, end) >= 0)) {
    fail('request line is not Method SP Request-URI SP SIP-Version', head);
  }
  if (!allIn(t, TOKEN, 0, sp1)) fail('bad method', head);
  if (!versionOk) badVersion(head.slice(sp2 + 1, end), head);
  const method = methodIn(t, 0, sp1);
  const u = parseUriIn(t, sp1 + 1, sp2);
  if (!u.ok) fail(`bad Request-URI: ${u.reason}`, head);
  // RFC 3261 §19.1.1, Table 1: the headers component is not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (u.uri.kind === 'sip' && u.uri.headers !== undefined) fail('Request-URI with headers', head);
  return new SipRequest(method, u.uri);
}
