import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaresipPeer } from '../support/sip-peers.js';
import { Capture, udpDatagrams } from './capture.js';
import { acme, CallsHarness, HOST, TONES, until } from './harness.js';

const RING_MS = 2500;

let h: CallsHarness;
let sipCap: Capture;
let trunk: BaresipPeer;
let sam: BaresipPeer;
let sue: BaresipPeer;
let customer: BaresipPeer;
let cid: string;
let alicePid: string;

beforeAll(async () => {
  h = await CallsHarness.start({ ringTimeoutMs: RING_MS });
  // The trunk's far end: remote numbers ring there (manual answer).
  trunk = await h.phone('trunk', TONES.supervisor, { answer: 'manual', user: '15550100' });
  await h.provision(acme(trunk.sipPort, { aliceSupervises: true }));
  sipCap = await Capture.start(`udp port ${h.sipPort}`);
  [, sam, sue] = await Promise.all([
    h.phone('alice', TONES.agent, { sipUser: 'alice' }),
    h.phone('sam', TONES.supervisor, { sipUser: 'sam' }),
    h.phone('sue', TONES.supervisor, { sipUser: 'sue' }),
  ]);
  await h.available('alice', true);
  for (const u of ['sam', 'sue', 'rita', 'nora', 'alice']) await h.available(u);
  customer = await h.phone('customer', TONES.customer);
  await customer.command('dial', `sip:5000@${HOST}:${h.sipPort}`);
  cid = await h.liveConversationId();
  alicePid = (await h.participant(cid, (p) => p.purpose === 'agent' && p.state === 'connected', 15_000)).id;
}, 60_000);

afterAll(async () => {
  await sipCap?.close();
  await h?.close();
});

const start = (who: string, target: string, mode: 'monitor' | 'coach' = 'monitor') =>
  h.api<{ participantId: string; state: string; error?: { code: string } }>(
    who,
    'POST',
    `/conversations/calls/${cid}/participants/${target}/${mode}`,
    {},
  );

const stop = (who: string, pid: string) =>
  h.api(who, 'PATCH', `/conversations/calls/${cid}/participants/${pid}`, { state: 'disconnected' });

function invitesTo(port: number, from: number): string[] {
  return udpDatagrams(readFileSync(sipCap.file))
    .filter((d) => d.dstPort === port && d.timeMs >= from && d.text.startsWith('INVITE '))
    .map((d) => d.text);
}

const incoming = (p: BaresipPeer) => p.events.filter((e) => e.type === 'CALL_INCOMING').length;

describe('supervisor phones (R8)', () => {
  it('supervisor-auto-answer: a sip phone is called with the RFC 5373 headers and answers by itself', async () => {
    const t0 = Date.now();
    const r = await start('sam', alicePid);
    expect(r.status).toBe(201);
    expect(r.body.state).toBe('alerting');
    await h.participant(
      cid,
      (p) => p.id === r.body.participantId && p.state === 'connected',
      10_000,
      'connected',
    );
    const invite = await until(() => invitesTo(sam.sipPort, t0)[0], 5000, 'INVITE to sam in the capture');
    expect(invite).toMatch(/\r\nCall-Info: <sip:127\.0\.0\.1>;answer-after=0\r\n/i);
    expect(invite).toMatch(/\r\nAlert-Info: <urn:alert:service:auto-answer>\r\n/i);
    expect(invite).toMatch(/\r\nAnswer-Mode: Auto\r\n/i);
    expect((await stop('sam', r.body.participantId)).status).toBe(200);
  });

  it('supervisor-remote-rings: a remote number rings through the trunk until picked up', async () => {
    const t0 = Date.now();
    const before = incoming(trunk);
    const r = await start('rita', alicePid);
    expect(r.status).toBe(201);
    await until(() => incoming(trunk) > before, 10_000, 'the trunk rings');
    const invite = await until(
      () => invitesTo(trunk.sipPort, t0)[0],
      5000,
      'INVITE to the trunk in the capture',
    );
    expect(invite.startsWith('INVITE sip:15550100@127.0.0.1:')).toBe(true);
    expect(invite).not.toMatch(/Answer-Mode/i);
    const p = (await h.conversation(cid)).participants.find((x) => x.id === r.body.participantId);
    expect(p?.state, 'still ringing').toBe('alerting');
    await trunk.command('accept');
    await h.participant(
      cid,
      (x) => x.id === r.body.participantId && x.state === 'connected',
      10_000,
      'answered',
    );
    expect((await stop('rita', r.body.participantId)).status).toBe(200);
    await trunk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, 'trunk leg hung up');
  });

  it('supervisor-remote-rings, unanswered: supervision.failed with no-answer after the ring timeout', async () => {
    const r = await start('rita', alicePid);
    expect(r.status).toBe(201);
    await h.participant(
      cid,
      (x) => x.id === r.body.participantId && x.state === 'disconnected',
      RING_MS + 8000,
      'gave up',
    );
    const tl = await h.timeline(cid);
    expect(
      tl.find((e) => e.type === 'supervision.failed' && e.participantId === r.body.participantId)?.reason,
    ).toBe('no-answer');
    await until(
      () =>
        !h.calls
          .dump()
          .legs.some((l) => (l as { participantId: string }).participantId === r.body.participantId),
      5000,
      'leg freed',
    );
  });

  it('supervisor-remote-rings, declined: supervision.failed with declined', async () => {
    const before = incoming(trunk);
    const r = await start('rita', alicePid);
    expect(r.status).toBe(201);
    await until(() => incoming(trunk) > before, 10_000, 'the trunk rings');
    await trunk.command('hangup');
    await h.participant(
      cid,
      (x) => x.id === r.body.participantId && x.state === 'disconnected',
      10_000,
      'declined',
    );
    const tl = await h.timeline(cid);
    expect(
      tl.find((e) => e.type === 'supervision.failed' && e.participantId === r.body.participantId)?.reason,
    ).toBe('declined');
  });
});

describe('refusals end to end (R2–R7): the right code and no call to the supervisor', () => {
  it('not Available, no phone, own call, second coach', async () => {
    const t0 = Date.now();
    const samCalls = incoming(sam);
    const sueCalls = incoming(sue);
    const legsBefore = h.calls.dump().legs.length;
    const samId = await h.userId('sam');
    expect((await h.api('sam', 'PUT', `/users/${samId}/presence`, { presence: 'AWAY' })).status).toBe(200);
    const away = await start('sam', alicePid);
    expect([away.status, away.body.error?.code]).toEqual([409, 'SUPERVISOR_NOT_AVAILABLE']);
    await h.available('sam');
    const noPhone = await start('nora', alicePid);
    expect([noPhone.status, noPhone.body.error?.code]).toEqual([409, 'NO_SELECTED_PHONE']);
    const own = await start('alice', alicePid);
    expect([own.status, own.body.error?.code]).toEqual([409, 'SUPERVISOR_IS_PARTICIPANT']);
    expect(h.calls.dump().legs.length).toBe(legsBefore);
    expect(incoming(sam)).toBe(samCalls);
    const coach = await start('sam', alicePid, 'coach');
    expect(coach.status).toBe(201);
    const second = await start('sue', alicePid, 'coach');
    expect([second.status, second.body.error?.code]).toEqual([409, 'AGENT_ALREADY_COACHED']);
    expect(incoming(sue), 'no call placed to the refused supervisor').toBe(sueCalls);
    expect(invitesTo(sue.sipPort, t0)).toEqual([]);
    expect((await stop('sam', coach.body.participantId)).status).toBe(200);
  });

  it('a BYE for an unknown dialog is answered 481 and changes nothing', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, HOST, () => r()));
    const port = sock.address().port;
    const bye = [
      `BYE sip:earshot@${HOST}:${h.sipPort} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${port};branch=z9hG4bK-unknown-1;rport`,
      'Max-Forwards: 70',
      `From: <sip:ghost@${HOST}>;tag=g1`,
      `To: <sip:earshot@${HOST}>;tag=nope`,
      'Call-ID: no-such-dialog@test',
      'CSeq: 1 BYE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const answer = new Promise<string>((r) => sock.once('message', (m) => r(m.toString())));
    sock.send(bye, h.sipPort, HOST);
    const text = await until(
      () => Promise.race([answer, new Promise<string>((r) => setTimeout(() => r(''), 100))]),
      5000,
      'answer to BYE',
    );
    sock.close();
    expect(text.split('\r\n')[0]).toBe('SIP/2.0 481 Call/Transaction Does Not Exist');
    expect((await h.conversation(cid)).state).toBe('active');
  });

  it('an API call racing a hang-up: a clean end either way, the timeline complete, nothing left allocated', async () => {
    const racing = start('sam', alicePid);
    await customer.command('hangup');
    const r = await racing;
    expect([201, 409]).toContain(r.status);
    await until(async () => (await h.conversation(cid)).state === 'ended', 10_000, 'conversation ended');
    const ended = await start('sue', alicePid);
    expect([ended.status, ended.body.error?.code]).toEqual([409, 'CONVERSATION_NOT_IN_PROGRESS']);
    const tl = await h.timeline(cid);
    expect(tl.at(-1)?.type).toBe('conversation.ended');
    if (r.status === 201) {
      const sessionEnd = tl.find(
        (e) =>
          e.participantId === r.body.participantId &&
          // An answered session ends `conversation-ended`; one still ringing leaves with that reason.
          (e.type === 'monitor.ended' || e.type === 'supervision.failed' || e.type === 'participant.left'),
      );
      expect(sessionEnd, JSON.stringify(tl)).toBeDefined();
    }
    expect(await h.leftovers()).toEqual({ legs: [], mediaLegs: 0, live: 0 });
  });
});
