import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Binding } from '../sip/registrar/location-service.js';
import { sipError } from '../sip/sip-errors.js';
import type { InviteOptions, InviteResult } from '../sip/ua/outgoing-invite.js';
import { listTimeline } from '../store/conversation.repository.js';
import { openStore, type Store } from '../store/database.js';
import { findQueueByNumber } from '../store/queue.repository.js';
import { findUserByUsername, setPresence, setRoutingStatus } from '../store/user.repository.js';
import { FakeClock } from '../util/clock.js';
import { applyProvisioning } from './app/provisioning.js';
import { type AppServices, createAppServices } from './app/services.js';
import { CallControl } from './call-control.js';

/** Call control on fake time with a fake SIP stack and media engine (the real domain and store). */
interface Invite {
  target: string;
  options: InviteOptions;
  resolve: (r: InviteResult) => void;
  reject: (e: Error) => void;
}

let store: Store;
let clock: FakeClock;
let invites: Invite[];
let mediaLegs: Set<string>;
/** While set, the media engine's createLeg waits for it (a leg still being allocated). */
let allocating: Promise<void> | undefined;
let calls: CallControl;
let services: AppServices;
let orgId: string;

const RING_MS = 30_000;

beforeEach(async () => {
  store = await openStore({ url: ':memory:' });
  clock = new FakeClock();
  invites = [];
  mediaLegs = new Set();
  allocating = undefined;
  const sip = (u: string) => ({ kind: 'sip' as const, sipUser: u, sipPassword: 'x' });
  ({ orgId } = await applyProvisioning(
    store.db,
    {
      org: { name: 'Acme' },
      trunks: [{ name: 'pstn', inbound: { allow: ['127.0.0.1'] }, outbound: { uri: 'sip:127.0.0.1:5080' } }],
      queues: [{ name: 'Support', number: '5000', members: ['alice', 'bob'] }],
      users: [
        { username: 'alice', name: 'Alice', password: 'p', roles: ['agent'], phone: sip('alice') },
        { username: 'bob', name: 'Bob', password: 'p', roles: ['agent'], phone: sip('bob') },
        {
          username: 'rita',
          name: 'Rita',
          password: 'p',
          roles: ['supervisor'],
          phone: { kind: 'remote', number: '155' },
        },
      ],
    },
    '127.0.0.1',
    new Date(clock.now()).toISOString(),
    1024,
  ));
  let port = 30000;
  const binding = (aor: string): Binding[] => [
    {
      aor,
      contact: `${aor}:6000`,
      key: aor,
      callId: 'c',
      cseq: 1,
      expiresAt: clock.now() + 1e6,
      q: 1,
      source: undefined,
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
        if (allocating) await allocating;
        mediaLegs.add(d.id);
        port += 2;
        return { port };
      },
      updateLeg: async () => undefined,
      setPlan: async () => undefined,
      closeLeg: async (id) => {
        mediaLegs.delete(id);
      },
    },
    location: {
      lookup: (aor) => (aor.startsWith('sip:alice@') || aor.startsWith('sip:bob@') ? binding(aor) : []),
    },
    db: store.db,
    clock,
    logger: log,
    settings: { sipHost: '127.0.0.1', mediaHost: '127.0.0.1', ringTimeoutMs: RING_MS },
  });
  services = createAppServices({ db: store.db, clock, log, monitorCap: 5, tokenTtlS: 60, effects: calls });
  calls.attach(services);
});

afterEach(async () => {
  await calls.close();
  await store.close();
});

async function onQueue(username: string): Promise<string> {
  const u = await findUserByUsername(store.db, username);
  await setPresence(store.db, orgId, u!.id, 'AVAILABLE');
  await setRoutingStatus(store.db, orgId, u!.id, 'IDLE', new Date(clock.now()).toISOString());
  clock.advance(1000);
  return u!.id;
}

/**
 * Lets call control's async work (store, domain) run: yields to the event loop a bounded number of
 * turns (no timers; time only moves through `clock.advance`). Ringing INVITEs stay pending.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 100; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A customer call answered by alice (the only agent on the queue); rita (a remote phone) available. */
async function answeredCall(): Promise<{ conversationId: string; agentId: string; ritaId: string }> {
  await onQueue('alice');
  const queue = await findQueueByNumber(store.db, '5000');
  const view = await services.conversations.startInbound(orgId, queue!.id, { name: 'Carol' });
  await settle();
  expect(invites[0], 'the agent was called').toBeDefined();
  const rec = services.conversations.record(orgId, view.id)!;
  const agent = rec.participants.find((p) => p.purpose === 'agent')!;
  await services.conversations.apply(orgId, view.id, { type: 'answer', participantId: agent.id });
  const rita = await findUserByUsername(store.db, 'rita');
  await setPresence(store.db, orgId, rita!.id, 'AVAILABLE');
  return { conversationId: view.id, agentId: agent.id, ritaId: rita!.id };
}

/** Rita starts monitoring the agent of `answeredCall()`. */
function ritaMonitors(call: { conversationId: string; agentId: string; ritaId: string }) {
  return services.supervision.start(
    {
      userId: call.ritaId,
      orgId,
      username: 'rita',
      permissions: ['conversation:call:monitor'],
      sourceAddress: '127.0.0.1',
    } as never,
    call.conversationId,
    call.agentId,
    'monitor',
  );
}

describe('CallControl on fake time', () => {
  it('rings the longest-idle agent with auto-answer; after the ring timeout: CANCEL, NOT_RESPONDING, the next agent', async () => {
    const alice = await onQueue('alice');
    await onQueue('bob');
    const queue = await findQueueByNumber(store.db, '5000');
    const view = await services.conversations.startInbound(orgId, queue!.id, { name: 'Carol' });
    await settle();
    expect(invites.map((i) => [i.target, i.options.autoAnswer])).toEqual([
      ['sip:alice@127.0.0.1:6000', true],
    ]);
    expect(calls.dump().legs).toHaveLength(1);
    clock.advance(RING_MS - 1);
    await settle();
    expect(invites).toHaveLength(1);
    clock.advance(1);
    await settle();
    await settle();
    expect(invites.map((i) => i.target)).toEqual(['sip:alice@127.0.0.1:6000', 'sip:bob@127.0.0.1:6000']);
    expect(invites[0]!.options.signal?.aborted, 'alice was cancelled').toBe(true);
    expect((await findUserByUsername(store.db, 'alice'))?.routingStatus).toBe('NOT_RESPONDING');
    const tl = await listTimeline(store.db, orgId, view.id);
    expect(tl?.some((e) => e.type === 'participant.not-responding' && e.userId === alice)).toBe(true);
    await services.conversations.apply(orgId, view.id, { type: 'conversation.end' });
    await settle();
    expect(calls.dump().legs).toEqual([]);
    expect(mediaLegs.size).toBe(0);
  });

  it('a remote supervisor phone that declines (603) → supervision.failed declined; nothing left allocated', async () => {
    const call = await answeredCall();
    const view = { id: call.conversationId };
    const agent = { id: call.agentId };
    const started = await ritaMonitors(call);
    await settle();
    const ring = invites.find((i) => i.target === 'sip:155@127.0.0.1:5080');
    expect(ring?.options.autoAnswer).toBe(false);
    ring!.reject(sipError('SIP_REQUEST_FAILED', 'declined', { status: 603 }));
    await settle();
    const tl = await listTimeline(store.db, orgId, view.id);
    expect(
      tl?.find((e) => e.type === 'supervision.failed' && e.participantId === started.participantId)?.reason,
    ).toBe('declined');
    expect(calls.dump().legs.map((l) => l.participantId)).toEqual([agent.id]);
    await services.conversations.apply(orgId, view.id, { type: 'conversation.end' });
    await settle();
    expect(calls.dump().legs).toEqual([]);
    expect(mediaLegs.size).toBe(0);
    expect(clock.pending, 'no timer left armed').toBe(0);
  });

  it('the conversation ending while a supervisor leg’s media is still being allocated leaves nothing allocated', async () => {
    const call = await answeredCall();
    const view = { id: call.conversationId };
    let allocated!: () => void;
    allocating = new Promise<void>((r) => {
      allocated = r;
    });
    const started = await ritaMonitors(call);
    await settle();
    // The engine is still allocating the supervisor's media when the conversation ends (the
    // customer hangs up): the leg is released before it has media.
    expect(calls.dump().legs.map((l) => l.participantId)).toContain(started.participantId);
    await services.conversations.apply(orgId, view.id, { type: 'conversation.end' });
    await settle();
    allocated();
    allocating = undefined;
    await settle();
    await calls.idle();
    expect(
      invites.some((i) => i.target === 'sip:155@127.0.0.1:5080'),
      'no call placed',
    ).toBe(false);
    expect(calls.dump().legs).toEqual([]);
    expect([...mediaLegs], 'the media allocated after the release is freed').toEqual([]);
  });
});
