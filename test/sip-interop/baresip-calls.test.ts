import { afterEach, describe, expect, it } from 'vitest';
import { type BaresipEvent, type BaresipPeer, PeerSet, startBaresip } from '../support/sip-peers.js';
import { EarshotPeer } from './earshot-peer.js';

/*
 * baresip, a real softphone, against Earshot's UA core: it registers with digest (MD5: baresip 1.0 fails
 * the whole registration when SHA-256 is offered, see src/sip/registrar/README.md), then
 *  - dials the Earshot UAS twice: hung up once by baresip, once by Earshot;
 *  - is called by Earshot's UAC, which finds its contact in the location service (and, over TCP, reaches
 *    it over the connection it registered on); baresip answers by itself (answermode=auto); hung up once
 *    by each side.
 */
describe.each(['udp', 'tcp'] as const)('baresip calls over %s', (transport) => {
  const peers = new PeerSet();
  let earshot: EarshotPeer | undefined;
  afterEach(async () => {
    await peers.closeAll();
    await earshot?.close();
    earshot = undefined;
  });

  const logs = () => `${peers.describe()}\n${earshot?.describe() ?? ''}`;

  /** The next `type` event after the first `mark` events. */
  const next = (peer: BaresipPeer, mark: number, type: string, ms = 10_000): Promise<BaresipEvent> =>
    peer.waitEvent((e) => e.type === type && peer.events.indexOf(e) >= mark, ms, type);

  async function registered(): Promise<{ es: EarshotPeer; alice: BaresipPeer }> {
    const es = await EarshotPeer.start({ users: { alice: 'alice-pw' } });
    earshot = es;
    const alice = peers.add(
      await startBaresip({
        name: 'alice',
        account: `<sip:alice@127.0.0.1:${es.port};transport=${transport}>;regint=60;auth_user=alice;auth_pass=alice-pw;answermode=auto;audio_codecs=PCMU`,
      }),
    );
    // Waited on at the registrar: baresip may register before its ctrl_tcp is connected (event lost).
    const bindings = await es.waitBinding('sip:alice@127.0.0.1', 10_000);
    expect(
      bindings.map((b) => b.source?.transport),
      logs(),
    ).toEqual([transport]);
    return { es, alice };
  }

  it('baresip dials Earshot: answered, then hung up by baresip, then (second call) by Earshot', async () => {
    const { es, alice } = await registered();
    const uri = `sip:agent@127.0.0.1:${es.port}${transport === 'tcp' ? ';transport=tcp' : ''}`;

    // Call 1: baresip hangs up.
    let mark = alice.events.length;
    expect((await alice.command('dial', uri)).ok, logs()).toBe(true);
    await next(alice, mark, 'CALL_ESTABLISHED');
    const first = await es.waitCall((c) => c.n === 1 && c.state === 'confirmed', 10_000, 'call 1 confirmed');
    expect(first.direction).toBe('in');
    expect(first.target).toBe('agent');
    expect(first.transport).toBe(transport);
    expect(first.offer, logs()).toMatch(/m=audio \d+ RTP\/AVP[^\n]*\b0\b/);
    mark = alice.events.length;
    await alice.command('hangup');
    await next(alice, mark, 'CALL_CLOSED');
    await es.until(() => first.state === 'ended', 10_000, 'call 1 ended');
    expect(first.endedBy, logs()).toBe('remote');

    // Call 2: Earshot hangs up.
    mark = alice.events.length;
    expect((await alice.command('dial', uri)).ok, logs()).toBe(true);
    await next(alice, mark, 'CALL_ESTABLISHED');
    const second = await es.waitCall((c) => c.n === 2 && c.state === 'confirmed', 10_000, 'call 2 confirmed');
    await second.dialog?.bye();
    const closed = await next(alice, mark, 'CALL_CLOSED');
    expect(second.endedBy).toBe('local');
    expect(String(closed.param ?? ''), logs()).not.toMatch(/error|timeout/i);
    expect(es.ua.dialogs, logs()).toEqual([]);
  });

  it('Earshot calls the registered baresip through the location service; BYE from each side', async () => {
    const { es, alice } = await registered();
    const aor = 'sip:alice@127.0.0.1';

    // Call 1: Earshot hangs up.
    let mark = alice.events.length;
    const first = await es.callAor(aor);
    expect(first.state, logs()).toBe('confirmed');
    expect(first.transport).toBe(transport);
    expect(first.answer, logs()).toMatch(/m=audio \d+ RTP\/AVP 0/);
    const incoming = await next(alice, mark, 'CALL_ESTABLISHED');
    expect(incoming.direction).toBe('incoming');
    await first.dialog?.bye();
    await next(alice, mark, 'CALL_CLOSED');
    expect(first.endedBy).toBe('local');

    // Call 2: baresip hangs up.
    mark = alice.events.length;
    const second = await es.callAor(aor);
    await next(alice, mark, 'CALL_ESTABLISHED');
    await alice.command('hangup');
    await es.until(() => second.state === 'ended', 10_000, 'call 2 ended by baresip');
    expect(second.endedBy, logs()).toBe('remote');
    expect(es.ua.dialogs, logs()).toEqual([]);
  });
});
