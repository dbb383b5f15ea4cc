import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaresipPeer } from '../support/sip-peers.js';
import { acme, CallsHarness, HOST, TONES, until } from './harness.js';

const RING_MS = 1500;
let h: CallsHarness;
let alice: BaresipPeer;
let bob: BaresipPeer;

beforeAll(async () => {
  h = await CallsHarness.start({ ringTimeoutMs: RING_MS });
  await h.provision(acme(9));
  [alice, bob] = await Promise.all([
    h.phone('alice', TONES.agent, { sipUser: 'alice', answer: 'manual' }),
    h.phone('bob', TONES.agent2, { sipUser: 'bob' }),
  ]);
  await h.available('alice', true); // on queue first: the longest idle
  await h.available('bob', true);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('inbound routing (SPEC §4)', () => {
  it('offers the longest-idle agent; no answer in time → NOT_RESPONDING and the next agent is tried', async () => {
    const customer = await h.phone('customer', TONES.customer);
    await customer.command('dial', `sip:5000@${HOST}:${h.sipPort}`);
    await customer.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, 'answered into the queue');
    await alice.waitEvent((e) => e.type === 'CALL_INCOMING', 10_000, 'alice rings first');
    const cid = await h.liveConversationId();
    const bobId = await h.userId('bob');
    await h.participant(
      cid,
      (p) => p.userId === bobId && p.state === 'connected',
      RING_MS + 10_000,
      'bob took the call',
    );
    await alice.waitEvent((e) => e.type === 'CALL_CLOSED', 5000, 'alice stops ringing (CANCEL)');
    const me = await h.api<{ routingStatus: string }>('alice', 'GET', '/users/me');
    expect(me.body.routingStatus).toBe('NOT_RESPONDING');
    const tl = await h.timeline(cid);
    expect(tl.map((e) => `${e.type}${e.reason ? `:${e.reason}` : ''}`)).toEqual(
      expect.arrayContaining(['participant.not-responding', 'participant.left:no-answer']),
    );
    await until(
      async () =>
        (await h.api<{ routingStatus: string }>('bob', 'GET', '/users/me')).body.routingStatus ===
        'INTERACTING',
      5000,
      'bob INTERACTING',
    );
    await customer.command('hangup');
    await until(async () => (await h.conversation(cid)).state === 'ended', 10_000, 'ended');
    expect(await h.leftovers()).toEqual({ legs: [], mediaLegs: 0, live: 0 });
    await until(
      async () =>
        (await h.api<{ routingStatus: string }>('bob', 'GET', '/users/me')).body.routingStatus === 'IDLE',
      5000,
      'bob IDLE again',
    );
  });
});
