import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PlainRtpRelay } from './plain-rtp-relay.js';

const HOST = '127.0.0.1';
const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function udp(): Promise<Socket & { port: number }> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, HOST, r));
  open.push(s);
  return Object.assign(s, { port: s.address().port });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function rtp(seq: number, pt = 0): Buffer {
  const b = Buffer.alloc(172, seq & 0xff);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  return b;
}

describe('PlainRtpRelay', () => {
  it('hears only the engine leg: other sources, even on the same address, are dropped and counted', async () => {
    const engine = await udp();
    const stranger = await udp();
    const relay = await PlainRtpRelay.bind(HOST, { address: HOST, port: engine.port });
    open.push(relay);
    const got: number[] = [];
    relay.onEngineRtp = (p) => got.push(p.readUInt16BE(2));
    for (let i = 0; i < 5; i++) stranger.send(rtp(100 + i), relay.localPort, HOST);
    engine.send(rtp(7), relay.localPort, HOST);
    await until(
      () => relay.counters.strayDrops === 5 && got.length === 1,
      'stray drops and one relayed packet',
    );
    expect(got).toEqual([7]);
    expect(relay.counters.fromEngine).toBe(1);
  });

  it('drops datagrams from the engine leg that are not RTP version 2', async () => {
    const engine = await udp();
    const relay = await PlainRtpRelay.bind(HOST, { address: HOST, port: engine.port });
    open.push(relay);
    engine.send(Buffer.from([0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), relay.localPort, HOST);
    engine.send(Buffer.from([0x80, 0, 0]), relay.localPort, HOST);
    await until(() => relay.counters.malformedDrops === 2, 'two malformed drops');
    expect(relay.counters.fromEngine).toBe(0);
  });

  it('sends a 12-octet header and the payload to the engine; a burst larger than the ring arrives intact', async () => {
    const engine = await udp();
    const got: Buffer[] = [];
    engine.on('message', (m) => got.push(m));
    const relay = await PlainRtpRelay.bind(HOST, { address: HOST, port: engine.port });
    open.push(relay);
    const payload = new Uint8Array(160);
    for (let i = 0; i < 40; i++) {
      payload.fill(i);
      relay.sendToEngine(i === 0, 8, 65530 + i, 0xfffffff0 + i * 160, 0xdeadbeef, payload);
    }
    await until(() => got.length === 40, '40 packets at the engine');
    for (let i = 0; i < 40; i++) {
      const p = got[i]!;
      expect(p.length).toBe(172);
      expect(p[0]).toBe(0x80);
      expect(p[1]).toBe((i === 0 ? 0x80 : 0) | 8);
      expect(p.readUInt16BE(2)).toBe((65530 + i) & 0xffff);
      expect(p.readUInt32BE(4)).toBe((0xfffffff0 + i * 160) >>> 0);
      expect(p.readUInt32BE(8)).toBe(0xdeadbeef);
      expect(p.subarray(12).every((b) => b === i)).toBe(true);
    }
    expect(relay.counters.toEngine).toBe(40);
    expect(relay.counters.ringOverflows).toBe(8); // 40 in one tick, 32 slots
    // Once the sends completed, the slots are free again: no more overflows.
    for (let i = 0; i < 32; i++) relay.sendToEngine(false, 8, i, i, 1, payload);
    await until(() => got.length === 72, '32 more packets');
    expect(relay.counters.ringOverflows).toBe(8);
  });

  it('close is idempotent and stops relaying', async () => {
    const engine = await udp();
    const relay = await PlainRtpRelay.bind(HOST, { address: HOST, port: engine.port });
    relay.close();
    relay.close();
    expect(relay.isClosed).toBe(true);
    relay.sendToEngine(false, 0, 1, 1, 1, new Uint8Array(160));
    expect(relay.counters.toEngine).toBe(0);
  });
});
