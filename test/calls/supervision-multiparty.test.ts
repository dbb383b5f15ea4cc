import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaresipPeer } from '../support/sip-peers.js';
import { Capture } from './capture.js';
import { acme, CallsHarness, HOST, TONES, until } from './harness.js';

const ALL = [TONES.customer, TONES.agent, TONES.agent2, TONES.supervisor];
const HEARD = 0.1;
const NOT_HEARD = 0.01;

let h: CallsHarness;
let cap: Capture;
let alice: BaresipPeer;
let bob: BaresipPeer;
let customer: BaresipPeer;
let cid: string;
let customerPid: string;
let alicePid: string;

beforeAll(async () => {
  h = await CallsHarness.start();
  await h.provision(acme(9));
  cap = await Capture.start(`udp src portrange ${h.rtpRange[0]}-${h.rtpRange[1]}`);
  [alice, bob] = await Promise.all([
    h.phone('alice', TONES.agent, { sipUser: 'alice' }),
    h.phone('bob', TONES.agent2, { sipUser: 'bob' }),
    h.phone('sam', TONES.supervisor, { sipUser: 'sam' }),
    h.phone('sue', TONES.supervisor, { sipUser: 'sue' }),
  ]);
  await h.available('alice', true);
  await h.available('bob'); // available, but off queue: only alice is offered the call
  await h.available('sam');
  await h.available('sue');
  customer = await h.phone('customer', TONES.customer);
  await customer.command('dial', `sip:5000@${HOST}:${h.sipPort}`);
  cid = await h.liveConversationId();
  alicePid = (await h.participant(cid, (p) => p.purpose === 'agent' && p.state === 'connected', 15_000)).id;
  customerPid = (await h.conversation(cid)).participants.find((p) => p.purpose === 'customer')!.id;
}, 60_000);

afterAll(async () => {
  await cap?.close();
  await h?.close();
});

async function monitor(who: string, target: string): Promise<string> {
  const r = await h.api<{ participantId: string }>(
    who,
    'POST',
    `/conversations/calls/${cid}/participants/${target}/monitor`,
    {},
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await h.participant(
    cid,
    (p) => p.id === r.body.participantId && p.state === 'connected',
    10_000,
    'monitor connected',
  );
  return r.body.participantId;
}

async function stop(who: string, pid: string): Promise<void> {
  const r = await h.api(who, 'PATCH', `/conversations/calls/${cid}/participants/${pid}`, {
    state: 'disconnected',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

describe('two agents on the call', () => {
  it('multiple-agents: in a consult and then a conference, monitoring each agent (the "Multiple" list) hears that agent’s island', async () => {
    const bobId = await h.userId('bob');
    const consult = await h.api(
      'alice',
      'POST',
      `/conversations/calls/${cid}/participants/${customerPid}/consult`,
      { userId: bobId },
    );
    expect(consult.status, JSON.stringify(consult.body)).toBe(202);
    const bobP = await h.participant(
      cid,
      (p) => p.purpose === 'agent' && p.userId === bobId && p.state === 'connected',
      15_000,
      'bob connected',
    );
    const onAlice = await monitor('sam', alicePid);
    const onBob = await monitor('sue', bobP.id);
    let from = Date.now() + 300;
    // Consult: alice and bob form an island; the customer is held alone.
    for (const pid of [onAlice, onBob]) {
      const s = await cap.heard(await h.rtpPortOf(pid), from, ALL);
      expect(s.power[TONES.agent], JSON.stringify(s)).toBeGreaterThan(HEARD);
      expect(s.power[TONES.agent2]).toBeGreaterThan(HEARD);
      expect(s.power[TONES.customer]).toBeLessThan(NOT_HEARD);
    }
    // Conference (a domain command the API does not expose yet): all three in one island.
    await h.services.conversations.apply(h.orgId, cid, { type: 'conference' });
    from = Date.now() + 300;
    for (const pid of [onAlice, onBob]) {
      const s = await cap.heard(await h.rtpPortOf(pid), from, ALL);
      expect(s.power[TONES.customer], JSON.stringify(s)).toBeGreaterThan(HEARD);
      expect(s.power[TONES.agent]).toBeGreaterThan(HEARD);
      expect(s.power[TONES.agent2]).toBeGreaterThan(HEARD);
    }
    await stop('sam', onAlice);
    await stop('sue', onBob);
    // Bob leaves the conference; the customer and alice go on.
    await bob.command('hangup');
    await h.participant(cid, (p) => p.id === bobP.id && p.state === 'disconnected', 10_000, 'bob left');
    expect((await h.conversation(cid)).state).toBe('active');
  });
});

describe('blind transfer', () => {
  it('monitor-agent-transfer and monitor-customer-transfer: the agent-monitor hears the first agent only until they leave (target-left); the customer-monitor hears 440 + 1400', async () => {
    const onAlice = await monitor('sam', alicePid);
    const onCustomer = await monitor('sue', customerPid);
    const bobId = await h.userId('bob');
    const before = bob.events.filter((e) => e.type === 'CALL_ESTABLISHED').length;
    const t = await h.api('alice', 'POST', `/conversations/calls/${cid}/participants/${alicePid}/replace`, {
      userId: bobId,
    });
    expect(t.status, JSON.stringify(t.body)).toBe(202);
    await until(
      () => bob.events.filter((e) => e.type === 'CALL_ESTABLISHED').length > before,
      15_000,
      'bob answered',
    );
    await h.participant(cid, (p) => p.userId === bobId && p.state === 'connected', 10_000, 'bob connected');
    const from = Date.now() + 300;
    const [a, c] = await Promise.all([
      cap.heard(await h.rtpPortOf(onAlice), from, ALL),
      cap.heard(await h.rtpPortOf(onCustomer), from, ALL),
    ]);
    expect(a.power[TONES.agent], JSON.stringify(a)).toBeGreaterThan(HEARD);
    expect(a.power[TONES.customer]).toBeLessThan(NOT_HEARD);
    expect(a.power[TONES.agent2]).toBeLessThan(NOT_HEARD);
    expect(c.power[TONES.customer], JSON.stringify(c)).toBeGreaterThan(HEARD);
    expect(c.power[TONES.agent2]).toBeGreaterThan(HEARD);
    expect(c.power[TONES.agent]).toBeLessThan(NOT_HEARD);
    // The first agent hangs up: the agent-monitor session ends with target-left, its phone is released.
    await alice.command('hangup');
    await h.participant(
      cid,
      (p) => p.id === onAlice && p.state === 'disconnected',
      10_000,
      'agent-monitor ended',
    );
    const tl = await h.timeline(cid);
    expect(tl.find((e) => e.type === 'monitor.ended' && e.participantId === onAlice)?.reason).toBe(
      'target-left',
    );
    await until(
      () => !h.calls.dump().legs.some((l) => (l as { participantId: string }).participantId === onAlice),
      5000,
      'monitor leg released',
    );
    // The customer-monitor follows the customer.
    const c2 = await cap.heard(await h.rtpPortOf(onCustomer), Date.now() + 300, ALL);
    expect(c2.power[TONES.agent2], JSON.stringify(c2)).toBeGreaterThan(HEARD);
    await stop('sue', onCustomer);
  });

  it('the customer hangs up after the transfer: everything is cleaned up', async () => {
    await customer.command('hangup');
    await until(async () => (await h.conversation(cid)).state === 'ended', 10_000, 'conversation ended');
    expect(await h.leftovers()).toEqual({ legs: [], mediaLegs: 0, live: 0 });
  });
});
