import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { FrameTicker } from '../media/frame-ticker.js';
import { PAYLOAD_TYPE, ULAW_DECODE } from '../media/g711.js';
import { parseRtp, RTP_HEADER_SIZE, RtpParse, RtpView, writeRtpHeader } from '../media/rtp-packet.js';
import type { Clock } from '../util/clock.js';
import { ScriptCursor } from './script-cursor.js';
import type { VoiceScript } from './voice-library.js';

/** 20 ms of 8 kHz audio (RFC 3551 §4.5: G.711 at 8000 samples/s; our ptime is 20). */
const FRAME_SAMPLES = 160;
const FRAME_MS = 20;
/**
 * Packets in flight: dgram reads a buffer on a later tick (after its address lookup), so we rotate
 * through more buffers than one event-loop turn can send (the ticker catches up at most 3 frames).
 */
const RING = 8;
/** A received frame whose RMS exceeds this (linear, ~-40 dBFS) counts as speech, not the silence floor. */
const SPEECH_RMS = 330;

export interface Remote {
  readonly address: string;
  readonly port: number;
}

/**
 * A phone's audio: one UDP socket that sends a looped voice script as RTP PCMU, one 20 ms packet per
 * absolute deadline (`FrameTicker`, so timer lateness never accumulates), and counts what it receives
 * (packets, and frames loud enough to be speech). Per packet it allocates nothing of its own: frames
 * are written into a ring of preallocated packet buffers and received ones are parsed into one `RtpView`.
 */
export class VoiceStream {
  private readonly ring: Buffer[] = [];
  private ringAt = 0;
  private readonly view = new RtpView();
  private ticker: FrameTicker | undefined;
  private cursor: ScriptCursor | undefined;
  private remote: Remote | undefined;
  private seq = Math.floor(Math.random() * 0x10000);
  private ts = Math.floor(Math.random() * 0x100000000) >>> 0;
  private readonly ssrc = Math.floor(Math.random() * 0x100000000) >>> 0;
  private first = true;
  private muted = false;
  private closed = false;
  sent = 0;
  received = 0;
  /** Received frames whose level is above the silence floor. */
  speechFramesReceived = 0;
  lastReceivedAt: number | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    for (let i = 0; i < RING; i++) this.ring.push(Buffer.alloc(RTP_HEADER_SIZE + FRAME_SAMPLES));
    socket.on('message', (msg) => this.onPacket(msg));
    socket.on('error', (err) => this.log.warn({ err }, 'rtp socket error'));
  }

  /** Binds a UDP socket on `host` (port 0: a free one). */
  static async open(host: string, clock: Clock, logger: Logger): Promise<VoiceStream> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new VoiceStream(socket, host, socket.address().port, clock, logger);
  }

  /** Starts (or restarts, with a new script) sending to `remote`. */
  play(remote: Remote, script: VoiceScript): void {
    if (this.closed) return;
    this.remote = remote;
    this.cursor = new ScriptCursor(script);
    this.first = true;
    this.ticker?.stop();
    this.ticker = new FrameTicker(this.clock, FRAME_MS, () => this.tick());
    this.ticker.start();
    // The first packet goes out at once (a phone starts sending when the call is answered).
    this.tick();
  }

  /** A re-INVITE moved the peer's media. */
  setRemote(remote: Remote | undefined): void {
    this.remote = remote;
  }

  /** While muted the stream keeps its clock (timestamps advance) but sends nothing (hold). */
  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  private tick(): void {
    const cursor = this.cursor;
    if (!cursor) return;
    const buf = this.ring[this.ringAt] as Buffer;
    this.ringAt = (this.ringAt + 1) % RING;
    // RFC 3550 §5.1: "the marker is intended to allow significant events such as frame boundaries
    // to be marked in the packet stream" — RFC 3551 §4.1 sets it on the first packet of a talkspurt.
    writeRtpHeader(buf, this.first, PAYLOAD_TYPE.PCMU, this.seq, this.ts, this.ssrc);
    cursor.next(buf, RTP_HEADER_SIZE, FRAME_SAMPLES);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
    const remote = this.remote;
    if (this.muted || !remote) return;
    this.first = false;
    this.sent++;
    this.socket.send(buf, 0, buf.length, remote.port, remote.address);
  }

  private onPacket(msg: Buffer): void {
    if (parseRtp(msg, msg.length, this.view) !== RtpParse.OK) return;
    if (this.view.payloadType !== PAYLOAD_TYPE.PCMU) return;
    this.received++;
    this.lastReceivedAt = this.clock.now();
    const o = this.view.payloadOffset;
    const n = this.view.payloadLength;
    if (n === 0) return;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const s = ULAW_DECODE[msg[o + i] as number] as number;
      e += s * s;
    }
    if (Math.sqrt(e / n) > SPEECH_RMS) this.speechFramesReceived++;
  }

  /** Stops sending (the socket stays open until `close`). */
  stop(): void {
    this.ticker?.stop();
    this.ticker = undefined;
    this.cursor = undefined;
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get playing(): boolean {
    return this.ticker !== undefined;
  }

  dump(): Record<string, unknown> {
    return {
      port: this.port,
      remote: this.remote ? `${this.remote.address}:${this.remote.port}` : undefined,
      playing: this.playing,
      muted: this.muted,
      closed: this.closed,
      sent: this.sent,
      received: this.received,
      speechFramesReceived: this.speechFramesReceived,
      cursor: this.cursor?.dump(),
    };
  }
}
