/**
 * Outbound calls to numbers through the trunk (issue 6, SPEC §4 "Outbound"), with real peers:
 * the agent's phone is baresip (registered with digest, auto-answer, 1000 Hz), the trunk is SIPp
 * (challenges the first INVITE with a 407, answers, plays 440 Hz with `rtp_stream`), the
 * supervisor's phone is baresip (1800 Hz). What each endpoint received is read from a loopback
 * capture of what Earshot's media legs send (TESTING.md "Proving who hears whom").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { upsertTrunk } from '../../src/store/trunk.repository.js';
import { toneUlaw } from '../support/audio.js';
import { type BaresipPeer, freePorts } from '../support/sip-peers.js';
import { Capture, type CapturedDatagram, udpDatagrams } from './capture.js';
import { acme, CallsHarness, HOST, type Participant, TONES, until } from './harness.js';
import {
  digestParams,
  expectedDigestResponse,
  sipHeaders,
  TRUNK_NONCE,
  TRUNK_PASSWORD,
  TRUNK_REALM,
  TRUNK_USER,
  TrunkControl,
  type TrunkScenario,
  trunkScenario,
} from './outbound-trunk-sipp.js';

const ALL = [TONES.customer, TONES.agent, TONES.supervisor];
const HEARD = 0.1;
const NOT_HEARD = 0.01;
const NUMBER = '+15550123';

let h: CallsHarness;
let cap: Capture;
let sipCap: Capture;
let alice: BaresipPeer;
let sam: BaresipPeer;
let trunkPort: number;
let twinPort: number;
let toneFile: string;
let trunk: TrunkControl | undefined;

beforeAll(async () => {
  h = await CallsHarness.start();
  [trunkPort, twinPort] = (await freePorts(2, 4)) as [number, number];
  await h.provision(acme(trunkPort));
  await pointTrunkAt(trunkPort);
  toneFile = join(h.dir, 'remote-440.ulaw');
  // One second of 440 Hz is a whole number of cycles: SIPp loops it without a click.
  writeFileSync(toneFile, toneUlaw(TONES.customer, 1000, 0.25));
  cap = await Capture.start(`udp src portrange ${h.rtpRange[0]}-${h.rtpRange[1]}`);
  // Earshot's SIP socket: every message to and from the phones and the trunk goes through it.
  sipCap = await Capture.start(`udp port ${h.sipPort}`);
  [alice, sam] = await Promise.all([
    h.phone('alice', TONES.agent, { sipUser: 'alice' }),
    h.phone('sam', TONES.supervisor, { sipUser: 'sam' }),
  ]);
  // Alice is on queue (IDLE): an outbound call makes her INTERACTING, its end IDLE again.
  await h.available('alice', true);
  await h.available('sam');
}, 60_000);

afterEach(async () => {
  await trunk?.close();
  trunk = undefined;
});

afterAll(async () => {
  await cap?.close();
  await sipCap?.close();
  await h?.close();
});

/** The trunk authenticates us: its credentials ride in the outbound URI's userinfo. */
async function pointTrunkAt(port: number): Promise<void> {
  await upsertTrunk(h.store.db, {
    orgId: h.orgId,
    name: 'pstn',
    inboundAllow: [HOST],
    outboundUri: `sip:${TRUNK_USER}:${TRUNK_PASSWORD}@${HOST}:${port}`,
  });
}

/**
 * Starts the SIPp trunk on `trunkPort` (with its twin socket for `hangup`). A port another process
 * took since it was found free (other test files run in parallel) makes SIPp exit: then the trunk
 * moves to fresh ports (the trunk's URI is updated) and SIPp starts again, at most 3 times.
 */
async function startTrunk(s: Omit<TrunkScenario, 'audioFile'>, twin = false): Promise<TrunkControl> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TrunkControl.start({
        port: trunkPort,
        scenario: trunkScenario({ ...s, audioFile: toneFile }),
        ...(twin ? { twinPort } : {}),
      });
    } catch (err) {
      if (attempt >= 3) throw err;
      [trunkPort, twinPort] = (await freePorts(2, 4)) as [number, number];
      await pointTrunkAt(trunkPort);
    }
  }
}

/** SIP datagrams sent to `port` since `fromMs` whose text starts with `startsWith`. */
function sipTo(port: number, fromMs: number, startsWith: string): CapturedDatagram[] {
  return udpDatagrams(readFileSync(sipCap.file)).filter(
    (d) => d.dstPort === port && d.timeMs >= fromMs && d.text.startsWith(startsWith),
  );
}

/**
 * Waits for `count` such datagrams: tcpdump hands packets over in blocks (libpcap's buffer
 * timeout), so the file may lag the wire by up to a second. Bounded condition poll.
 */
function sipToAtLeast(
  port: number,
  fromMs: number,
  startsWith: string,
  count: number,
): Promise<CapturedDatagram[]> {
  return until(
    () => {
      const got = sipTo(port, fromMs, startsWith);
      return got.length >= count ? got : undefined;
    },
    5000,
    `${count} × ${startsWith.trim()} to port ${port} in the capture`,
  );
}

const events = (p: BaresipPeer, type: string) => p.events.filter((e) => e.type === type).length;

async function routingStatus(username: string): Promise<string> {
  const r = await h.api<{ routingStatus: string }>(username, 'GET', '/users/me');
  return r.body.routingStatus;
}

/** Waits for `username`'s routing status to become `status` (call control sets it asynchronously). */
async function expectRoutingStatus(username: string, status: string): Promise<void> {
  let last = '';
  try {
    await until(
      async () => {
        last = await routingStatus(username);
        return last === status;
      },
      5000,
      `${username} ${status}`,
    );
  } catch {
    expect(last, `${username}'s routing status`).toBe(status);
  }
}

/** Places alice's outbound call; returns the conversation id and the two participants' ids. */
async function dial(): Promise<{ cid: string; agentPid: string; customerPid: string }> {
  const r = await h.api<{ id: string; participants: Participant[] }>(
    'alice',
    'POST',
    '/conversations/calls',
    {
      phoneNumber: NUMBER,
    },
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const agent = r.body.participants.find((p) => p.purpose === 'agent');
  const customer = r.body.participants.find((p) => p.purpose === 'customer');
  expect(agent?.state).toBe('connected');
  expect(customer?.state).toBe('alerting');
  return { cid: r.body.id, agentPid: agent!.id, customerPid: customer!.id };
}

async function timelineOf(cid: string): Promise<string[]> {
  return (await h.timeline(cid)).map(
    (e) => `${e.type}${e.participantId ? `@${e.participantId}` : ''}${e.reason ? `:${e.reason}` : ''}`,
  );
}

/** Nothing left: no call-control legs, plans or tasks, no media legs, no live conversation. */
async function expectNothingLeft(): Promise<void> {
  const nothing = async () => {
    const left = await h.leftovers();
    const dump = h.calls.dump();
    return { ...left, plans: dump.plans, pendingTasks: dump.pendingTasks };
  };
  const clean = (x: Awaited<ReturnType<typeof nothing>>) =>
    x.legs.length === 0 && x.mediaLegs === 0 && x.live === 0 && x.plans.length === 0 && x.pendingTasks === 0;
  try {
    await until(async () => clean(await nothing()), 10_000, 'nothing left allocated');
  } catch (err) {
    throw new Error(`${String(err)}: ${JSON.stringify(await nothing())}`);
  }
}

describe('outbound call through the trunk', () => {
  it('the agent phone first, then INVITE sip:<number>@trunk with digest after a 407; audio both ways; monitor then coach; the remote party hangs up → everything cleaned up', async () => {
    trunk = await startTrunk({ challenge: true, outcome: 'hangup' }, true);
    const t0 = Date.now();
    const establishedBefore = events(alice, 'CALL_ESTABLISHED');
    const closedBefore = events(alice, 'CALL_CLOSED');
    const { cid, agentPid, customerPid } = await dial();

    // The agent's phone rings first (auto-answer), then the number through the trunk.
    await alice.waitEvent(
      () => events(alice, 'CALL_ESTABLISHED') > establishedBefore,
      10_000,
      'agent CALL_ESTABLISHED',
    );
    await h.participant(
      cid,
      (p) => p.id === customerPid && p.state === 'connected',
      15_000,
      `remote party connected\n${trunk.describe()}`,
    );

    await expectRoutingStatus('alice', 'INTERACTING');

    // SIP toward the trunk: INVITE (no credentials) → 407 → INVITE with Proxy-Authorization.
    const invites = (await sipToAtLeast(trunkPort, t0, 'INVITE ', 2)).map((d) => d.text);
    expect(invites, trunk.describe()).toHaveLength(2);
    const [first, second] = invites.map(sipHeaders) as [
      ReturnType<typeof sipHeaders>,
      ReturnType<typeof sipHeaders>,
    ];
    const ruri = `sip:${NUMBER}@${HOST}:${trunkPort}`;
    expect(first.startLine).toBe(`INVITE ${ruri} SIP/2.0`);
    expect(second.startLine).toBe(`INVITE ${ruri} SIP/2.0`);
    expect(first.headers.get('to')).toContain(`<${ruri}>`);
    expect(first.headers.has('proxy-authorization')).toBe(false);
    // Not auto-answered: a number rings (CONTRACT.md §3).
    expect(first.headers.has('answer-mode')).toBe(false);
    // The userinfo of the trunk URI (the password) is never sent.
    for (const inv of invites) expect(inv).not.toContain(TRUNK_PASSWORD);
    expect(second.headers.get('call-id')).toBe(first.headers.get('call-id'));
    // The retry is the same request (RFC 3261 §22.2): same Call-ID and From tag, CSeq + 1.
    const fromTag = (m: ReturnType<typeof sipHeaders>) =>
      /;tag=([^;>\s]+)/.exec(m.headers.get('from') ?? '')?.[1];
    expect(fromTag(second)).toBeDefined();
    expect(fromTag(second)).toBe(fromTag(first));
    const cseq = (m: ReturnType<typeof sipHeaders>) => Number.parseInt(m.headers.get('cseq') ?? '', 10);
    expect(cseq(second)).toBe(cseq(first) + 1);
    const auth = digestParams(second.headers.get('proxy-authorization') ?? '');
    expect(auth).toMatchObject({ username: TRUNK_USER, realm: TRUNK_REALM, nonce: TRUNK_NONCE, uri: ruri });
    expect(auth.response).toBe(expectedDigestResponse(auth, 'INVITE', TRUNK_PASSWORD));
    // The agent's phone was INVITEd before the trunk (the number is called once the agent is up).
    const [toAlice] = await sipToAtLeast(alice.sipPort, t0, 'INVITE ', 1);
    const [toTrunk] = await sipToAtLeast(trunkPort, t0, 'INVITE ', 1);
    expect(toAlice!.timeMs).toBeLessThan(toTrunk!.timeMs);
    expect(toAlice!.text).toMatch(/\r\nAnswer-Mode: Auto\r\n/i);

    // Audio both ways: the agent hears the remote party, the remote party hears the agent.
    const trunkRtp = await h.rtpPortOf(customerPid);
    const aliceRtp = await h.rtpPortOf(agentPid);
    let from = Date.now() + 300;
    const [r0, a0] = await Promise.all([cap.heard(trunkRtp, from, ALL), cap.heard(aliceRtp, from, ALL)]);
    expect(a0.power[TONES.customer], `agent: ${JSON.stringify(a0)}`).toBeGreaterThan(HEARD);
    expect(a0.power[TONES.agent]).toBeLessThan(NOT_HEARD);
    expect(r0.power[TONES.agent], `remote: ${JSON.stringify(r0)}`).toBeGreaterThan(HEARD);
    expect(r0.power[TONES.customer]).toBeLessThan(NOT_HEARD);

    // A supervisor monitors the agent: hears 440 + 1000; nobody hears 1800.
    const mon = await h.api<{ participantId: string }>(
      'sam',
      'POST',
      `/conversations/calls/${cid}/participants/${agentPid}/monitor`,
      {},
    );
    expect(mon.status, JSON.stringify(mon.body)).toBe(201);
    const samPid = mon.body.participantId;
    await h.participant(cid, (p) => p.id === samPid && p.state === 'connected', 10_000, 'monitor connected');
    const samRtp = await h.rtpPortOf(samPid);
    from = Date.now() + 300;
    const [s1, r1, a1] = await Promise.all([
      cap.heard(samRtp, from, ALL),
      cap.heard(trunkRtp, from, ALL),
      cap.heard(aliceRtp, from, ALL),
    ]);
    expect(s1.power[TONES.customer], `supervisor: ${JSON.stringify(s1)}`).toBeGreaterThan(HEARD);
    expect(s1.power[TONES.agent]).toBeGreaterThan(HEARD);
    expect(s1.power[TONES.supervisor]).toBeLessThan(NOT_HEARD);
    expect(r1.power[TONES.agent], `remote: ${JSON.stringify(r1)}`).toBeGreaterThan(HEARD);
    expect(r1.power[TONES.supervisor], 'the remote party does not hear the monitor').toBeLessThan(NOT_HEARD);
    expect(a1.power[TONES.customer], `agent: ${JSON.stringify(a1)}`).toBeGreaterThan(HEARD);
    expect(a1.power[TONES.supervisor], 'the agent does not hear the monitor').toBeLessThan(NOT_HEARD);

    // Coach (atomic switch on the same leg): the agent hears 1800, the remote party does not.
    const sw = await h.api('sam', 'PATCH', `/conversations/calls/${cid}/participants/${samPid}`, {
      mode: 'coach',
    });
    expect(sw.status, JSON.stringify(sw.body)).toBe(200);
    from = Date.now() + 300;
    const [s2, r2, a2] = await Promise.all([
      cap.heard(samRtp, from, ALL),
      cap.heard(trunkRtp, from, ALL),
      cap.heard(aliceRtp, from, ALL),
    ]);
    expect(a2.power[TONES.customer], `agent: ${JSON.stringify(a2)}`).toBeGreaterThan(HEARD);
    expect(a2.power[TONES.supervisor], 'the agent hears the coach').toBeGreaterThan(HEARD);
    expect(r2.power[TONES.agent], `remote: ${JSON.stringify(r2)}`).toBeGreaterThan(HEARD);
    expect(r2.power[TONES.supervisor], 'the remote party does not hear the coach').toBeLessThan(NOT_HEARD);
    expect(r2.dbfs[TONES.supervisor]).toBeLessThan(-60);
    expect(s2.power[TONES.customer], `supervisor: ${JSON.stringify(s2)}`).toBeGreaterThan(HEARD);
    expect(s2.power[TONES.agent]).toBeGreaterThan(HEARD);

    // The remote party hangs up.
    const samClosedBefore = events(sam, 'CALL_CLOSED');
    trunk.hangUp(first.headers.get('call-id')!);
    expect(await trunk.finished(), trunk.describe()).toBe(0);
    await alice.waitEvent(
      () => events(alice, 'CALL_CLOSED') > closedBefore,
      10_000,
      'agent phone hung up (BYE from Earshot)',
    );
    await sam.waitEvent(
      () => events(sam, 'CALL_CLOSED') > samClosedBefore,
      10_000,
      'supervisor phone hung up (BYE from Earshot)',
    );
    await expectNothingLeft();
    const tl = await timelineOf(cid);
    expect(tl).toContain(`participant.left@${customerPid}:hung-up`);
    expect(tl).toContain(`coach.ended@${samPid}:conversation-ended`);
    await expectRoutingStatus('alice', 'IDLE');
    expect(tl.at(-1)).toBe('conversation.ended');
    const view = await h.conversation(cid);
    expect(view.state).toBe('ended');
  });

  it('the agent hangs up first (the remote party monitored): BYE to the trunk and the supervisor, the conversation ends, nothing left', async () => {
    trunk = await startTrunk({ challenge: true, outcome: 'wait-bye' });
    const t0 = Date.now();
    const establishedBefore = events(alice, 'CALL_ESTABLISHED');
    const closedBefore = events(alice, 'CALL_CLOSED');
    const { cid, agentPid, customerPid } = await dial();
    await alice.waitEvent(
      () => events(alice, 'CALL_ESTABLISHED') > establishedBefore,
      10_000,
      'agent CALL_ESTABLISHED',
    );
    await h.participant(
      cid,
      (p) => p.id === customerPid && p.state === 'connected',
      15_000,
      `remote party connected\n${trunk.describe()}`,
    );
    // A supervisor monitors the remote party: hears the remote party's island (440 + 1000).
    const mon = await h.api<{ participantId: string }>(
      'sam',
      'POST',
      `/conversations/calls/${cid}/participants/${customerPid}/monitor`,
      {},
    );
    expect(mon.status, JSON.stringify(mon.body)).toBe(201);
    const samPid = mon.body.participantId;
    await h.participant(cid, (p) => p.id === samPid && p.state === 'connected', 10_000, 'monitor connected');
    const from = Date.now() + 300;
    const [s, r, a] = await Promise.all([
      cap.heard(await h.rtpPortOf(samPid), from, ALL),
      cap.heard(await h.rtpPortOf(customerPid), from, ALL),
      cap.heard(await h.rtpPortOf(agentPid), from, ALL),
    ]);
    expect(s.power[TONES.customer], `supervisor: ${JSON.stringify(s)}`).toBeGreaterThan(HEARD);
    expect(s.power[TONES.agent]).toBeGreaterThan(HEARD);
    expect(r.power[TONES.agent], `remote: ${JSON.stringify(r)}`).toBeGreaterThan(HEARD);
    expect(r.power[TONES.supervisor]).toBeLessThan(NOT_HEARD);
    expect(a.power[TONES.customer], `agent: ${JSON.stringify(a)}`).toBeGreaterThan(HEARD);
    expect(a.power[TONES.supervisor]).toBeLessThan(NOT_HEARD);
    const samClosedBefore = events(sam, 'CALL_CLOSED');
    const hangup = await alice.command('hangup');
    expect(hangup.ok, hangup.data).toBe(true);
    // SIPp's scenario ends with Earshot's BYE answered: exit 0.
    expect(await trunk.finished(), trunk.describe()).toBe(0);
    await alice.waitEvent(() => events(alice, 'CALL_CLOSED') > closedBefore, 10_000, 'agent CALL_CLOSED');
    await sam.waitEvent(
      () => events(sam, 'CALL_CLOSED') > samClosedBefore,
      10_000,
      'supervisor phone hung up (BYE from Earshot)',
    );
    await sipToAtLeast(trunkPort, t0, 'BYE ', 1);
    expect(sipTo(trunkPort, t0, 'BYE ')).toHaveLength(1);
    await expectNothingLeft();
    const tl = await timelineOf(cid);
    expect(tl).toContain(`participant.left@${agentPid}:hung-up`);
    expect(tl).toContain(`monitor.ended@${samPid}:conversation-ended`);
    expect(tl.at(-1)).toBe('conversation.ended');
    await expectRoutingStatus('alice', 'IDLE');
  });

  it('the agent hangs up while the number rings: CANCEL to the trunk, the conversation ends, nothing left', async () => {
    trunk = await startTrunk({ outcome: 'ring' });
    const t0 = Date.now();
    const establishedBefore = events(alice, 'CALL_ESTABLISHED');
    const closedBefore = events(alice, 'CALL_CLOSED');
    const { cid, agentPid, customerPid } = await dial();
    await alice.waitEvent(
      () => events(alice, 'CALL_ESTABLISHED') > establishedBefore,
      10_000,
      'agent CALL_ESTABLISHED',
    );
    // The number rings (180 from the trunk): its leg is Ringing, the participant still alerting.
    await until(
      () => h.calls.dump().legs.some((l) => l.participantId === customerPid && l.state === 'ringing'),
      10_000,
      `number leg ringing\n${trunk.describe()}`,
    );
    expect((await h.conversation(cid)).participants.find((p) => p.id === customerPid)?.state).toBe(
      'alerting',
    );
    const hangup = await alice.command('hangup');
    expect(hangup.ok, hangup.data).toBe(true);
    // SIPp's scenario ends with the CANCEL answered 200 + 487 and the 487 ACKed: exit 0.
    expect(await trunk.finished(), trunk.describe()).toBe(0);
    await alice.waitEvent(() => events(alice, 'CALL_CLOSED') > closedBefore, 10_000, 'agent CALL_CLOSED');
    expect(await sipToAtLeast(trunkPort, t0, 'CANCEL ', 1)).toHaveLength(1);
    expect(sipTo(trunkPort, t0, 'BYE ')).toEqual([]);
    await expectNothingLeft();
    const tl = await timelineOf(cid);
    expect(tl).toContain(`participant.left@${agentPid}:hung-up`);
    expect(tl).not.toContain(`participant.connected@${customerPid}`);
    expect(tl.at(-1)).toBe('conversation.ended');
  });

  for (const status of [486, 503] as const) {
    it(`the trunk answers ${status}: the failure is on the timeline, the agent's leg is hung up, nothing left`, async () => {
      trunk = await startTrunk({ outcome: status });
      const establishedBefore = events(alice, 'CALL_ESTABLISHED');
      const closedBefore = events(alice, 'CALL_CLOSED');
      const { cid, customerPid } = await dial();
      await alice.waitEvent(
        () => events(alice, 'CALL_ESTABLISHED') > establishedBefore,
        10_000,
        'agent CALL_ESTABLISHED',
      );
      expect(await trunk.finished(), trunk.describe()).toBe(0);
      await alice.waitEvent(
        () => events(alice, 'CALL_CLOSED') > closedBefore,
        10_000,
        'agent phone hung up after the failure',
      );
      await expectNothingLeft();
      const view = await h.conversation(cid);
      expect(view.state).toBe('ended');
      const customer = view.participants.find((p) => p.id === customerPid);
      expect(customer?.state).toBe('disconnected');
      const tl = await timelineOf(cid);
      const reason = status === 486 ? 'declined' : 'phone-unreachable';
      expect(tl).toContain(`participant.left@${customerPid}:${reason}`);
      expect(tl).not.toContain(`participant.connected@${customerPid}`);
      expect(tl.at(-1)).toBe('conversation.ended');
    });
  }
});
