/**
 * Forwarding, strict source after latching, and hostile RTP — against a real MediaEngine.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../src/media/media-engine.js';
import { serializeRtp } from '../../src/media/rtp-packet.js';
import { decodeUlaw, toneDbfs, toneUlaw } from '../support/audio.js';
import { IO_MODES, workerIo } from './io-modes.js';
import { TestPhone } from './test-phone.js';

describe.each(IO_MODES)('media legs (%s I/O)', (io) => {
  let engine: MediaEngine;
  const phones: TestPhone[] = [];
  const base = 41000 + Math.floor(Math.random() * 400) * 40;
  let n = 0;

  async function leg(group: string, remote = true): Promise<{ id: string; phone: TestPhone; port: number }> {
    const phone = await TestPhone.open();
    phones.push(phone);
    const id = `leg${++n}`;
    const { port } = await engine.createLeg({
      id,
      group,
      codec: 'PCMU',
      ...(remote ? { remote: { address: '127.0.0.1', port: phone.port } } : {}),
    });
    return { id, phone, port };
  }

  beforeAll(async () => {
    engine = await MediaEngine.start({ host: '127.0.0.1', portRange: [base, base + 39], io, workers: 1 });
  });
  afterAll(async () => {
    for (const p of phones) p.close();
    await engine?.close();
  });

  it('runs on the I/O path it names', async () => {
    expect(new Set(await workerIo(engine))).toEqual(new Set([io]));
  });

  it('forwards one same-codec voice with its payload bytes unchanged', async () => {
    const a = await leg('fwd');
    const b = await leg('fwd');
    await engine.setPlan('fwd', { [b.id]: { hears: [a.id] } });
    // Unique pseudo-random payloads, so a byte-exact match proves no decode/encode happened.
    const payloads = Array.from({ length: 200 }, () =>
      Uint8Array.from({ length: 160 }, () => Math.floor(Math.random() * 256)),
    );
    a.phone.play(a.port, (i) => payloads[i % payloads.length]!);
    await b.phone.waitFor(() => b.phone.received.filter((r) => r.payload[0] !== 0xff).length >= 20);
    a.phone.stop();
    const got = b.phone.received.filter((r) => !r.payload.every((x) => x === 0xff));
    const sent = a.phone.sent.map((p) => Buffer.from(p).toString('hex'));
    // Every non-silent payload is byte-identical to one the sender sent, in order (a concealed
    // frame under CPU load repeats the previous payload, still unchanged).
    let last = -1;
    const distinct = new Set<number>();
    for (const r of got) {
      const idx = sent.indexOf(Buffer.from(r.payload).toString('hex'), Math.max(0, last));
      expect(idx, 'received payload was sent, in order').toBeGreaterThanOrEqual(Math.max(0, last));
      last = idx;
      distinct.add(idx);
    }
    const matched = distinct.size;
    expect(matched).toBeGreaterThanOrEqual(15);
    const stats = await engine.stats(b.id);
    expect(stats.packetsOut).toBeGreaterThanOrEqual(got.length);
  });

  it('after latching, a second source on another port of 127.0.0.1 is not heard and is counted', async () => {
    const a = await leg('strict', false); // no remote signalled: latches on the first packet
    const b = await leg('strict');
    await engine.setPlan('strict', { [b.id]: { hears: [a.id] } });
    a.phone.playTone(a.port, 440);
    await b.phone.waitPackets(10);
    expect((await engine.stats(a.id)).state).toBe('latched');
    const attacker = await TestPhone.open();
    phones.push(attacker);
    attacker.playTone(a.port, 1800, 0.9);
    const from = b.phone.received.length;
    await b.phone.waitPackets(25);
    // b's stream may arrive in bursts (a stalled worker catches up), so also wait for the attacker's 25.
    await b.phone.waitFor(() => attacker.sent.length >= 25, 5000, 'the attacker sending 25 packets');
    attacker.stop();
    a.phone.stop();
    const pcm = Buffer.concat(b.phone.received.slice(from + 5, from + 15).map((r) => Buffer.from(r.payload)));
    const samples = decodeUlaw(pcm);
    expect(toneDbfs(samples, 440)).toBeGreaterThan(-20);
    expect(toneDbfs(samples, 1800)).toBeLessThan(-60);
    const s = await engine.stats(a.id);
    expect(s.strictSourceDrops).toBeGreaterThanOrEqual(20);
    expect(s.peer).toEqual({ address: '127.0.0.1', port: a.phone.port });
  });

  it('before latching, only the signalled address may latch; renegotiation re-latches', async () => {
    const a = await leg('renego');
    const other = await TestPhone.open();
    phones.push(other);
    other.sendRaw(
      serializeRtp({
        marker: false,
        payloadType: 0,
        sequence: 1,
        timestamp: 1,
        ssrc: 7,
        payload: toneUlaw(1000, 20),
      }),
      a.port,
    );
    // The signalled address is 127.0.0.1 (any port): this one latches.
    const waitLatched = async () => {
      for (let i = 0; i < 100; i++) {
        if ((await engine.stats(a.id)).state === 'latched') return;
        await b.phone.waitPackets(1, 1000).catch(() => undefined);
      }
    };
    const b = await leg('renego');
    await engine.setPlan('renego', { [b.id]: { hears: [a.id] } });
    await waitLatched();
    expect((await engine.stats(a.id)).peer?.port).toBe(other.port);
    await engine.updateLeg(a.id, { remote: { address: '127.0.0.1', port: a.phone.port } });
    expect((await engine.stats(a.id)).state).toBe('signalled');
    a.phone.playTone(a.port, 440);
    await waitLatched();
    a.phone.stop();
    expect((await engine.stats(a.id)).peer?.port).toBe(a.phone.port);
  });

  it('drops and counts bad RTP; the worker keeps running and other legs are undisturbed', async () => {
    const a = await leg('bad');
    const b = await leg('bad');
    const c = await leg('bad');
    await engine.setPlan('bad', { [b.id]: { hears: [a.id] }, [c.id]: { hears: [a.id, b.id] } });
    a.phone.playTone(a.port, 440);
    await b.phone.waitPackets(5);
    const good = serializeRtp({
      marker: false,
      payloadType: 0,
      sequence: 5,
      timestamp: 5,
      ssrc: 9,
      payload: toneUlaw(1800, 20, 0.9),
    });
    const hostile: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from([0x80, 0x00, 0x01]), // short
      Buffer.concat([Buffer.from([0x40]), good.subarray(1)]), // version 1
      Buffer.concat([Buffer.from([0xa0]), good.subarray(1, good.length - 1), Buffer.from([0])]), // padding count 0
      Buffer.concat([Buffer.from([0xa0]), good.subarray(1, good.length - 1), Buffer.from([250])]), // padding > payload
      Buffer.concat([Buffer.from([0x8f]), good.subarray(1, 20)]), // 15 CSRCs that do not fit
      Buffer.concat([Buffer.from([0x90]), good.subarray(1, 12), Buffer.from([0, 0, 0xff, 0xff])]), // extension overrun
      Buffer.from(
        Array.from({ length: 172 }, () => Math.floor(Math.random() * 256)).map((x, i) =>
          i === 0 ? x & 0x3f : x,
        ),
      ), // garbage, version 0
      good.subarray(0, 100), // wrong frame size
    ];
    // Sent from the latched source itself (the phone's own socket): still never reaches a listener.
    const raw = createSocket('udp4');
    for (let round = 0; round < 20; round++) for (const h of hostile) a.phone.sendRaw(h, a.port);
    const from = b.phone.received.length;
    await b.phone.waitPackets(20);
    await c.phone.waitPackets(1);
    a.phone.stop();
    raw.close();
    const s = await engine.stats(a.id);
    expect(s.malformed).toBe(20 * hostile.length);
    const samples = decodeUlaw(
      Buffer.concat(b.phone.received.slice(from + 2, from + 12).map((r) => Buffer.from(r.payload))),
    );
    expect(toneDbfs(samples, 440)).toBeGreaterThan(-20);
    expect(toneDbfs(samples, 1800)).toBeLessThan(-60);
    const dump = (await engine.dump()) as { workers: { tickErrors: number }[] };
    expect(dump.workers[0]!.tickErrors).toBe(0);
    expect((await engine.stats(b.id)).malformed).toBe(0);
  });

  it('closing is idempotent and frees the leg', async () => {
    const a = await leg('close');
    await engine.closeLeg(a.id);
    await engine.closeLeg(a.id);
    await expect(engine.stats(a.id)).rejects.toMatchObject({ code: 'MEDIA_LEG_NOT_FOUND' });
    await expect(engine.createLeg({ id: 'x', group: 'close', codec: 'G722' as never })).rejects.toMatchObject(
      {
        code: 'MEDIA_BAD_LEG_OPTIONS',
      },
    );
  });
});
