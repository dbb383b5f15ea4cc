import { isToken, isTokenChar, isWs, parseBoundedInt, splitList, trimWs } from './grammar.js';
import { headerKey } from './header-names.js';
import { type NameAddr, parseNameAddr } from './name-addr.js';
import { type SipMessage, SipRequest, SipResponse } from './sip-message.js';
import { type PartialMessage, SipParseError } from './sip-parse-error.js';
import { parseUri } from './sip-uri.js';
import { parseVia } from './via.js';

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
  if (headEnd < 0 || buf.indexOf(10, start) < buf.indexOf(13, start)) {
    // Tolerate bare-LF line endings when the first line ends with LF alone.
    const lf = buf.indexOf(LFLF, start);
    if (lf >= 0 && (headEnd < 0 || lf < headEnd)) {
      headEnd = lf;
      bodyStart = lf + 2;
      sep = '\n';
    }
  }
  if (headEnd < 0) fail('no empty line after the headers');
  const head = buf.toString('utf8', start, headEnd);
  const firstEnd = head.indexOf(sep);
  const first = firstEnd < 0 ? head : head.slice(0, firstEnd);
  const msg: SipMessage = first.startsWith('SIP/')
    ? parseStatusLine(first, head)
    : parseRequestLine(first, head);
  let contentLength = -1;
  let haveFrom = false;
  let haveTo = false;
  let haveCallId = false;
  let haveCSeq = false;
  // RFC 3261 §7.3.1: "Header fields can be extended over multiple lines by preceding each extra
  // line with at least one space or horizontal tab." Folded lines are joined with one SP.
  const sepLen = sep.length;
  let pos = head.indexOf(sep);
  pos = pos < 0 ? head.length : pos + sepLen;
  while (pos < head.length) {
    let eol = head.indexOf(sep, pos);
    if (eol < 0) eol = head.length;
    const lineStart = pos;
    pos = eol + sepLen;
    // field-name = token; HCOLON = *( SP / HTAB ) ":" SWS — scanned in place, without slicing the line.
    let ne = lineStart;
    while (ne < eol && isTokenChar(head.charCodeAt(ne))) ne++;
    if (ne === lineStart) fail('bad header name', head);
    let colon = ne;
    while (colon < eol && isWs(head.charCodeAt(colon))) colon++;
    if (colon >= eol || head.charCodeAt(colon) !== 58)
      fail('header line without a colon after its name', head);
    const key = headerKey(head.slice(lineStart, ne));
    let vs = colon + 1;
    while (vs < eol && isWs(head.charCodeAt(vs))) vs++;
    let ve = eol;
    while (ve > vs && isWs(head.charCodeAt(ve - 1))) ve--;
    let value = head.slice(vs, ve);
    const next = head.charCodeAt(pos);
    if (pos < head.length && (next === 32 || next === 9)) {
      // Folded continuation lines (rare): join them with one SP.
      for (;;) {
        const c = head.charCodeAt(pos);
        if (pos >= head.length || (c !== 32 && c !== 9)) break;
        let e2 = head.indexOf(sep, pos);
        if (e2 < 0) e2 = head.length;
        const part = trimWs(head.slice(pos, e2));
        value = value.length ? (part.length ? `${value} ${part}` : value) : part;
        pos = e2 + sepLen;
      }
    }
    switch (key) {
      case 'via':
        if (value.indexOf(',') < 0) {
          const r = parseVia(value);
          if (!r.ok) fail(r.reason, head);
          msg.via.push(r.value);
        } else {
          for (const v of splitList(value)) {
            const r = parseVia(v);
            if (!r.ok) fail(r.reason, head);
            msg.via.push(r.value);
          }
        }
        break;
      case 'from':
        if (haveFrom) fail('more than one From', head);
        msg.from = nameAddrOrFail(value, key, head);
        haveFrom = true;
        break;
      case 'to':
        if (haveTo) fail('more than one To', head);
        msg.to = nameAddrOrFail(value, key, head);
        haveTo = true;
        break;
      case 'call-id':
        if (haveCallId) fail('more than one Call-ID', head);
        if (value.length === 0 || value.indexOf(' ') >= 0 || value.indexOf('\t') >= 0)
          fail('bad Call-ID', head);
        msg.callId = value;
        haveCallId = true;
        break;
      case 'cseq': {
        if (haveCSeq) fail('more than one CSeq', head);
        let sp = 0;
        while (sp < value.length && !isWs(value.charCodeAt(sp))) sp++;
        const seq = parseBoundedInt(value.slice(0, sp), MAX_CSEQ);
        const method = trimWs(value.slice(sp));
        if (seq < 0 || sp === value.length || !isToken(method)) fail('bad CSeq', head);
        msg.cseq = { seq, method };
        haveCSeq = true;
        break;
      }
      case 'max-forwards': {
        // RFC 3261 §20.22: Max-Forwards = "Max-Forwards" HCOLON 1*DIGIT, 0-255 in practice.
        const mf = parseBoundedInt(value, 255);
        if (mf < 0 || msg.maxForwards !== undefined) fail('bad Max-Forwards', head);
        msg.maxForwards = mf;
        break;
      }
      case 'content-length': {
        const cl = parseBoundedInt(value, 2 ** 31 - 1);
        if (cl < 0) fail('bad Content-Length', head);
        if (contentLength >= 0 && cl !== contentLength) fail('conflicting Content-Length values', head);
        contentLength = cl;
        break;
      }
      default: {
        const list = msg.headers.get(key);
        if (list) list.push(value);
        else msg.headers.set(key, [value]);
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
    msg.body = buf.subarray(bodyStart, bodyStart + contentLength);
  }
  return msg as SipRequest | SipResponse;
}

function nameAddrOrFail(value: string, key: string, head: string): NameAddr {
  const r = parseNameAddr(value);
  if (!r.ok) fail(`bad ${key}: ${r.reason}`, head);
  return r.value;
}

function parseStatusLine(line: string, head: string): SipResponse {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
  const sp1 = line.indexOf(' ');
  const version = sp1 < 0 ? line : line.slice(0, sp1);
  if (version !== 'SIP/2.0') {
    if (/^SIP\/[0-9]+\.[0-9]+$/.test(version)) {
      throw new SipParseError('SIP_VERSION_NOT_SUPPORTED', `version ${version}`, () => partialFromHead(head));
    }
    fail('bad SIP version', head);
  }
  const rest = line.slice(sp1 + 1);
  const sp2 = rest.indexOf(' ');
  const code = sp2 < 0 ? rest : rest.slice(0, sp2);
  if (!/^[1-6][0-9][0-9]$/.test(code)) fail('bad status code', head);
  return new SipResponse(Number(code), sp2 < 0 ? '' : rest.slice(sp2 + 1));
}

function parseRequestLine(line: string, head: string): SipRequest {
  // RFC 3261 §7.1: "The elements are separated by single space (SP) characters."
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) {
    fail('request line is not Method SP Request-URI SP SIP-Version', head);
  }
  const method = line.slice(0, sp1);
  const uriText = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method)) fail('bad method', head);
  if (version !== 'SIP/2.0') {
    if (/^SIP\/[0-9]+\.[0-9]+$/.test(version)) {
      throw new SipParseError('SIP_VERSION_NOT_SUPPORTED', `version ${version}`, () => partialFromHead(head));
    }
    fail('bad SIP version', head);
  }
  const u = parseUri(uriText);
  if (!u.ok) fail(`bad Request-URI: ${u.reason}`, head);
  // RFC 3261 §19.1.1, Table 1: the headers component is not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (u.uri.kind === 'sip' && u.uri.headers !== undefined) fail('Request-URI with headers', head);
  return new SipRequest(method, u.uri);
}
