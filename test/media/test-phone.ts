/**
 * A minimal RTP phone for media tests: a UDP socket on 127.0.0.1 that plays a stream in real time
 * (one packet per 20 ms, like a phone) and records everything it receives.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeRtp, RtpParse, serializeRtp } from '../../src/media/rtp-packet.js';
import { toneUlaw } from '../support/audio.js';

export interface Received {
  at: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  payload: Uint8Array;
}

export class TestPhone {
  readonly received: Received[] = [];
  readonly sent: Uint8Array[] = [];
  /** When each packet of `sent` left (performance.now()). */
  readonly sentAt: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiters: Array<() => void> = [];
  private seq = Math.floor(Math.random() * 65536);
  private ts = Math.floor(Math.random() * 2 ** 32);
  private readonly ssrc = Math.floor(Math.random() * 2 ** 32);

  private constructor(
    readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (msg) => {
      const p = decodeRtp(msg);
      if (typeof p === 'number') return;
      this.received.push({
        at: performance.now(),
        sequence: p.sequence,
        timestamp: p.timestamp,
        ssrc: p.ssrc,
        payloadType: p.payloadType,
        payload: p.payload,
      });
      for (const w of [...this.waiters]) w();
    });
  }

  static async open(): Promise<TestPhone> {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    return new TestPhone(s, s.address().port);
  }

  /** Plays frames from `frame(i)` to `port` every 20 ms until `stop()`. */
  play(port: number, frame: (i: number) => Uint8Array, payloadType = 0): void {
    this.stop();
    let i = 0;
    const send = () => {
      const payload = frame(i++);
      this.sent.push(payload);
      this.sentAt.push(performance.now());
      this.socket.send(
        serializeRtp({
          marker: false,
          payloadType,
          sequence: this.seq,
          timestamp: this.ts,
          ssrc: this.ssrc,
          payload,
        }),
        port,
        '127.0.0.1',
      );
      this.seq = (this.seq + 1) & 0xffff;
      this.ts = (this.ts + 160) >>> 0;
    };
    // Absolute deadlines, like a phone's sample clock: no drift from timer lateness.
    const start = performance.now();
    const pump = () => {
      const due = Math.floor((performance.now() - start) / 20) + 1;
      while (i < due) send();
      this.timer = setTimeout(pump, start + i * 20 - performance.now());
    };
    pump();
  }

  /** Plays a continuous µ-law tone. */
  playTone(port: number, freq: number, amplitude = 0.3): void {
    this.play(port, (i) => toneUlaw(freq, 20, amplitude, i * 160));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  sendRaw(buf: Uint8Array, port: number): void {
    this.socket.send(buf, port, '127.0.0.1');
  }

  /** Resolves when `cond()` holds (checked on every received packet), rejects after `timeoutMs`. */
  waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        clearTimeout(t);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what} (${this.received.length} packets received)`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  /** Waits until `n` more packets than now have arrived. */
  waitPackets(n: number, timeoutMs = 5000): Promise<void> {
    const target = this.received.length + n;
    return this.waitFor(() => this.received.length >= target, timeoutMs, `${n} packets`);
  }

  close(): void {
    this.stop();
    this.socket.close();
  }
}

export { RtpParse };
