import { describe, expect, it } from 'vitest';
import type { DatagramSink, LegSocket } from './leg-socket.js';
import { RtpLeg } from './rtp-leg.js';
import { RTP_HEADER_SIZE, RtpView } from './rtp-packet.js';

function fakeSocket(sent: Buffer[]): LegSocket {
  return {
    setSink(_sink: DatagramSink) {},
    send(buf: Buffer, length: number) {
      sent.push(Buffer.from(buf.subarray(0, length)));
    },
    close() {},
  };
}

describe('RtpLeg.emit', () => {
  it('sends exactly the payload it is given: word copy with a tail, unaligned offsets and views', () => {
    const sent: Buffer[] = [];
    const host = { view: new RtpView(), now: () => 0, relayEvent() {} };
    const leg = new RtpLeg(
      { id: 'a', group: 'g', codec: 'PCMU', remote: { address: '127.0.0.1', port: 4000 } },
      5000,
      fakeSocket(sent),
      fakeSocket([]),
      host,
    );
    const backing = new Uint8Array(1024);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 13 + 5) & 0xff;
    const cases: [Uint8Array, number, number][] = [
      [backing, 16, 160], // aligned: words
      [backing, 20, 7], // words + a 3-byte tail
      [backing, 33, 160], // unaligned offset
      [backing.subarray(3), 40, 160], // unaligned view
      [backing, 16, 160], // the same source again
    ];
    for (const [src, off, len] of cases) leg.emit(src, off, len);
    expect(sent.length).toBe(cases.length);
    cases.forEach(([src, off, len], k) => {
      expect(sent[k]!.length).toBe(RTP_HEADER_SIZE + len);
      expect([...sent[k]!.subarray(RTP_HEADER_SIZE)]).toEqual([...src.subarray(off, off + len)]);
    });
  });
});
