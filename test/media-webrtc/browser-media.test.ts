/**
 * Real headless Chromium ↔ the WebRTC gateway on 127.0.0.1: the browser's fake microphone (1000 Hz)
 * reaches the plain-RTP engine leg, and a 440 Hz PCMU stream sent into the gateway by the engine
 * leg is heard in the page (WebAudio AnalyserNode). Both offer directions; fingerprint mismatch;
 * strict source on the relay socket.
 */
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import sdpTransform from 'sdp-transform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebRtcEndpoint } from '../../src/media/webrtc/webrtc-endpoint.js';
import { WebRtcEndpointState } from '../../src/media/webrtc/webrtc-endpoint-state.js';
import { WebRtcGateway } from '../../src/media/webrtc/webrtc-gateway.js';
import { goertzelPower } from '../support/audio.js';
import { type BrowserPeer, type BrowserPeerHarness, startBrowserPeers } from './browser-peer.js';
import { EngineStandIn, waitFor } from './engine-stand-in.js';

const HOST = '127.0.0.1';
const MIC_HZ = 1000;
const ENGINE_HZ = 440;

/** Does this machine have a non-loopback IPv4 address (which Chromium will offer as a candidate)? */
const hasOtherIpv4 = Object.values(networkInterfaces())
  .flat()
  .some((i) => i && i.family === 'IPv4' && !i.internal);

let peers: BrowserPeerHarness;
let gateway: WebRtcGateway;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  peers = await startBrowserPeers(MIC_HZ);
});
afterAll(async () => {
  await peers?.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ engine: EngineStandIn; ep: WebRtcEndpoint; browser: BrowserPeer }> {
  gateway = new WebRtcGateway({ host: HOST, connectTimeoutMs: 15_000 });
  const engine = await EngineStandIn.start();
  const ep = await gateway.createEndpoint({ id: 'browser-1', engineRtp: engine.address });
  const browser = await peers.newPeer();
  cleanups.push(
    () => engine.close(),
    () => gateway.close(),
    () => browser.close(),
  );
  return { engine, ep, browser };
}

function waitForEndpoint(ep: WebRtcEndpoint, state: WebRtcEndpointState): Promise<void> {
  return waitFor(() => ep.state === state, `endpoint ${state} (is ${ep.state})`, 15_000);
}

/** Both directions of audio through a connected endpoint. */
async function expectAudioBothWays(engine: EngineStandIn, ep: WebRtcEndpoint, browser: BrowserPeer) {
  expect(ep.codec).toBe('PCMU');
  // Browser → engine: the 1000 Hz microphone, decrypted and relayed as plain RTP from the relay port.
  await waitFor(() => engine.received.length >= 60, 'browser audio at the engine leg');
  expect(new Set(engine.received.map((r) => r.srcPort))).toEqual(new Set([ep.rtp.port]));
  expect(new Set(engine.received.map((r) => r.payloadType))).toEqual(new Set([0]));
  expect(engine.received.every((r) => r.payload.length === 160)).toBe(true);
  const mic = engine.samples(0, 20); // skip the first 400 ms (fake capture start-up)
  expect(goertzelPower(mic, MIC_HZ)).toBeGreaterThan(0.1);
  expect(goertzelPower(mic, ENGINE_HZ)).toBeLessThan(0.01);

  // Engine → browser: nothing at 440 Hz before we send it, then the tone.
  expect(await browser.toneRatio(ENGINE_HZ)).toBeLessThan(0.1);
  engine.startTone(ENGINE_HZ, 'PCMU', ep.rtp);
  await waitFor(async () => (await browser.toneRatio(ENGINE_HZ)) > 0.5, '440 Hz heard in the page');
  engine.stopTone();
  expect(ep.stats().toBrowser).toBeGreaterThan(0);
  expect(ep.stats().fromBrowser).toBeGreaterThan(0);
}

function expectOurSdp(sdp: string, setup: string) {
  const s = sdpTransform.parse(sdp);
  const m = s.media[0]!;
  expect(s.media).toHaveLength(1);
  expect(m.protocol).toBe('UDP/TLS/RTP/SAVPF');
  expect(m.rtp.map((r) => `${r.payload} ${r.codec}`).sort()).toEqual(['0 PCMU', '8 PCMA']);
  expect(m.rtcpMux).toBe('rtcp-mux');
  expect(m.setup).toBe(setup);
  expect((m.fingerprint ?? s.fingerprint)?.type).toBe('sha-256');
  // Exactly one candidate: UDP host on the media host.
  expect(m.candidates?.map((c) => [c.ip, c.transport, c.type])).toEqual([[HOST, 'udp', 'host']]);
}

describe('WebRTC gateway with headless Chromium', () => {
  it('server offers: the browser answers, the mic reaches the engine leg and the engine tone reaches the page', async () => {
    const { engine, ep, browser } = await setup();
    const offer = await ep.createOffer();
    expectOurSdp(offer, 'actpass');
    const answer = await browser.answer(offer);
    await ep.acceptAnswer(answer);
    await waitForEndpoint(ep, WebRtcEndpointState.Connected);
    await browser.waitForState((s) => s === 'connected');
    await expectAudioBothWays(engine, ep, browser);
    if (hasOtherIpv4) expect(ep.stats().refusedPairs).toBeGreaterThan(0); // Chromium's 192.0.2.x-style candidates
    expect(browser.errors).toEqual([]);
  });

  it('browser offers: we answer with a=setup:active, audio flows both ways', async () => {
    const { engine, ep, browser } = await setup();
    const offer = await browser.offer();
    const answer = await ep.acceptOffer(offer);
    expectOurSdp(answer, 'active');
    await browser.accept(answer);
    await waitForEndpoint(ep, WebRtcEndpointState.Connected);
    await browser.waitForState((s) => s === 'connected');
    await expectAudioBothWays(engine, ep, browser);
    expect(browser.errors).toEqual([]);
  });

  it('stray packets to the relay socket from another source are dropped and counted, never relayed', async () => {
    const { engine, ep, browser } = await setup();
    await browser.accept(await ep.acceptOffer(await browser.offer()));
    await waitForEndpoint(ep, WebRtcEndpointState.Connected);
    const stray = createSocket('udp4');
    await new Promise<void>((r) => stray.bind(0, HOST, r));
    cleanups.push(() => {
      stray.close();
    });
    const before = ep.stats();
    for (let i = 0; i < 25; i++) stray.send(engine.packet(ENGINE_HZ, 'PCMU'), ep.rtp.port, HOST);
    await waitFor(() => ep.stats().strayDrops === before.strayDrops + 25, '25 stray drops');
    expect(ep.stats().toBrowser).toBe(before.toBrowser);
    expect(ep.stats().fromEngine).toBe(before.fromEngine);
    // The engine leg itself still gets through.
    engine.socket.send(engine.packet(ENGINE_HZ, 'PCMU'), ep.rtp.port, HOST);
    await waitFor(() => ep.stats().toBrowser === before.toBrowser + 1, 'engine packet relayed');
  });

  it('a mismatched a=fingerprint in the browser answer fails the endpoint cleanly; close leaks nothing', async () => {
    const { ep, browser } = await setup();
    const states: string[] = [];
    ep.on('state', (s, failure) => states.push(failure ? `${s}:${failure}` : s));
    const offer = await ep.createOffer();
    const answer = await browser.answer(offer);
    // Same algorithm and shape, another certificate's hash.
    const forged = answer.replace(
      /^a=fingerprint:sha-256 \S+$/m,
      `a=fingerprint:sha-256 ${Array.from({ length: 32 }, (_, i) => (i * 7 + 1).toString(16).padStart(2, '0').toUpperCase()).join(':')}`,
    );
    expect(forged).not.toBe(answer);
    await ep.acceptAnswer(forged);
    await waitForEndpoint(ep, WebRtcEndpointState.Failed);
    expect(ep.failure).toBe('dtls-failed');
    expect(states).toEqual(['offering', 'connecting', 'failed:dtls-failed']);
    expect(ep.stats().fromBrowser).toBe(0);
    await ep.close();
    await ep.close(); // idempotent
    const d = ep.dump();
    expect(d.state).toBe('closed');
    expect(d.relay.closed).toBe(true);
    expect(d.connectTimerArmed).toBe(false);
    expect(d.werift?.closed).toBe(true);
    expect(gateway.dump().endpoints).toEqual([]);
  });
});
