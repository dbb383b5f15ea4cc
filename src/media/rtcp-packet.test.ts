import { describe, expect, it } from 'vitest';
import { parseRtcpCompound, RTCP_RR, RTCP_SR, serializeRtcpReport } from './rtcp-packet.js';

describe('RTCP reports', () => {
  const block = {
    ssrc: 0x11223344,
    fractionLost: 64,
    cumulativeLost: -3,
    extendedHighestSeq: 0x0001_0005,
    jitter: 37,
    lastSr: 0xaabbccdd,
    delaySinceLastSr: 65536,
  };

  it('round-trips an SR with a report block on real bytes', () => {
    const sr = {
      type: RTCP_SR,
      ssrc: 0xcafebabe,
      sender: {
        ntpMsw: 0xe0000000,
        ntpLsw: 0x80000000,
        rtpTimestamp: 160,
        packetCount: 50,
        octetCount: 8000,
      },
      reports: [block],
    } as const;
    const bytes = serializeRtcpReport({ ...sr, reports: [block] });
    expect(bytes.length).toBe(52);
    expect(bytes.subarray(0, 4).toString('hex')).toBe('81c8000c');
    expect(bytes.subarray(32, 36).toString('hex')).toBe('40fffffd'); // fraction 64, lost −3 (24-bit two's complement)
    expect(parseRtcpCompound(bytes)).toEqual([{ ...sr, reports: [block] }]);
  });

  it('round-trips an RR and skips SDES in a compound packet', () => {
    const rr = serializeRtcpReport({ type: RTCP_RR, ssrc: 5, reports: [block] });
    const sdes = Buffer.from('81ca000200000005' + '00000000', 'hex');
    expect(parseRtcpCompound(Buffer.concat([rr, sdes]))).toEqual([
      { type: RTCP_RR, ssrc: 5, reports: [block] },
    ]);
  });

  it('rejects malformed compounds', () => {
    expect(parseRtcpCompound(Buffer.from('81c9', 'hex'))).toBeUndefined();
    expect(parseRtcpCompound(Buffer.from('81ca000100000005', 'hex'))).toBeUndefined(); // first is not SR/RR
    expect(parseRtcpCompound(Buffer.from('81c900ff00000005', 'hex'))).toBeUndefined(); // length overruns
    expect(parseRtcpCompound(Buffer.from('41c9000100000005', 'hex'))).toBeUndefined(); // version 1
  });
});
