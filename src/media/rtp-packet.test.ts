import { describe, expect, it } from 'vitest';
import {
  decodeRtp,
  networkOrderWord,
  parseRtp,
  RtpParse,
  RtpView,
  serializeRtp,
  writeRtpHeader,
  writeRtpHeaderWords,
} from './rtp-packet.js';

describe('RTP packet', () => {
  it('round-trips real bytes, including CSRCs, extension and padding', () => {
    const bytes = Buffer.from('80000001000000a0deadbeef' + 'ff'.repeat(160), 'hex');
    const p = decodeRtp(bytes);
    expect(p).toMatchObject({ payloadType: 0, sequence: 1, timestamp: 160, ssrc: 0xdeadbeef, marker: false });
    expect(serializeRtp(p as Exclude<typeof p, RtpParse>)).toEqual(bytes);
    const full = serializeRtp({
      marker: true,
      payloadType: 101,
      sequence: 65535,
      timestamp: 0xffffffff,
      ssrc: 1,
      csrcs: [2, 3],
      extension: { profile: 0xbede, data: Uint8Array.from([1, 2, 3, 4]) },
      payload: Uint8Array.from([9, 8, 7]),
      padding: 5,
    });
    expect(full.toString('hex').slice(0, 8)).toBe('b2e5ffff');
    const back = decodeRtp(full);
    expect(back).toMatchObject({
      marker: true,
      payloadType: 101,
      sequence: 65535,
      timestamp: 0xffffffff,
      csrcs: [2, 3],
      padding: 5,
    });
    expect(serializeRtp(back as Exclude<typeof back, RtpParse>)).toEqual(full);
  });

  it('rejects short, wrong-version, bad-padding, overrunning and RTCP-range datagrams', () => {
    const v = new RtpView();
    const ok = Buffer.from('80000001000000a0deadbeef00', 'hex');
    const check = (hex: string | Buffer) => {
      const b = typeof hex === 'string' ? Buffer.from(hex, 'hex') : hex;
      return parseRtp(b, b.length, v);
    };
    expect(check(ok)).toBe(RtpParse.OK);
    expect(check('8000')).toBe(RtpParse.TOO_SHORT);
    expect(check('40000001000000a0deadbeef00')).toBe(RtpParse.BAD_VERSION);
    expect(check('a0000001000000a0deadbeef0100')).toBe(RtpParse.BAD_PADDING); // count 0
    expect(check('a0000001000000a0deadbeef01ff')).toBe(RtpParse.BAD_PADDING); // count > payload
    expect(check('8f000001000000a0deadbeef00')).toBe(RtpParse.BAD_CSRC);
    expect(check('90000001000000a0deadbeef0000ffff')).toBe(RtpParse.BAD_EXTENSION);
    expect(check('80c80001000000a0deadbeef00')).toBe(RtpParse.RTCP_RANGE);
  });

  it('never throws on random bytes', () => {
    const v = new RtpView();
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(
        Array.from({ length: Math.floor(Math.random() * 40) }, () => Math.floor(Math.random() * 256)),
      );
      const st = parseRtp(b, b.length, v);
      if (st === RtpParse.OK) expect(v.payloadOffset + v.payloadLength).toBeLessThanOrEqual(b.length);
    }
  });
});

describe('writeRtpHeaderWords', () => {
  it('stores the same 12 bytes as writeRtpHeader', () => {
    const cases: [boolean, number, number, number, number][] = [
      [true, 0, 0, 0, 0],
      [false, 8, 0xffff, 0xffffffff, 0xffffffff],
      [true, 127, 0x1234, 0x89abcdef, 0x80000001],
      [false, 101, 65535, 160, 0x7fffffff],
    ];
    for (const [marker, pt, seq, ts, ssrc] of cases) {
      const want = new Uint8Array(12);
      writeRtpHeader(want, marker, pt, seq, ts, ssrc);
      const mem = new Uint32Array(8);
      writeRtpHeaderWords(mem, 2, marker, pt, seq, ts, networkOrderWord(ssrc));
      expect([...new Uint8Array(mem.buffer, 8, 12)]).toEqual([...want]);
      expect(new Uint8Array(mem.buffer, 0, 8).every((b) => b === 0)).toBe(true);
    }
  });
});
