/**
 * A plain UDP socket standing in for the media engine's RTP leg: it records what it receives and
 * can stream a G.711 tone (20 ms packets, paced by a timer) to a destination.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeAlaw, decodeUlaw, toneAlaw, toneUlaw } from '../support/audio.js';

export interface Received {
  srcPort: number;
  payloadType: number;
  payload: Buffer;
}

export class EngineStandIn {
  readonly received: Received[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private seq = 0;
  private ts = 0;
  private readonly ssrc = 0x1234abcd;

  private constructor(
    readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
      this.received.push({ srcPort: rinfo.port, payloadType: msg[1]! & 0x7f, payload: msg.subarray(12) });
    });
  }

  static async start(): Promise<EngineStandIn> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new EngineStandIn(socket, socket.address().port);
  }

  get address(): { address: string; port: number } {
    return { address: '127.0.0.1', port: this.port };
  }

  /** One RTP packet: 20 ms of `freq` Hz in `codec`. */
  packet(freq: number, codec: 'PCMU' | 'PCMA'): Buffer {
    const payload = codec === 'PCMU' ? toneUlaw(freq, 20, 0.5, this.ts) : toneAlaw(freq, 20, 0.5, this.ts);
    const b = Buffer.alloc(12 + payload.length);
    b[0] = 0x80;
    b[1] = codec === 'PCMU' ? 0 : 8;
    b.writeUInt16BE(this.seq++ & 0xffff, 2);
    b.writeUInt32BE(this.ts >>> 0, 4);
    b.writeUInt32BE(this.ssrc, 8);
    b.set(payload, 12);
    this.ts += 160;
    return b;
  }

  /** Streams a tone to `to` every 20 ms until `stopTone()`. */
  startTone(freq: number, codec: 'PCMU' | 'PCMA', to: { address: string; port: number }): void {
    this.stopTone();
    this.timer = setInterval(() => this.socket.send(this.packet(freq, codec), to.port, to.address), 20);
  }

  stopTone(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Decoded samples of the received packets (from index `from`) whose payload type is `pt`. */
  samples(pt: number, from = 0): Int16Array {
    const parts = this.received.slice(from).filter((r) => r.payloadType === pt);
    const out = new Int16Array(parts.reduce((n, r) => n + r.payload.length, 0));
    let o = 0;
    for (const r of parts) {
      out.set(pt === 0 ? decodeUlaw(r.payload) : decodeAlaw(r.payload), o);
      o += r.payload.length;
    }
    return out;
  }

  close(): void {
    this.stopTone();
    this.socket.close();
  }
}

/** Polls `cond` until it holds; rejects with `what` at the deadline. Not a sleep: a bounded wait. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
