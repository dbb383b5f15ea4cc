import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LegUpdate } from '../media/media-types.js';
import { WebRtcEndpointState } from '../media/webrtc/webrtc-endpoint-state.js';
import { WebRtcGateway } from '../media/webrtc/webrtc-gateway.js';
import type { Binding } from '../sip/registrar/location-service.js';
import { sipError } from '../sip/sip-errors.js';
import type { InviteOptions, InviteResult } from '../sip/ua/outgoing-invite.js';
import { openStore, type Store } from '../store/database.js';
import { findQueueByNumber } from '../store/queue.repository.js';
import { findUserByUsername, setPresence, setRoutingStatus } from '../store/user.repository.js';
import { FakeClock } from '../util/clock.js';
import { applyProvisioning } from './app/provisioning.js';
import { type AppServices, createAppServices } from './app/services.js';
import { CallControl } from './call-control.js';
import { isWebRtcOffer, wantsWebRtc } from './webrtc-leg.js';

/**
 * WebRTC leg placement through call control (real domain and store, fake SIP, a UDP socket per
 * engine leg). The "browser" is a second werift endpoint answering our offer over 127.0.0.1, so
 * ICE, DTLS-SRTP and the relays are real.
 */
interface Invite {
  target: string;
  options: InviteOptions;
  resolve: (r: InviteResult) => void;
  reject: (e: Error) => void;
}

const HOST = '127.0.0.1';
let store: Store;
let clock: FakeClock;
let invites: Invite[];
let updates: { id: string; update: LegUpdate }[];
let engines: Map<string, Socket>;
let gateway: WebRtcGateway;
let browsers: WebRtcGateway;
let calls: CallControl;
let services: AppServices;
let orgId: string;
let transportOf: (aor: string) => 'udp' | 'ws';

function bindSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, HOST, () => resolve(s)));
}

/** Waits for a condition with a deadline (werift's ICE and DTLS run on real time). */
async function until<T>(fn: () => T | Promise<T>, what: string, ms = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10)); // bounded condition poll
  }
}

class FakeDialog extends EventEmitter {
  byes = 0;
  readonly id = { callId: 'call-1' };
  state = 'confirmed';
  async bye(): Promise<void> {
    this.byes++;
  }
}

async function build(withGateway: boolean): Promise<void> {
  const binding = (aor: string): Binding[] => [
    {
      aor,
      contact: `${aor}:6000`,
      key: aor,
      callId: 'c',
      cseq: 1,
      expiresAt: clock.now() + 1e6,
      q: 1,
      source: { transport: transportOf(aor), address: HOST, port: 6000, connectionId: 'conn-1' } as never,
    },
  ];
  const log = pino({ level: 'silent' });
  calls = new CallControl({
    sip: {
      invite: (target, options) =>
        new Promise<InviteResult>((resolve, reject) => {
          invites.push({ target, options, resolve, reject });
          options.signal?.addEventListener('abort', () => reject(sipError('SIP_REQUEST_CANCELLED')));
        }),
    },
    media: {
      createLeg: async (d) => {
        const s = await bindSocket();
        engines.set(d.id, s);
        return { port: s.address().port };
      },
      updateLeg: async (id, update) => {
        updates.push({ id, update });
      },
      setPlan: async () => undefined,
      closeLeg: async (id) => {
        engines.get(id)?.close();
        engines.delete(id);
      },
    },
    ...(withGateway ? { webrtc: gateway } : {}),
    location: { lookup: binding },
    db: store.db,
    clock,
    logger: log,
    settings: { sipHost: HOST, mediaHost: HOST, ringTimeoutMs: 30_000 },
  });
  services = createAppServices({ db: store.db, clock, log, monitorCap: 5, tokenTtlS: 60, effects: calls });
  calls.attach(services);
}

beforeEach(async () => {
  store = await openStore({ url: ':memory:' });
  clock = new FakeClock();
  invites = [];
  updates = [];
  engines = new Map();
  transportOf = () => 'udp';
  gateway = new WebRtcGateway({ host: HOST });
  browsers = new WebRtcGateway({ host: HOST });
  ({ orgId } = await applyProvisioning(
    store.db,
    {
      org: { name: 'Acme' },
      trunks: [{ name: 'pstn', inbound: { allow: [HOST] }, outbound: { uri: `sip:${HOST}:5080` } }],
      queues: [{ name: 'Support', number: '5000', members: ['alice', 'bob'] }],
      users: [
        { username: 'alice', name: 'Alice', password: 'p', roles: ['agent'], phone: { kind: 'webrtc' } },
        {
          username: 'bob',
          name: 'Bob',
          password: 'p',
          roles: ['agent'],
          phone: { kind: 'sip', sipUser: 'bob', sipPassword: 'x' },
        },
      ],
    },
    HOST,
    new Date(clock.now()).toISOString(),
    1024,
  ));
});

afterEach(async () => {
  await calls.close();
  await gateway.close();
  await browsers.close();
  for (const s of engines.values()) s.close();
  await store.close();
});

async function offerTo(username: string): Promise<{ conversationId: string; invite: Invite }> {
  const u = await findUserByUsername(store.db, username);
  await setPresence(store.db, orgId, u!.id, 'AVAILABLE');
  await setRoutingStatus(store.db, orgId, u!.id, 'IDLE', new Date(clock.now()).toISOString());
  const queue = await findQueueByNumber(store.db, '5000');
  const view = await services.conversations.startInbound(orgId, queue!.id, { name: 'Carol' });
  const invite = await until(() => invites[0], 'the INVITE to the agent');
  return { conversationId: view.id, invite };
}

function agentOf(conversationId: string): string {
  const rec = services.conversations.record(orgId, conversationId)!;
  return rec.participants.find((p) => p.purpose === 'agent')!.id;
}

function nextDatagram(s: Socket): Promise<Buffer> {
  return new Promise((resolve) => s.once('message', (m) => resolve(m)));
}

function rtp(seq: number, payloadByte: number): Buffer {
  const b = Buffer.alloc(12 + 160, payloadByte);
  b[0] = 0x80;
  b[1] = 0; // PCMU
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x1234, 8);
  return b;
}

describe('WebRTC legs in call control', () => {
  it('INVITEs a webrtc phone with a WebRTC offer, points the engine leg at the endpoint with the agreed codec, carries audio both ways, and closes the endpoint on release', async () => {
    await build(true);
    const { conversationId, invite } = await offerTo('alice');
    const pid = agentOf(conversationId);
    const offer = invite.options.sdp ?? '';
    expect(invite.options.autoAnswer).toBe(true);
    expect(offer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0 8\r?$/m);
    expect(offer.match(/^a=candidate:/gm)).toHaveLength(1);
    expect(offer).toMatch(/^a=candidate:.* 127\.0\.0\.1 \d+ typ host/m);
    expect(offer).toMatch(/^a=setup:actpass/m);
    const ep = gateway.get(pid)!;
    expect(ep.state).toBe(WebRtcEndpointState.Offering);

    // The "browser" answers (its engine side is a socket of ours).
    const browserEngine = await bindSocket();
    const browser = await browsers.createEndpoint({
      id: 'browser',
      engineRtp: { address: HOST, port: browserEngine.address().port },
    });
    const answerSdp = await browser.acceptOffer(offer);
    const dialog = new FakeDialog();
    invite.resolve({ dialog: dialog as never, answerSdp, response: {} as never });
    const up = await until(() => updates.find((u) => u.id === pid && u.update.remote), 'engine leg update');
    expect(up.update).toMatchObject({ remote: ep.rtp, codec: 'PCMU', direction: 'sendrecv' });
    await until(
      () => services.conversations.record(orgId, conversationId)?.participants.find((p) => p.id === pid),
      'agent participant',
    );
    await until(
      () =>
        services.conversations.record(orgId, conversationId)?.participants.find((p) => p.id === pid)
          ?.state === 'connected',
      'the agent connected',
    );
    await until(() => ep.state === WebRtcEndpointState.Connected, 'our endpoint connected');
    await until(() => browser.state === WebRtcEndpointState.Connected, 'the browser connected');

    // Engine leg → our relay → SRTP → browser → its engine side, payload intact; and back.
    const engine = engines.get(pid)!;
    const got = nextDatagram(browserEngine);
    for (let i = 0; i < 5; i++) engine.send(rtp(i, 0x55), ep.rtp.port, HOST);
    expect((await got).subarray(12).every((b) => b === 0x55)).toBe(true);
    const back = nextDatagram(engine);
    for (let i = 0; i < 5; i++) browserEngine.send(rtp(i, 0x2a), browser.rtp.port, HOST);
    expect((await back).subarray(12).every((b) => b === 0x2a)).toBe(true);

    await services.conversations.apply(orgId, conversationId, { type: 'conversation.end' });
    await calls.idle();
    expect(gateway.get(pid)).toBeUndefined();
    expect(gateway.dump().endpoints).toEqual([]);
    expect(dialog.byes).toBe(1);
    expect(engines.size).toBe(0);
    browserEngine.close();
  });

  it('offers WebRTC to a sip phone registered over WebSocket and plain RTP/AVP to one on UDP', async () => {
    await build(true);
    transportOf = (aor) => (aor.includes('bob') ? 'ws' : 'udp');
    expect(wantsWebRtc({ uri: 'sip:x@y', autoAnswer: true })).toBe(false);
    const { invite } = await offerTo('bob');
    expect(invite.options.sdp).toMatch(/UDP\/TLS\/RTP\/SAVPF/);
    invite.reject(sipError('SIP_REQUEST_FAILED', 'busy', { status: 486 }));
    await calls.idle();
    expect(gateway.dump().endpoints).toEqual([]);

    transportOf = () => 'udp';
    invites.length = 0;
    const second = await offerTo('bob');
    expect(second.invite.options.sdp).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101\r?$/m);
    expect(second.invite.options.sdp).not.toMatch(/fingerprint|candidate/);
    expect(gateway.dump().endpoints).toEqual([]);
  });

  it('without a gateway a webrtc phone is not INVITEd: its leg and media are freed and the agent is not responding', async () => {
    await build(false);
    const u = await findUserByUsername(store.db, 'alice');
    await setPresence(store.db, orgId, u!.id, 'AVAILABLE');
    await setRoutingStatus(store.db, orgId, u!.id, 'IDLE', new Date(clock.now()).toISOString());
    const queue = await findQueueByNumber(store.db, '5000');
    await services.conversations.startInbound(orgId, queue!.id, { name: 'Carol' });
    await until(
      async () => (await findUserByUsername(store.db, 'alice'))?.routingStatus === 'NOT_RESPONDING',
      'alice NOT_RESPONDING',
    );
    await calls.idle();
    expect(invites).toEqual([]);
    expect(engines.size).toBe(0);
  });

  it('answers an INVITE carrying a WebRTC offer with 488 and a Warning (browser phones do not place calls)', async () => {
    await build(true);
    const rejected: { status: number; headers: unknown }[] = [];
    const offerer = await browsers.createEndpoint({ id: 'caller', engineRtp: { address: HOST, port: 9 } });
    const offer = await offerer.createOffer();
    expect(isWebRtcOffer(offer)).toBe(true);
    expect(isWebRtcOffer('v=0\r\nm=audio 4000 RTP/AVP 0\r\n')).toBe(false);
    await calls.handleInvite({
      offer,
      request: { callId: 'x' },
      reject: (status: number, o: { headers?: unknown }) => rejected.push({ status, headers: o.headers }),
    } as never);
    expect(rejected).toEqual([
      { status: 488, headers: { warning: expect.stringMatching(/^302 127\.0\.0\.1 "Browser phones/) } },
    ]);
    expect(services.conversations.dump().live).toBe(0);
  });
});
