import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipResponse } from '../../src/sip/message/sip-message.js';
import { SipUserAgent } from '../../src/sip/ua/sip-user-agent.js';
import { FakeClock } from '../../src/util/clock.js';
import { optionsRequest, UdpPeer } from './udp-peer.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(clock?: FakeClock, maxMessageSize?: number) {
  const ua = await SipUserAgent.start({
    host: '127.0.0.1',
    port: 0,
    transports: ['udp', 'tcp'],
    clock,
    maxMessageSize,
  });
  const peer = await UdpPeer.open();
  cleanup.push(
    () => ua.close(),
    () => peer.close(),
  );
  return { ua, peer };
}

let seq = 0;
function invite(
  peer: UdpPeer,
  uaPort: number,
  o: { callId?: string; branch?: string; maxForwards?: number; fromTag?: string } = {},
): string {
  seq++;
  return [
    `INVITE sip:earshot@127.0.0.1:${uaPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${o.branch ?? `z9hG4bKi${seq}`};rport`,
    `Max-Forwards: ${o.maxForwards ?? 70}`,
    `From: <sip:peer@127.0.0.1>;tag=${o.fromTag ?? `f${seq}`}`,
    `To: <sip:earshot@127.0.0.1:${uaPort}>`,
    `Call-ID: ${o.callId ?? `call-${seq}`}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:peer@127.0.0.1:${peer.port}>`,
    'Content-Type: application/sdp',
    'Content-Length: 3',
    '',
    'v=0',
  ].join('\r\n');
}

function inDialog(
  method: string,
  r: SipResponse,
  peerPort: number,
  uaPort: number,
  cseq: number,
  branch: string,
): string {
  return [
    `${method} sip:earshot@127.0.0.1:${uaPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: ${r.get('from')}`,
    `To: ${r.get('to')}`,
    `Call-ID: ${r.callId}`,
    `CSeq: ${cseq} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const isFinal = (callId: string) => (m: { isRequest: boolean; callId: string }) =>
  !m.isRequest && m.callId === callId && (m as SipResponse).status >= 200;

/** Waits until the UA has processed everything sent before (its answer to a probe OPTIONS). */
async function settle(peer: UdpPeer, uaPort: number): Promise<void> {
  const id = `settle-${++seq}`;
  peer.send(optionsRequest(peer.port, uaPort, id), uaPort);
  await peer.next((m) => !m.isRequest && m.callId === id);
}

describe('UAS core on fake time', () => {
  it('retransmits the 2xx (T1 doubling to T2) until the ACK arrives (RFC 3261 §13.3.1.4)', async () => {
    const clock = new FakeClock();
    const { ua, peer } = await setup(clock);
    ua.onInvite((_r, call) => void call.answer('v=0 ua'));
    peer.send(invite(peer, ua.port, { callId: 'rtx' }), ua.port);
    const ok = (await peer.next(isFinal('rtx'))) as SipResponse;
    expect(ok.status).toBe(200);
    clock.advance(500);
    await peer.next(isFinal('rtx'));
    clock.advance(1000);
    await peer.next(isFinal('rtx'));
    peer.send(inDialog('ACK', ok, peer.port, ua.port, 1, 'z9hG4bKack1'), ua.port);
    await settle(peer, ua.port);
    clock.advance(60_000);
    await settle(peer, ua.port);
    expect(peer.drain().filter(isFinal('rtx'))).toEqual([]);
    expect(ua.dialogs).toHaveLength(1);
  });

  it('without an ACK for 64*T1 the UAS ends the dialog with BYE and answer() rejects SIP_NO_ACK', async () => {
    const clock = new FakeClock();
    const { ua, peer } = await setup(clock);
    const answered: Array<Promise<unknown>> = [];
    ua.onInvite((_r, call) => {
      answered.push(call.answer('v=0').catch((e: unknown) => e));
    });
    peer.send(invite(peer, ua.port, { callId: 'noack' }), ua.port);
    await peer.next(isFinal('noack'));
    clock.advance(32_000);
    const bye = await peer.next((m) => m.isRequest && m.method === 'BYE' && m.callId === 'noack');
    expect(bye.isRequest && bye.method).toBe('BYE');
    expect(await answered[0]).toMatchObject({ code: 'SIP_NO_ACK' });
  });

  it('an INVITE nobody answers fails with SIP_TRANSACTION_TIMEOUT after Timer B', async () => {
    const clock = new FakeClock();
    const { ua, peer } = await setup(clock);
    const p = ua.invite(`sip:nobody@127.0.0.1:${peer.port}`, { sdp: 'v=0' });
    await peer.next((m) => m.isRequest && m.method === 'INVITE');
    clock.advance(500);
    await peer.next((m) => m.isRequest && m.method === 'INVITE'); // Timer A retransmission
    clock.advance(31_500);
    await expect(p).rejects.toMatchObject({ code: 'SIP_TRANSACTION_TIMEOUT' });
  });
});

describe('UAS core checks (RFC 3261 §8.2)', () => {
  it('answers 483 to an INVITE with Max-Forwards 0', async () => {
    const { ua, peer } = await setup();
    ua.onInvite((_r, call) => call.reject(603));
    peer.send(invite(peer, ua.port, { callId: 'mf0', maxForwards: 0 }), ua.port);
    expect(((await peer.next(isFinal('mf0'))) as SipResponse).status).toBe(483);
  });

  it('detects a merged request (same From tag, Call-ID, CSeq; another branch) and answers 482', async () => {
    const { ua, peer } = await setup();
    ua.onInvite((_r, call) => call.ringing());
    peer.send(invite(peer, ua.port, { callId: 'merged', branch: 'z9hG4bKm1', fromTag: 'same' }), ua.port);
    await peer.next((m) => !m.isRequest && m.callId === 'merged' && (m as SipResponse).status === 180);
    peer.send(invite(peer, ua.port, { callId: 'merged', branch: 'z9hG4bKm2', fromTag: 'same' }), ua.port);
    const r = (await peer.next(isFinal('merged'))) as SipResponse;
    expect(r.status).toBe(482);
    expect(r.via[0]?.params.get('branch')).toBe('z9hG4bKm2');
  });

  it('runs middleware in order; next() passes on; a response stops the chain; a throw answers 500', async () => {
    const { ua, peer } = await setup();
    const order: string[] = [];
    ua.use(async (req, _res, next) => {
      order.push(`a:${req.method}`);
      await next();
    });
    ua.use('MESSAGE', (_req, res) => {
      order.push('message');
      res.send(202);
    });
    ua.use('SUBSCRIBE', () => {
      throw new Error('boom');
    });
    const send = (method: string, id: string) =>
      peer.send(
        [
          `${method} sip:earshot@127.0.0.1:${ua.port} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK${id};rport`,
          'Max-Forwards: 70',
          `From: <sip:p@127.0.0.1>;tag=${id}`,
          '<sip:earshot@127.0.0.1>'.replace(/^/, 'To: '),
          `Call-ID: ${id}`,
          `CSeq: 1 ${method}`,
          'Event: presence',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        ua.port,
      );
    send('MESSAGE', 'mw1');
    send('SUBSCRIBE', 'mw2');
    send('FOO', 'mw3');
    send('OPTIONS', 'mw4');
    const statuses = [];
    for (const id of ['mw1', 'mw2', 'mw3', 'mw4'])
      statuses.push(((await peer.next(isFinal(id))) as SipResponse).status);
    expect(statuses).toEqual([202, 500, 501, 200]);
    expect(order).toEqual(['a:MESSAGE', 'message', 'a:SUBSCRIBE', 'a:FOO', 'a:OPTIONS']);
  });

  it('answers 481 to in-dialog requests of unknown dialogs and 500 to out-of-order CSeqs', async () => {
    const { ua, peer } = await setup();
    ua.onInvite((_r, call) => void call.answer('v=0'));
    peer.send(invite(peer, ua.port, { callId: 'dlg' }), ua.port);
    const ok = (await peer.next(isFinal('dlg'))) as SipResponse;
    peer.send(inDialog('ACK', ok, peer.port, ua.port, 1, 'z9hG4bKa'), ua.port);
    peer.send(inDialog('INFO', ok, peer.port, ua.port, 5, 'z9hG4bKinfo5'), ua.port);
    expect(((await peer.next(isFinal('dlg'))) as SipResponse).status).toBe(200);
    peer.send(inDialog('INFO', ok, peer.port, ua.port, 4, 'z9hG4bKinfo4'), ua.port);
    expect(((await peer.next(isFinal('dlg'))) as SipResponse).status).toBe(500);
    const stranger = ok.get('to')?.replace(/tag=[^;]+/, 'tag=nope') ?? '';
    peer.send(
      inDialog('BYE', ok, peer.port, ua.port, 9, 'z9hG4bKbye').replace(/^To: .*$/m, `To: ${stranger}`),
      ua.port,
    );
    expect(((await peer.next(isFinal('dlg'))) as SipResponse).status).toBe(481);
    expect(ua.dialogs).toHaveLength(1);
  });

  it('refuses an oversized UDP message with 513 and keeps serving', async () => {
    const { ua, peer } = await setup(undefined, 8192);
    const big = invite(peer, ua.port, { callId: 'big' }).replace(
      'Content-Length: 3',
      `X-Pad: ${'a'.repeat(10_000)}\r\nContent-Length: 3`,
    );
    peer.send(big, ua.port);
    const r = await peer.next((m) => !m.isRequest && m.callId === 'big');
    expect(!r.isRequest && r.status).toBe(513);
    await settle(peer, ua.port);
  });

  it('closes a TCP connection that sends an endless header section, without blocking other traffic', async () => {
    const { ua, peer } = await setup();
    const sock = connect({ host: '127.0.0.1', port: ua.port });
    cleanup.push(() => sock.destroy());
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    const line = Buffer.from(`X-Flood: ${'b'.repeat(1000)}\r\n`);
    sock.write('INVITE sip:x@127.0.0.1 SIP/2.0\r\n');
    for (let i = 0; i < 80 && !sock.destroyed; i++) sock.write(line);
    await settle(peer, ua.port);
    await closed;
  });
});
