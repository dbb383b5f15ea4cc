import { describe, expect, it } from 'vitest';
import { parseMessage } from './parse-message.js';
import { indexOfIn, parseIntIn, scanText, scanTextOf } from './scan-text.js';
import { parseVia } from './via.js';

const msg = (from: string | Buffer) =>
  Buffer.concat([
    Buffer.from('OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: '),
    Buffer.isBuffer(from) ? from : Buffer.from(from, 'utf8'),
    Buffer.from(';tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nX-After: ok\r\n\r\n'),
  ]);

describe('ScanText', () => {
  it('reads an ASCII head in place and a non-ASCII one through clamped code units', () => {
    const ascii = Buffer.from('xxAB C');
    const t = scanTextOf(ascii.toString('utf8', 2), ascii, 2, ascii.length);
    expect(t.b).toBe(ascii);
    expect(t.o).toBe(2);
    const utf8 = Buffer.from('Jö n', 'utf8');
    const u = scanTextOf(utf8.toString('utf8'), utf8, 0, utf8.length);
    expect(u.b).not.toBe(utf8);
    expect(Array.from(u.b)).toEqual([74, 0x80, 32, 110]);
    expect(indexOfIn(u, 32, 0, u.s.length)).toBe(2);
  });

  it('keeps offsets aligned after multi-byte UTF-8 and after invalid bytes', () => {
    const m = parseMessage(msg('"Jöhn ✓" <sip:j@example.com>'));
    expect(m.from.displayName).toBe('Jöhn ✓');
    expect(m.fromTag).toBe('1');
    expect(m.get('x-after')).toBe('ok');
    const bad = parseMessage(
      msg(Buffer.from([0x22, 0xff, 0xc3, 0x22, 0x20, ...Buffer.from('<sip:j@example.com>')])),
    );
    expect(bad.from.displayName).toBe('\ufffd\ufffd');
    expect(bad.fromTag).toBe('1');
    expect(bad.get('x-after')).toBe('ok');
  });

  it('reads nothing at or beyond the end of a range', () => {
    const t = scanText('12;34');
    expect(parseIntIn(t, 0, 2, 99)).toBe(12);
    expect(parseIntIn(t, 0, 2, 11)).toBe(-1);
    expect(parseIntIn(t, 0, 3, 999)).toBe(-1);
    expect(parseIntIn(t, 1, 1, 9)).toBe(-1);
    expect(indexOfIn(t, 59, 0, 2)).toBe(-1);
    expect(indexOfIn(t, 59, 0, 3)).toBe(2);
  });

  it('upper-cases a non-ASCII protocol name as before (U+017F upper-cases to S)', () => {
    expect(parseVia('\u017fIP/2.0/UDP h').ok).toBe(true);
    expect(parseVia('SİP/2.0/UDP h').ok).toBe(false);
  });
});
