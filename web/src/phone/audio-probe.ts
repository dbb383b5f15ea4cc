import { tonePower } from '../lib/tone-power.js';

/**
 * Plays what the browser phone receives and analyses it: the received MediaStream goes through an
 * AnalyserNode, and `window.__earshotAudio.tonePower(freqHz)` returns the fraction of the last
 * ~500 ms of received energy at that frequency, so end-to-end tests can tell from inside the page
 * who this phone hears.
 */
export class AudioProbe {
  private ctx: AudioContext | null = null;
  private analyser: AnalyserNode | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private buffer: Float32Array<ArrayBuffer> | null = null;
  private readonly audio: HTMLAudioElement;

  /** The test hook; a probe closing after its successor started must not remove the successor's. */
  private readonly hook = {
    tonePower: (freqHz: number) => this.tonePower(freqHz),
    rms: () => this.rms(),
    attached: () => this.source !== null,
  };

  constructor() {
    this.audio = document.createElement('audio');
    this.audio.autoplay = true;
    this.audio.setAttribute('aria-hidden', 'true');
    document.body.appendChild(this.audio);
    window.__earshotAudio = this.hook;
  }

  attach(stream: MediaStream): void {
    this.detach();
    // Chrome only feeds a remote WebRTC stream into WebAudio while a media element also plays it.
    this.audio.srcObject = stream;
    this.audio.play().catch(() => {});
    this.ctx ??= new AudioContext();
    this.ctx.resume().catch(() => {});
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 32768;
    this.analyser.smoothingTimeConstant = 0;
    this.source = this.ctx.createMediaStreamSource(stream);
    this.source.connect(this.analyser);
    this.buffer = new Float32Array(this.analyser.fftSize);
  }

  detach(): void {
    this.source?.disconnect();
    this.source = null;
    this.analyser = null;
    this.audio.srcObject = null;
  }

  private window(): Float32Array | null {
    if (!this.analyser || !this.buffer || !this.ctx) return null;
    this.analyser.getFloatTimeDomainData(this.buffer);
    const n = Math.min(this.buffer.length, Math.round(this.ctx.sampleRate * 0.5));
    return this.buffer.subarray(this.buffer.length - n);
  }

  tonePower(freqHz: number): number {
    const w = this.window();
    return w && this.ctx ? tonePower(w, this.ctx.sampleRate, freqHz) : 0;
  }

  rms(): number {
    const w = this.window();
    if (!w || w.length === 0) return 0;
    let e = 0;
    for (let i = 0; i < w.length; i++) e += (w[i] ?? 0) ** 2;
    return Math.sqrt(e / w.length);
  }

  close(): void {
    this.detach();
    this.ctx?.close().catch(() => {});
    this.ctx = null;
    this.audio.remove();
    if (window.__earshotAudio === this.hook) window.__earshotAudio = undefined;
  }
}

declare global {
  interface Window {
    __earshotAudio?: { tonePower(freqHz: number): number; rms(): number; attached(): boolean };
  }
}
