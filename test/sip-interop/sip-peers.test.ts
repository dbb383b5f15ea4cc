import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerSet, startBaresip, startSipp } from '../support/sip-peers.js';

/** The helpers themselves, peer against peer (no Earshot): if these fail, the interop suites cannot pass. */
describe('test/support/sip-peers', () => {
  const peers = new PeerSet();
  afterEach(() => peers.closeAll());

  it('SIPp uac completes a call against SIPp uas (exit code 0)', async () => {
    const uas = peers.add(await startSipp({ scenario: 'uas', calls: 1 }));
    const uac = peers.add(
      await startSipp({ scenario: 'uac', remote: `127.0.0.1:${uas.localPort}`, calls: 1 }),
    );
    expect((await uac.finished(20_000)).code, peers.describe()).toBe(0);
  });

  const scenario = (name: string) => readFileSync(join(import.meta.dirname, 'scenarios', name), 'utf8');

  it('our uac-call scenario completes against a SIPp UAS (uas-reference.xml), also with 10 % packets lost', async () => {
    for (const lost of [undefined, 10]) {
      // scenarios/uas-reference.xml, not the built-in uas: that one has no wait after its 200 to BYE, so a
      // BYE retransmitted because that 200 was lost hits a dead call and the caller fails. A high -m keeps it
      // running until the caller is done (closeAll stops it).
      const uas = peers.add(
        await startSipp({
          scenario: scenario('uas-reference.xml'),
          calls: lost ? 1000 : 3,
          ...(lost ? { lost } : {}),
        }),
      );
      await uas.listening();
      const uac = peers.add(
        await startSipp({
          scenario: scenario('uac-call.xml'),
          remote: `127.0.0.1:${uas.localPort}`,
          calls: 3,
          service: 'bob',
          ...(lost ? { lost } : {}),
        }),
      );
      expect((await uac.finished(40_000)).code, peers.describe()).toBe(0);
      await peers.closeAll();
    }
  });

  it('our uac-cancel scenario completes against a ringing SIPp callee (487)', async () => {
    const uas = peers.add(await startSipp({ scenario: scenario('uas-ring-then-cancelled.xml'), calls: 1 }));
    const uac = peers.add(
      await startSipp({
        scenario: scenario('uac-cancel.xml'),
        remote: `127.0.0.1:${uas.localPort}`,
        calls: 1,
        service: 'bob',
      }),
    );
    expect((await uac.finished(20_000)).code, peers.describe()).toBe(0);
    expect((await uas.finished(20_000)).code, peers.describe()).toBe(0);
  });

  it('two baresips call each other directly and both see the call established and closed', async () => {
    const bob = peers.add(
      await startBaresip({
        name: 'bob',
        account: '<sip:bob@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU',
      }),
    );
    const alice = peers.add(
      await startBaresip({
        name: 'alice',
        account: '<sip:alice@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU',
      }),
    );
    const r = await alice.command('dial', `sip:bob@127.0.0.1:${bob.sipPort}`);
    expect(r.ok, peers.describe()).toBe(true);
    await alice.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, 'CALL_ESTABLISHED');
    await bob.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, 'CALL_ESTABLISHED');
    await bob.command('hangup');
    await alice.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, 'CALL_CLOSED');
  });
});
