import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerSet, type SippPeer, startSipp } from '../support/sip-peers.js';
import { EarshotPeer } from './earshot-peer.js';

/*
 * SIPp (sip-tester) as the caller, Earshot's UA core as the callee: the UAS app of earshot-peer.ts answers
 * with 180 then 200 + SDP (the 100 comes from the INVITE server transaction), the UA core takes the ACK and
 * answers the BYE. The scenarios are the ones checked against SIPp's own UAS in sip-peers.test.ts.
 */
const scenario = (name: string) => readFileSync(join(import.meta.dirname, 'scenarios', name), 'utf8');

describe('SIPp UAC against the Earshot UAS', () => {
  const peers = new PeerSet();
  let earshot: EarshotPeer | undefined;
  afterEach(async () => {
    await peers.closeAll();
    await earshot?.close();
    earshot = undefined;
  });

  const logs = () => `${peers.describe()}\n${earshot?.describe() ?? ''}`;

  /** SIPp's verdict: exit code 0, and its statistics file counts `calls` successes and 0 failures. */
  async function expectAllCallsOk(sipp: SippPeer, calls: number): Promise<void> {
    const exit = await sipp.finished(45_000);
    expect(exit.code, logs()).toBe(0);
    expect(sipp.stat('SuccessfulCall(C)'), logs()).toBe(calls);
    expect(sipp.stat('FailedCall(C)'), logs()).toBe(0);
  }

  it.each(['u1', 't1'] as const)('INVITE/100/180/200/ACK/BYE over %s', async (transport) => {
    // The app thinks 250 ms before ringing, so the transaction's own 100 Trying goes first.
    earshot = await EarshotPeer.start({ ringAfterMs: 250, answerAfterMs: 100 });
    const sipp = peers.add(
      await startSipp({
        scenario: scenario('uac-call.xml'),
        remote: `127.0.0.1:${earshot.port}`,
        transport,
        service: 'bob',
        calls: 2,
      }),
    );
    await expectAllCallsOk(sipp, 2);
    const es = earshot;
    await es.until(
      () => es.calls.length === 2 && es.calls.every((c) => c.state === 'ended'),
      5000,
      'both calls ended',
    );
    for (const c of es.calls) {
      expect(c.direction).toBe('in');
      expect(c.target).toBe('bob');
      expect(c.transport).toBe(transport === 'u1' ? 'udp' : 'tcp');
      expect(c.offer, logs()).toContain('m=audio');
      expect(c.endedBy, logs()).toBe('remote');
    }
    // SIPp saw 100 and 180 before the 200 (the scenario marks them optional, so check its message log).
    const messages = readFileSync(join(sipp.dir, 'messages.log'), 'utf8');
    expect(messages).toMatch(/SIP\/2\.0 100 Trying/);
    expect(messages).toMatch(/SIP\/2\.0 180 Ringing/);
    expect(messages).toMatch(/SIP\/2\.0 200 OK[\s\S]*m=audio \d+ RTP\/AVP 0/);
  });

  it('CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, ACK absorbed', async () => {
    earshot = await EarshotPeer.start();
    const sipp = peers.add(
      await startSipp({
        scenario: scenario('uac-cancel.xml'),
        remote: `127.0.0.1:${earshot.port}`,
        service: 'ring',
        calls: 1,
      }),
    );
    await expectAllCallsOk(sipp, 1);
    const call = await earshot.waitCall((c) => c.state === 'cancelled', 5000, 'cancelled call');
    expect(call.dialog).toBeUndefined();
    expect(earshot.ua.dialogs).toEqual([]);
  });

  it('20 calls over UDP with SIPp dropping 10 % of packets: retransmissions recover every call', async () => {
    earshot = await EarshotPeer.start();
    const calls = 20;
    const sipp = peers.add(
      await startSipp({
        scenario: scenario('uac-call.xml'),
        remote: `127.0.0.1:${earshot.port}`,
        service: 'bob',
        calls,
        rate: 20,
        lost: 10,
      }),
    );
    await expectAllCallsOk(sipp, calls);
    // ~140 messages at 10 %: SIPp retransmitted (P(no loss at all) ≈ 0.9^140 ≈ 4e-7).
    expect(sipp.stat('Retransmissions(C)'), logs()).toBeGreaterThan(0);
    const es = earshot;
    // Every call reached Earshot and was ended by SIPp's BYE (a retransmitted INVITE never makes a second call).
    await es.until(
      () => es.calls.length === calls && es.calls.every((c) => c.state === 'ended'),
      10_000,
      'every call ended by BYE',
    );
    expect(new Set(es.calls.map((c) => c.callId)).size).toBe(calls);
    expect(
      es.calls.every((c) => c.endedBy === 'remote'),
      logs(),
    ).toBe(true);
  });
});
