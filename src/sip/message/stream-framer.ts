import { SipParseError } from './sip-parse-error.js';

/**
 * Splits a byte stream (TCP) into SIP messages using the Content-Length framing of RFC 3261
 * §18.3: "In the case of stream-oriented transports such as TCP, the Content-Length header
 * field indicates the size of the body. All stream-oriented transports MUST use Content-Length."
 *
 * Leading CRLFs are skipped (§7.5) and reported as keep-alives (RFC 5626 §3.5.1 "double CRLF"
 * pings), so the transport can answer them with a single CRLF pong.
 */
export type FrameEvent =
  | { readonly type: 'message'; readonly data: Buffer }
  | { readonly type: 'keepalive' }
  | { readonly type: 'error'; readonly error: SipParseError };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CL = /^(?:content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*$/im;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly maxSize: number) {}

  /** Feeds bytes; returns the complete frames. After an error the stream is unusable (close it). */
  push(chunk: Buffer): FrameEvent[] {
    if (this.failed) return [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: FrameEvent[] = [];
    for (;;) {
      let i = 0;
      while (i < this.buf.length && (this.buf[i] === 13 || this.buf[i] === 10)) i++;
      if (i >= 4 || (i > 0 && i === this.buf.length && i >= 2)) out.push({ type: 'keepalive' });
      if (i > 0) this.buf = this.buf.subarray(i);
      if (this.buf.length === 0) break;
      const headEnd = this.buf.indexOf(CRLFCRLF);
      if (headEnd < 0) {
        if (this.buf.length > this.maxSize)
          return this.fail(out, 'SIP_MESSAGE_TOO_LARGE', 'header section too large');
        break;
      }
      const m = CL.exec(this.buf.toString('latin1', 0, headEnd));
      // Content-Length is mandatory on streams; a missing one is read as 0 (no body).
      const cl = m ? Number(m[1]) : 0;
      const total = headEnd + 4 + cl;
      if (!Number.isSafeInteger(cl) || total > this.maxSize) {
        return this.fail(out, 'SIP_MESSAGE_TOO_LARGE', `message of ${total} bytes`);
      }
      if (this.buf.length < total) break;
      out.push({ type: 'message', data: Buffer.from(this.buf.subarray(0, total)) });
      this.buf = this.buf.subarray(total);
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }

  private fail(out: FrameEvent[], code: 'SIP_MESSAGE_TOO_LARGE', reason: string): FrameEvent[] {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    out.push({ type: 'error', error: new SipParseError(code, reason) });
    return out;
  }
}
