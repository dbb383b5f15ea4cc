/**
 * A browser phone's media side in headless Chromium, for tests: an RTCPeerConnection in a page
 * served from 127.0.0.1 (getUserMedia needs a secure context), the fake microphone as its audio
 * source, and a WebAudio AnalyserNode on what it receives. Signalling is by `page.evaluate`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { tonePcm, wavFile } from '../support/audio.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';

/** The page's script: plain JS, run in Chromium. */
const PAGE_JS = `
window.peer = {
  pc: null, ctx: null, an: null, el: null,
  async setup() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    pc.ontrack = (e) => this.attach(e.streams[0] || new MediaStream([e.track]));
  },
  attach(stream) {
    // Chromium pulls remote WebRTC audio into WebAudio only while a media element plays it too.
    const el = new Audio(); el.muted = true; el.srcObject = stream; el.play().catch(() => {});
    const ctx = new AudioContext();
    const an = ctx.createAnalyser(); an.fftSize = 8192; an.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource(stream).connect(an);
    ctx.resume().catch(() => {});
    this.ctx = ctx; this.an = an; this.el = el;
  },
  gathered() {
    return new Promise((r) => {
      if (this.pc.iceGatheringState === 'complete') return r();
      this.pc.addEventListener('icegatheringstatechange', () => { if (this.pc.iceGatheringState === 'complete') r(); });
    });
  },
  async offer() { await this.setup(); await this.pc.setLocalDescription(await this.pc.createOffer()); await this.gathered(); return this.pc.localDescription.sdp; },
  async answer(sdp) { await this.setup(); await this.pc.setRemoteDescription({ type: 'offer', sdp }); await this.pc.setLocalDescription(await this.pc.createAnswer()); await this.gathered(); return this.pc.localDescription.sdp; },
  async accept(sdp) { await this.pc.setRemoteDescription({ type: 'answer', sdp }); },
  state() { return this.pc ? this.pc.connectionState : 'none'; },
  /** Fraction of the received spectrum's power within 3 bins of freq (0 when silent). */
  toneRatio(freq) {
    if (!this.an) return 0;
    const bins = new Float32Array(this.an.frequencyBinCount);
    this.an.getFloatFrequencyData(bins);
    const hz = this.ctx.sampleRate / this.an.fftSize;
    let total = 0, near = 0;
    for (let i = 1; i < bins.length; i++) {
      if (!Number.isFinite(bins[i])) continue;
      const p = Math.pow(10, bins[i] / 10);
      total += p;
      if (Math.abs(i * hz - freq) <= 3 * hz) near += p;
    }
    return total > 1e-9 ? near / total : 0;
  },
  close() { if (this.pc) this.pc.close(); if (this.ctx) this.ctx.close(); },
};
`;

export interface BrowserPeerHarness {
  /** A fresh page with `window.peer`. */
  newPeer(): Promise<BrowserPeer>;
  close(): Promise<void>;
}

export class BrowserPeer {
  constructor(
    readonly page: Page,
    readonly errors: string[],
  ) {}
  offer(): Promise<string> {
    return this.page.evaluate('window.peer.offer()') as Promise<string>;
  }
  answer(offer: string): Promise<string> {
    return this.page.evaluate(`window.peer.answer(${JSON.stringify(offer)})`) as Promise<string>;
  }
  accept(answer: string): Promise<void> {
    return this.page.evaluate(`window.peer.accept(${JSON.stringify(answer)})`) as Promise<void>;
  }
  state(): Promise<string> {
    return this.page.evaluate('window.peer.state()') as Promise<string>;
  }
  toneRatio(freq: number): Promise<number> {
    return this.page.evaluate(`window.peer.toneRatio(${freq})`) as Promise<number>;
  }
  /** Resolves when the page's connection state satisfies `pred`, or rejects at the deadline. */
  async waitForState(pred: (s: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state();
      if (pred(s)) return s;
      if (Date.now() > deadline) throw new Error(`browser connection state stuck at ${s}`);
      await this.page.waitForTimeout(50);
    }
  }
  async close(): Promise<void> {
    await this.page.evaluate('window.peer.close()').catch(() => {});
    await this.page.context().close();
  }
}

/** Chromium with a fake microphone playing `micFreq` Hz, and a tiny HTTP server for the page. */
export async function startBrowserPeers(micFreq: number): Promise<BrowserPeerHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-webrtc-'));
  const wav = join(dir, `tone-${micFreq}.wav`);
  writeFileSync(wav, wavFile(tonePcm(micFreq, 60_000, 0.5)));
  const server: Server = createServer((req, res) => {
    if (req.url === '/peer.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(PAGE_JS);
      return;
    }
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><html><head><script src="/peer.js"></script></head><body>peer</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  let browser: TestBrowser;
  try {
    browser = await launchBrowser({ fakeAudioWav: wav });
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    async newPeer() {
      const { page, errors } = await browser.newPage(url);
      await page.goto(url);
      await page.waitForFunction('!!window.peer');
      return new BrowserPeer(page, errors);
    },
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
