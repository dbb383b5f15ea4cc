import { describe, expect, it } from 'vitest';
import { StreamFramer } from './stream-framer.js';

const msg = (body: string) =>
  `MESSAGE sip:h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('StreamFramer (RFC 3261 §18.3 Content-Length framing)', () => {
  it('splits back-to-back messages delivered one byte at a time', () => {
    const f = new StreamFramer(65_535);
    const stream = Buffer.from(msg('hello') + msg('wörld'));
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) {
      for (const ev of f.push(stream.subarray(i, i + 1)))
        if (ev.type === 'message') out.push(ev.data.toString());
    }
    expect(out).toEqual([msg('hello'), msg('wörld')]);
    expect(f.buffered).toBe(0);
  });

  it('reports CRLF keep-alives (RFC 5626) and ignores CRLF before a start line', () => {
    const f = new StreamFramer(65_535);
    const evs = f.push(Buffer.from(`\r\n\r\n${msg('x')}`));
    expect(evs.map((e) => e.type)).toEqual(['keepalive', 'message']);
  });

  it('refuses a message larger than the limit, and a header section that never ends', () => {
    const a = new StreamFramer(100);
    expect(a.push(Buffer.from(msg('x'.repeat(200)))).map((e) => e.type)).toEqual(['error']);
    const b = new StreamFramer(100);
    expect(b.push(Buffer.from('INVITE sip:h SIP/2.0\r\n'.repeat(10))).map((e) => e.type)).toEqual(['error']);
    expect(b.push(Buffer.from(msg('late')))).toEqual([]);
  });
});
