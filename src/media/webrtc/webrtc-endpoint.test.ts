/**
 * Two gateway endpoints back to back (werift ↔ werift on 127.0.0.1): each one's engine leg is a
 * plain UDP socket, so a packet sent by engine A comes out, decrypted, at engine B and back.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../util/clock.js';
import type { WebRtcEndpoint } from './webrtc-endpoint.js';
import { WebRtcEndpointState } from './webrtc-endpoint-state.js';
import { WebRtcGateway } from './webrtc-gateway.js';

const HOST = '127.0.0.1';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function engineSocket(): Promise<{ socket: Socket; port: number; got: Buffer[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, HOST, r));
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  cleanups.push(() => socket.close());
  return { socket, port: socket.address().port, got };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function packet(pt: number, seq: number, fill: number): Buffer {
  const b = Buffer.alloc(172, fill);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0xabc, 8);
  return b;
}

async function pair(opts: { clock?: FakeClock; allowRemoteAddress?: (a: string) => boolean } = {}) {
  const gw = new WebRtcGateway({ host: HOST, ...opts });
  cleanups.push(() => gw.close());
  const ea = await engineSocket();
  const eb = await engineSocket();
  const a = await gw.createEndpoint({ id: 'a', engineRtp: { address: HOST, port: ea.port } });
  const b = await gw.createEndpoint({ id: 'b', engineRtp: { address: HOST, port: eb.port } });
  return { gw, ea, eb, a, b };
}

const connected = (ep: WebRtcEndpoint) =>
  until(() => ep.state === WebRtcEndpointState.Connected, `${ep.id} connected`);

describe('WebRtcEndpoint (werift ↔ werift)', () => {
  it('relays plain RTP through DTLS-SRTP both ways, payload bytes unchanged', async () => {
    const { ea, eb, a, b } = await pair();
    await a.acceptAnswer(await b.acceptOffer(await a.createOffer()));
    await Promise.all([connected(a), connected(b)]);
    expect(a.codec).toBe('PCMU');
    expect(b.codec).toBe('PCMU');
    for (let i = 0; i < 10; i++) ea.socket.send(packet(0, 1000 + i, i), a.rtp.port, HOST);
    for (let i = 0; i < 10; i++) eb.socket.send(packet(0, 2000 + i, 100 + i), b.rtp.port, HOST);
    await until(() => eb.got.length === 10 && ea.got.length === 10, '10 packets each way');
    expect(eb.got.map((p) => p[12])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ea.got.map((p) => p[12])).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(eb.got.every((p) => p.length === 172 && (p[1]! & 0x7f) === 0)).toBe(true);
    expect(a.stats()).toMatchObject({ toBrowser: 10, fromBrowser: 10, fromEngine: 10, toEngine: 10 });
  });

  it('drops engine packets whose payload type is not the agreed codec, and those sent before connecting', async () => {
    const { ea, a, b } = await pair();
    const offer = await a.createOffer();
    ea.socket.send(packet(0, 1, 1), a.rtp.port, HOST);
    await until(() => a.stats().notConnectedDrops === 1, 'a drop before connecting');
    await a.acceptAnswer(await b.acceptOffer(offer));
    await Promise.all([connected(a), connected(b)]);
    ea.socket.send(packet(8, 2, 1), a.rtp.port, HOST); // PCMA on a PCMU leg
    ea.socket.send(packet(101, 3, 1), a.rtp.port, HOST); // telephone-event: not negotiated
    await until(() => a.stats().wrongPayloadDrops === 2, 'two wrong payload drops');
    expect(a.stats().toBrowser).toBe(0);
  });

  it('refuses calls in the wrong state and SDP that breaks the rules, changing nothing', async () => {
    const { a, b } = await pair();
    await expect(a.acceptAnswer('v=0')).rejects.toMatchObject({ code: 'WEBRTC_INVALID_STATE' });
    const offer = await a.createOffer();
    await expect(a.createOffer()).rejects.toMatchObject({ code: 'WEBRTC_INVALID_STATE' });
    await expect(a.acceptOffer(offer)).rejects.toMatchObject({ code: 'WEBRTC_INVALID_STATE' });
    await expect(b.acceptOffer(offer.replace('a=setup:actpass', 'a=setup:active'))).rejects.toMatchObject({
      code: 'WEBRTC_SDP_UNSUPPORTED',
    });
    expect(b.state).toBe(WebRtcEndpointState.New);
    await expect(b.acceptOffer(offer.replace(/^a=rtcp-mux\r?\n/m, ''))).rejects.toMatchObject({
      code: 'WEBRTC_SDP_UNSUPPORTED',
    });
    expect(b.state).toBe(WebRtcEndpointState.New);
    const answer = await b.acceptOffer(offer);
    await expect(a.acceptAnswer(answer.replace('a=setup:active', 'a=setup:actpass'))).rejects.toMatchObject({
      code: 'WEBRTC_SDP_UNSUPPORTED',
    });
    expect(a.state).toBe(WebRtcEndpointState.Offering);
  });

  it('never pairs with a remote address it does not allow: ICE fails with nothing to check', async () => {
    const { a, b } = await pair({ allowRemoteAddress: () => false });
    const states: string[] = [];
    a.on('state', (s, f) => states.push(f ? `${s}:${f}` : s));
    await a.acceptAnswer(await b.acceptOffer(await a.createOffer()));
    await until(() => a.state === WebRtcEndpointState.Failed, 'a failed');
    expect(a.stats().refusedPairs).toBeGreaterThan(0);
    expect(b.stats().refusedPairs).toBeGreaterThan(0);
    expect(a.failure).toBe('ice-failed');
    expect(states).toEqual(['offering', 'connecting', 'failed:ice-failed']);
    expect(a.dump().connectTimerArmed).toBe(false);
  });

  it('fails with connect-timeout when the browser never completes ICE (connect timer on the injected clock)', async () => {
    const clock = new FakeClock();
    const { a, b } = await pair({ clock });
    const answer = await b.acceptOffer(await a.createOffer());
    await b.close(); // the "browser" goes away: our checks go unanswered
    await a.acceptAnswer(answer);
    expect(a.dump().connectTimerArmed).toBe(true);
    expect(clock.pendingDelays()).toEqual([10_000]);
    clock.advance(9_999);
    expect(a.state).toBe(WebRtcEndpointState.Connecting);
    clock.advance(1);
    expect(a.state).toBe(WebRtcEndpointState.Failed);
    expect(a.failure).toBe('connect-timeout');
    expect(a.dump().connectTimerArmed).toBe(false);
    expect(clock.pending).toBe(0);
    await until(() => a.dump().werift?.closed === true, 'werift closed after failure');
  });

  it('the gateway refuses a duplicate id, forgets closed endpoints and refuses new ones once closed', async () => {
    const { gw, a, b } = await pair();
    await expect(gw.createEndpoint({ id: 'a', engineRtp: { address: HOST, port: 9 } })).rejects.toMatchObject(
      {
        code: 'WEBRTC_ENDPOINT_EXISTS',
      },
    );
    await a.close();
    await a.close();
    expect(gw.get('a')).toBeUndefined();
    expect(gw.dump().endpoints.map((e) => e.id)).toEqual(['b']);
    await gw.close();
    await gw.close();
    expect(b.state).toBe(WebRtcEndpointState.Closed);
    expect(b.dump().relay.closed).toBe(true);
    expect(gw.dump()).toEqual({ closed: true, endpoints: [] });
    await expect(gw.createEndpoint({ id: 'c', engineRtp: { address: HOST, port: 9 } })).rejects.toMatchObject(
      {
        code: 'WEBRTC_GATEWAY_CLOSED',
      },
    );
  });
});
