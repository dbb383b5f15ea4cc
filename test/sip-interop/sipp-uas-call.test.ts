import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerSet, type SippPeer, startSipp } from '../support/sip-peers.js';
import { EarshotPeer } from './earshot-peer.js';

/*
 * Earshot's UAC (`ua.invite(...)` of the real UA core) calling SIPp scenarios acting as the callee:
 * our INVITE, their 100/180/200, our ACK, and the BYE from either side; then a callee that challenges
 * with 401 or 407 and checks our digest answer with its own `verifyauth`.
 */
const scenario = (name: string) => readFileSync(join(import.meta.dirname, 'scenarios', name), 'utf8');

describe('Earshot UAC against SIPp UAS', () => {
  const peers = new PeerSet();
  let earshot: EarshotPeer | undefined;
  afterEach(async () => {
    await peers.closeAll();
    await earshot?.close();
    earshot = undefined;
  });

  const logs = () => `${peers.describe()}\n${earshot?.describe() ?? ''}`;

  async function expectSippOk(sipp: SippPeer): Promise<void> {
    expect((await sipp.finished(20_000)).code, logs()).toBe(0);
    expect(sipp.stat('SuccessfulCall(C)'), logs()).toBe(1);
    expect(sipp.stat('FailedCall(C)'), logs()).toBe(0);
  }

  const target = (sipp: SippPeer, transport: 'u1' | 't1') =>
    `sip:bob@127.0.0.1:${sipp.localPort}${transport === 't1' ? ';transport=tcp' : ''}`;

  it.each(['u1', 't1'] as const)('our INVITE, 100/180/200, our ACK, our BYE (%s)', async (transport) => {
    earshot = await EarshotPeer.start();
    const sipp = peers.add(await startSipp({ scenario: scenario('uas-answer.xml'), transport }));
    await sipp.listening();
    const progress: number[] = [];
    const call = await earshot.call(target(sipp, transport), { onProgress: (r) => progress.push(r.status) });
    expect(call.state, logs()).toBe('confirmed');
    expect(progress, logs()).toEqual([100, 180]);
    expect(call.answer, logs()).toMatch(/m=audio \d+ RTP\/AVP 0/);
    await call.dialog?.bye();
    expect(call.state, logs()).toBe('ended');
    expect(call.endedBy).toBe('local');
    await expectSippOk(sipp);
    // The ACK went to the 200's Contact, in the dialog SIPp created (its To tag).
    const messages = readFileSync(join(sipp.dir, 'messages.log'), 'utf8');
    expect(messages).toMatch(
      /ACK sip:127\.0\.0\.1:\d+[^\n]* SIP\/2\.0[\s\S]*To: <sip:bob@[^>]+>;tag=\d+SIPpTag011/,
    );
  });

  it.each(['u1', 't1'] as const)('SIPp hangs up: its BYE ends our dialog (%s)', async (transport) => {
    earshot = await EarshotPeer.start();
    const sipp = peers.add(await startSipp({ scenario: scenario('uas-answer-then-bye.xml'), transport }));
    await sipp.listening();
    const call = await earshot.call(target(sipp, transport));
    const es = earshot;
    await es.until(() => call.state === 'ended', 10_000, 'call ended by the callee');
    expect(call.endedBy, logs()).toBe('remote');
    await expectSippOk(sipp);
    expect(earshot.ua.dialogs).toEqual([]);
  });

  /*
   * SIPp's verifyauth reads only `Authorization`, so for 407 the scenario checks that a
   * `Proxy-Authorization: Digest …` came (an ereg) and the test recomputes the digest itself below.
   */
  const challenge = (status: 401 | 407, password: string) => {
    let xml = scenario('uas-challenge.xml')
      .replaceAll('[code]', String(status))
      .replaceAll('[reason]', status === 401 ? 'Unauthorized' : 'Proxy Authentication Required')
      .replaceAll('[challenge_header]', status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate')
      .replaceAll('[user]', 'trunk-user')
      .replaceAll('[password]', password);
    if (status === 407)
      xml = xml.replace(
        /<verifyauth [^>]*\/>/,
        '<ereg regexp="Digest .*response=" search_in="hdr" header="Proxy-Authorization:" assign_to="authvalid"/>',
      );
    return xml;
  };

  /** The INVITEs Earshot sent, as SIPp logged them (received). */
  function invitesSeen(sipp: SippPeer): string[] {
    const log = readFileSync(join(sipp.dir, 'messages.log'), 'utf8');
    return log
      .split(/^-{20,}.*$/m)
      .filter((m) => /message received/.test(m) && /^INVITE /m.test(m))
      .map((m) => m.slice(m.search(/^INVITE /m)));
  }

  /** RFC 2617 §3.2.2 response with qop=auth, computed here independently of src/sip/auth. */
  function expectedResponse(params: Record<string, string>, password: string): string {
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${params.username}:${params.realm}:${password}`);
    const ha2 = md5(`INVITE:${params.uri}`);
    return md5(`${ha1}:${params.nonce}:${params.nc}:${params.cnonce}:${params.qop}:${ha2}`);
  }

  it.each([401, 407] as const)('a %i challenge is answered with digest credentials', async (status) => {
    earshot = await EarshotPeer.start();
    const sipp = peers.add(await startSipp({ scenario: challenge(status, 'trunk-secret') }));
    await sipp.listening();
    const call = await earshot.call(target(sipp, 'u1'), {
      credentials: { username: 'trunk-user', password: 'trunk-secret' },
    });
    expect(call.state, logs()).toBe('confirmed');
    await call.dialog?.bye();
    await expectSippOk(sipp);
    const [first, retry] = invitesSeen(sipp) as [string, string];
    expect(retry, logs()).toBeDefined();
    // RFC 3261 §22.2: the retry "MUST increment the CSeq header field value".
    const cseq = (m: string) => Number(/^CSeq:\s*(\d+) INVITE/m.exec(m)?.[1]);
    expect(cseq(retry)).toBe(cseq(first) + 1);
    const header = status === 401 ? 'Authorization' : 'Proxy-Authorization';
    const value = new RegExp(`^${header}:\\s*Digest (.*)$`, 'm').exec(retry)?.[1];
    expect(value, logs()).toBeDefined();
    const params: Record<string, string> = {};
    for (const m of (value ?? '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g))
      params[m[1] as string] = m[2] ?? m[3] ?? '';
    expect(params).toMatchObject({
      username: 'trunk-user',
      realm: 'sipp-uas',
      algorithm: 'MD5',
      qop: 'auth',
    });
    expect(params.nonce).toMatch(/n1x4b1d$/);
    expect(params.response).toBe(expectedResponse(params, 'trunk-secret'));
  });

  it('wrong credentials: SIPp verifyauth refuses (403) and the INVITE fails', async () => {
    earshot = await EarshotPeer.start();
    const sipp = peers.add(await startSipp({ scenario: challenge(401, 'trunk-secret') }));
    await sipp.listening();
    await expect(
      earshot.call(target(sipp, 'u1'), { credentials: { username: 'trunk-user', password: 'wrong' } }),
    ).rejects.toMatchObject({ code: 'SIP_REQUEST_FAILED', details: { status: 403 } });
    // SIPp counts the refused call as failed (the check that makes the 401 test above able to fail).
    expect((await sipp.finished(20_000)).code, logs()).not.toBe(0);
    expect(sipp.stat('FailedCall(C)'), logs()).toBe(1);
  });
});
