import { describe, expect, it } from 'vitest';
import type { DatagramSink, LegSocket } from './leg-socket.js';
import { RtpLeg } from './rtp-leg.js';
import { decodeRtp, RTP_HEADER_SIZE, type RtpPacket, RtpView } from './rtp-packet.js';

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

describe('RtpLeg.emit through a zero-copy socket (sendBuffer + reserve)', () => {
  it('writes header and frame at the reserved offset, never calls send, and counts a refused reserve', () => {
    const memory = new ArrayBuffer(4096);
    const sendBuffer = {
      bytes: new Uint8Array(memory, 8, 1024),
      words: new Uint32Array(memory, 8, 256),
      base: 0,
    };
    const reserved: Array<{ at: number; length: number; address: number; port: number }> = [];
    let next = 0;
    let refuse = false;
    const socket: LegSocket = {
      setSink() {},
      send() {
        throw new Error('the copy path must not be used');
      },
      sendBuffer,
      reserve(length, address, port) {
        if (refuse) return -1;
        const at = next;
        next = (next + length + 3) & ~3;
        reserved.push({ at, length, address, port });
        return at;
      },
      close() {},
    };
    const host = { view: new RtpView(), now: () => 0, relayEvent() {} };
    const leg = new RtpLeg(
      { id: 'a', group: 'g', codec: 'PCMU', remote: { address: '127.0.0.2', port: 4000 } },
      5000,
      socket,
      fakeSocket([]),
      host,
    );
    const backing = new Uint8Array(512);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 17 + 9) & 0xff;
    leg.emit(backing, 16, 160);
    leg.emit(backing.subarray(1), 2, 33);
    refuse = true;
    leg.emit(backing, 0, 160); // dropped by the I/O: counted, sequence used
    refuse = false;
    leg.emit(backing, 4, 160);
    expect(reserved.map((r) => [r.length, r.address, r.port])).toEqual([
      [172, 0x7f000002, 4000],
      [45, 0x7f000002, 4000],
      [172, 0x7f000002, 4000],
    ]);
    const packets = reserved.map(
      (r) => decodeRtp(sendBuffer.bytes.slice(r.at, r.at + r.length)) as RtpPacket,
    );
    expect([...packets[0]!.payload]).toEqual([...backing.subarray(16, 176)]);
    expect([...packets[1]!.payload]).toEqual([...backing.subarray(3, 36)]);
    expect([...packets[2]!.payload]).toEqual([...backing.subarray(4, 164)]);
    expect(packets.map((p) => p.marker)).toEqual([true, false, false]);
    expect(packets.map((p) => (p.sequence - packets[0]!.sequence) & 0xffff)).toEqual([0, 1, 3]);
    expect(leg.stats()).toMatchObject({ packetsOut: 4, bytesOut: 172 + 45 + 172 + 172 });
  });
});
