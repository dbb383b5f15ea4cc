/**
 * Who hears whom, proven by tones through real sockets: three phones on loopback play 440, 1000
 * and 1800 Hz as PCMU into a real MediaEngine (worker threads); what each phone receives is
 * analysed with a Goertzel detector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaEngine } from '../../src/media/media-engine.js';
import { decodeUlaw, goertzelPower, toneDbfs } from '../support/audio.js';
import { TestPhone } from './test-phone.js';

const FREQ = { a: 440, b: 1000, c: 1800 } as const;
type Name = keyof typeof FREQ;

/** Concatenated PCM of packets [from, to). */
function pcm(phone: TestPhone, from: number, to: number): Int16Array {
  const parts = phone.received.slice(from, to).map((r) => decodeUlaw(r.payload));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Asserts that a 200 ms window (10 packets) holds exactly the expected tones. */
function expectHears(phone: TestPhone, from: number, expected: Name[], label: string): void {
  const window = pcm(phone, from, from + 10);
  expect(window.length, `${label}: window size`).toBe(1600);
  for (const name of Object.keys(FREQ) as Name[]) {
    const db = toneDbfs(window, FREQ[name]);
    if (expected.includes(name)) expect(db, `${label} hears ${name}`).toBeGreaterThan(-20);
    else expect(db, `${label} does not hear ${name}`).toBeLessThan(-60);
  }
}

describe('tone hearing through real sockets', () => {
  let engine: MediaEngine;
  const phones = {} as Record<Name, TestPhone>;
  const ports = {} as Record<Name, number>;
  const base = 31000 + Math.floor(Math.random() * 500) * 40;

  beforeAll(async () => {
    engine = await MediaEngine.start({ host: '127.0.0.1', portRange: [base, base + 39], workers: 2 });
    for (const name of Object.keys(FREQ) as Name[]) {
      phones[name] = await TestPhone.open();
      ({ port: ports[name] } = await engine.createLeg({
        id: name,
        group: 'conv',
        codec: 'PCMU',
        remote: { address: '127.0.0.1', port: phones[name].port },
      }));
    }
    for (const name of Object.keys(FREQ) as Name[]) phones[name].playTone(ports[name], FREQ[name]);
  });

  afterAll(async () => {
    for (const p of Object.values(phones)) p.close();
    await engine?.close();
  });

  it('puts all legs of a group on one worker', () => {
    expect(new Set(['a', 'b', 'c'].map((id) => engine.workerOf(id))).size).toBe(1);
  });

  it('each phone hears exactly the tones its plan lists, then the new plan within 2 frames without a gap', async () => {
    await engine.setPlan('conv', {
      a: { hears: ['b', 'c'] },
      b: { hears: ['a'] },
      c: { hears: ['a', 'b', 'c'] },
    });
    await Promise.all(Object.values(phones).map((p) => p.waitPackets(25)));
    const n = (name: Name) => phones[name].received.length - 10;
    expectHears(phones.a, n('a'), ['b', 'c'], 'a');
    expectHears(phones.b, n('b'), ['a'], 'b');
    expectHears(phones.c, n('c'), ['a', 'b'], 'c (own voice excluded)');

    // Change the plan mid-stream.
    const before = { a: phones.a.received.length, b: phones.b.received.length, c: phones.c.received.length };
    await engine.setPlan('conv', { a: { hears: ['c'] }, b: { hears: ['a', 'c'] }, c: { hears: ['b'] } });
    const mark = { a: phones.a.received.length, b: phones.b.received.length, c: phones.c.received.length };
    await Promise.all(Object.values(phones).map((p) => p.waitPackets(15)));
    // Within 2 frames of the change being acknowledged, every packet follows the new plan.
    expectHears(phones.a, mark.a + 2, ['c'], 'a after change');
    expectHears(phones.b, mark.b + 2, ['a', 'c'], 'b after change');
    expectHears(phones.c, mark.c + 2, ['b'], 'c after change');
    for (const name of ['a', 'b', 'c'] as Name[]) {
      const r = phones[name].received;
      // Per packet: the new plan's tones are present from mark+2 on.
      for (let i = mark[name] + 2; i < mark[name] + 12; i++) {
        const frame = decodeUlaw(r[i]!.payload);
        if (name === 'a') expect(goertzelPower(frame, FREQ.b), `a packet ${i}`).toBeLessThan(0.01);
        if (name === 'c') expect(goertzelPower(frame, FREQ.b), `c packet ${i}`).toBeGreaterThan(0.1);
      }
      // No gap: consecutive sequence numbers and timestamps across the change.
      for (let i = before[name]; i < r.length; i++) {
        expect((r[i]!.sequence - r[i - 1]!.sequence) & 0xffff, `${name} seq at ${i}`).toBe(1);
        expect((r[i]!.timestamp - r[i - 1]!.timestamp) >>> 0, `${name} ts at ${i}`).toBe(160);
        expect(r[i]!.ssrc).toBe(r[i - 1]!.ssrc);
      }
    }
  });

  it('reports per-leg statistics', async () => {
    const s = await engine.stats('a');
    expect(s.state).toBe('latched');
    expect(s.packetsIn).toBeGreaterThan(20);
    expect(s.packetsOut).toBeGreaterThan(20);
    expect(s.malformed).toBe(0);
    expect(s.strictSourceDrops).toBe(0);
    expect(s.peer).toEqual({ address: '127.0.0.1', port: phones.a.port });
  });
});
