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
let sam: BaresipPeer;
let customer: BaresipPeer;
let cid: string;
let customerPid: string;
let agentPid: string;

beforeAll(async () => {
  h = await CallsHarness.start();
  await h.provision(acme(9));
  cap = await Capture.start(`udp src portrange ${h.rtpRange[0]}-${h.rtpRange[1]}`);
  [alice, sam] = await Promise.all([
    h.phone('alice', TONES.agent, { sipUser: 'alice' }),
    h.phone('sam', TONES.supervisor, { sipUser: 'sam' }),
  ]);
  await h.available('alice', true);
  await h.available('sam');
  customer = await h.phone('customer', TONES.customer);
  await customer.command('dial', `sip:5000@${HOST}:${h.sipPort}`);
  cid = await h.liveConversationId();
  const agent = await h.participant(
    cid,
    (p) => p.purpose === 'agent' && p.state === 'connected',
    15_000,
    'agent connected',
  );
  agentPid = agent.id;
  customerPid = (await h.conversation(cid)).participants.find((p) => p.purpose === 'customer')!.id;
}, 60_000);

afterAll(async () => {
  await cap?.close();
  await h?.close();
});

async function startSession(mode: 'monitor' | 'coach', target: string): Promise<string> {
  const r = await h.api<{ participantId: string; state: string }>(
    'sam',
    'POST',
    `/conversations/calls/${cid}/participants/${target}/${mode}`,
    {},
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await h.participant(
    cid,
    (p) => p.id === r.body.participantId && p.state === 'connected',
    10_000,
    `${mode} connected`,
  );
  return r.body.participantId;
}

async function stopSession(pid: string): Promise<void> {
  const r = await h.api('sam', 'PATCH', `/conversations/calls/${cid}/participants/${pid}`, {
    state: 'disconnected',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  await until(
    async () => h.calls.dump().legs.every((l) => (l as { participantId: string }).participantId !== pid),
    5000,
    'supervisor leg released',
  );
}

describe('a connected call', () => {
  it('customer and agent hear each other only', async () => {
    const from = Date.now() + 300;
    const [c, a] = await Promise.all([
      cap.heard(await h.rtpPortOf(customerPid), from, ALL),
      cap.heard(await h.rtpPortOf(agentPid), from, ALL),
    ]);
    expect(c.power[TONES.agent], JSON.stringify(c)).toBeGreaterThan(HEARD);
    expect(c.power[TONES.customer]).toBeLessThan(NOT_HEARD);
    expect(a.power[TONES.customer], JSON.stringify(a)).toBeGreaterThan(HEARD);
    expect(a.power[TONES.agent]).toBeLessThan(NOT_HEARD);
  });
});

describe('supervision on an active call', () => {
  for (const target of ['agent', 'customer'] as const) {
    it(`monitor-${target}-active: the supervisor hears 440 + 1000; agent and customer hear only each other`, async () => {
      const pid = await startSession('monitor', target === 'agent' ? agentPid : customerPid);
      const from = Date.now() + 300;
      const [s, c, a] = await Promise.all([
        cap.heard(await h.rtpPortOf(pid), from, ALL),
        cap.heard(await h.rtpPortOf(customerPid), from, ALL),
        cap.heard(await h.rtpPortOf(agentPid), from, ALL),
      ]);
      expect(s.power[TONES.customer], JSON.stringify(s)).toBeGreaterThan(HEARD);
      expect(s.power[TONES.agent]).toBeGreaterThan(HEARD);
      expect(s.power[TONES.supervisor]).toBeLessThan(NOT_HEARD);
      expect(c.power[TONES.agent]).toBeGreaterThan(HEARD);
      expect(c.power[TONES.supervisor], 'the supervisor reaches no one').toBeLessThan(NOT_HEARD);
      expect(c.power[TONES.customer]).toBeLessThan(NOT_HEARD);
      expect(a.power[TONES.customer]).toBeGreaterThan(HEARD);
      expect(a.power[TONES.supervisor], 'the supervisor reaches no one').toBeLessThan(NOT_HEARD);
      await stopSession(pid);
    });
  }

  it('coach-active: agent hears 440 + 1800; customer hears 1000 only (1800 below −60 dBFS); supervisor hears 440 + 1000', async () => {
    const pid = await startSession('coach', agentPid);
    const from = Date.now() + 300;
    const [s, c, a] = await Promise.all([
      cap.heard(await h.rtpPortOf(pid), from, ALL),
      cap.heard(await h.rtpPortOf(customerPid), from, ALL),
      cap.heard(await h.rtpPortOf(agentPid), from, ALL),
    ]);
    expect(a.power[TONES.customer], JSON.stringify(a)).toBeGreaterThan(HEARD);
    expect(a.power[TONES.supervisor]).toBeGreaterThan(HEARD);
    expect(c.power[TONES.agent], JSON.stringify(c)).toBeGreaterThan(HEARD);
    expect(c.power[TONES.supervisor]).toBeLessThan(NOT_HEARD);
    expect(c.dbfs[TONES.supervisor]).toBeLessThan(-60);
    expect(s.power[TONES.customer], JSON.stringify(s)).toBeGreaterThan(HEARD);
    expect(s.power[TONES.agent]).toBeGreaterThan(HEARD);
    expect(s.power[TONES.supervisor]).toBeLessThan(NOT_HEARD);
    await stopSession(pid);
  });
});
