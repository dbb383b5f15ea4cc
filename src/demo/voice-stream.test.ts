import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ULAW_ENCODE } from '../media/g711.js';
import { decodeRtp, type RtpPacket } from '../media/rtp-packet.js';
import { FakeClock } from '../util/clock.js';
import type { VoiceScript } from './voice-library.js';
import { VoiceStream } from './voice-stream.js';

const log = pino({ level: 'silent' });
const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

async function receiver(): Promise<{
  socket: Socket;
  port: number;
  packets: RtpPacket[];
  waitFor(n: number): Promise<void>;
}> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  opened.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
  const packets: RtpPacket[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (m) => {
    const p = decodeRtp(m);
    if (typeof p !== 'number') packets.push(p);
    for (const w of waiters) w();
  });
  return {
    socket,
    port: socket.address().port,
    packets,
    waitFor: (n) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`got ${packets.length} of ${n} packets`)), 5000);
        const check = () => {
          if (packets.length >= n) {
            clearTimeout(t);
            resolve();
          }
        };
        waiters.push(check);
        check();
      }),
  };
}

/**
 * Moves fake time 20 ms at a time, yielding to the event loop in between as real time would: dgram
 * reads a packet buffer on a later tick, and the stream's ring holds 8 (the ticker's catch-up is 3).
 */
async function step(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    clock.advance(Math.min(20, ms - t));
    await new Promise((r) => setImmediate(r));
  }
}

/** A ramp voice so that every byte's position is checkable. */
const ramp = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 200);

describe('VoiceStream', () => {
  it('sends one 20 ms PCMU packet per tick of the clock with continuous sequence numbers and timestamps', async () => {
    const clock = new FakeClock();
    const rx = await receiver();
    const stream = await VoiceStream.open('127.0.0.1', clock, log);
    opened.push(stream);
    const voice = ramp(480);
    const script: VoiceScript = { leadInMs: 0, turns: [{ voice, pauseAfterMs: 20 }] };
    stream.play({ address: '127.0.0.1', port: rx.port }, script);
    await step(clock, 200); // 10 more deadlines after the immediate first packet
    await rx.waitFor(11);
    const p = rx.packets;
    expect(p).toHaveLength(11);
    for (let i = 1; i < p.length; i++) {
      expect(p[i]!.sequence).toBe((p[0]!.sequence + i) & 0xffff);
      expect(p[i]!.timestamp).toBe((p[0]!.timestamp + 160 * i) >>> 0);
      expect(p[i]!.ssrc).toBe(p[0]!.ssrc);
      expect(p[i]!.marker).toBe(false);
    }
    expect(p[0]!.marker).toBe(true);
    expect(p.every((x) => x.payloadType === 0 && x.payload.length === 160)).toBe(true);
    // 480 voice samples (3 frames), 160 of pause, then the voice again.
    expect([...p[0]!.payload, ...p[1]!.payload, ...p[2]!.payload]).toEqual([...voice]);
    expect(p[3]!.payload.every((b) => b === 0xff)).toBe(true);
    expect([...p[4]!.payload]).toEqual([...voice.subarray(0, 160)]);
    expect(stream.sent).toBe(11);
    expect(clock.pending).toBe(1);
    await stream.close();
    expect(clock.pending).toBe(0);
  });

  it('muted (hold) keeps its clock but sends nothing; unmuted resumes with the timestamps moved on', async () => {
    const clock = new FakeClock();
    const rx = await receiver();
    const stream = await VoiceStream.open('127.0.0.1', clock, log);
    opened.push(stream);
    stream.play(
      { address: '127.0.0.1', port: rx.port },
      { leadInMs: 0, turns: [{ voice: ramp(1600), pauseAfterMs: 0 }] },
    );
    await rx.waitFor(1);
    stream.setMuted(true);
    await step(clock, 100);
    stream.setMuted(false);
    await step(clock, 20);
    await rx.waitFor(2);
    expect(stream.sent).toBe(2);
    expect(rx.packets[1]!.timestamp - rx.packets[0]!.timestamp).toBe(160 * 6);
  });

  it('counts received frames that carry speech energy, not silent ones', async () => {
    const clock = new FakeClock();
    const a = await VoiceStream.open('127.0.0.1', clock, log);
    const b = await VoiceStream.open('127.0.0.1', clock, log);
    opened.push(a, b);
    // a: 5 frames of a loud 440 Hz tone then silence; b: silence only.
    const tone = Uint8Array.from(
      { length: 800 },
      (_, i) => ULAW_ENCODE[Math.round(Math.sin((2 * Math.PI * 440 * i) / 8000) * 8000) & 0xffff]!,
    );
    a.play(
      { address: '127.0.0.1', port: b.port },
      { leadInMs: 0, turns: [{ voice: tone, pauseAfterMs: 10_000 }] },
    );
    b.play({ address: '127.0.0.1', port: a.port }, { leadInMs: 0, turns: [] });
    await step(clock, 180); // 10 packets each way
    const deadline = Date.now() + 5000;
    while ((b.received < 10 || a.received < 10) && Date.now() < deadline)
      await new Promise((r) => setImmediate(r));
    expect(b.received).toBe(10);
    expect(b.speechFramesReceived).toBe(5);
    expect(a.received).toBe(10);
    expect(a.speechFramesReceived).toBe(0);
  });

  it('close() is idempotent and stops the clock', async () => {
    const clock = new FakeClock();
    const s = await VoiceStream.open('127.0.0.1', clock, log);
    s.play({ address: '127.0.0.1', port: 9 }, { leadInMs: 0, turns: [] });
    await s.close();
    await s.close();
    expect(s.isClosed).toBe(true);
    expect(clock.pending).toBe(0);
    expect(s.dump()).toMatchObject({ playing: false, closed: true });
  });
});
