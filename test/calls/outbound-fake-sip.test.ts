import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyProvisioning, type ProvisioningDoc } from '../../src/calls/app/provisioning.js';
import { type AppServices, createAppServices } from '../../src/calls/app/services.js';
import { CallControl } from '../../src/calls/call-control.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/sip-message.js';
import { serializeUri } from '../../src/sip/message/sip-uri.js';
import { sipError } from '../../src/sip/sip-errors.js';
import type { InviteOptions, InviteResult } from '../../src/sip/ua/outgoing-invite.js';
import { SipUserAgent } from '../../src/sip/ua/sip-user-agent.js';
import { listTimeline } from '../../src/store/conversation.repository.js';
import { openStore, type Store } from '../../src/store/database.js';
import { upsertTrunk } from '../../src/store/trunk.repository.js';
import { findUserByUsername } from '../../src/store/user.repository.js';
import { FakeClock } from '../../src/util/clock.js';
import { UdpPeer } from '../sip/udp-peer.js';
import { digestParams, expectedDigestResponse } from './outbound-trunk-sipp.js';

/**
 * An agent's outbound call through call control with a fake SIP stack and media engine: the
 * agent's phone is INVITEd first (auto-answer), the number through the trunk only once it is up.
 */
interface Invite {
  target: string;
  options: InviteOptions;
  answer: () => void;
  fail: (status: number) => void;
  byes: () => number;
}
const ANSWER =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

let store: Store;
let invites: Invite[];
let calls: CallControl;
let services: AppServices;
let orgId: string;
let aliceId: string;
let clock: FakeClock;
/** When set, INVITEs to anything but alice's phone go out on the wire through this real UA. */
let wire: SipUserAgent | undefined;

const doc = (trunks: ProvisioningDoc['trunks']): ProvisioningDoc => ({
  org: { name: 'Acme' },
  trunks,
  queues: [],
  users: [
    {
      username: 'alice',
      name: 'Alice',
      password: 'p',
      roles: ['agent'],
      phone: { kind: 'sip', sipUser: 'alice', sipPassword: 'x' },
    },
  ],
});

beforeEach(async () => {
  store = await openStore({ url: ':memory:' });
  clock = new FakeClock();
  invites = [];
  wire = undefined;
  ({ orgId } = await applyProvisioning(
    store.db,
    doc([{ name: 'pstn', inbound: { allow: ['127.0.0.1'] }, outbound: { uri: 'sip:127.0.0.1:5080' } }]),
    '127.0.0.1',
    new Date(clock.now()).toISOString(),
    1024,
  ));
  aliceId = (await findUserByUsername(store.db, 'alice'))!.id;
  const log = pino({ level: process.env.EARSHOT_TEST_LOG ?? 'silent' });
  calls = new CallControl({
    sip: {
      invite: (target, options) =>
        wire && !target.startsWith('sip:alice@')
          ? wire.invite(target, options)
          : new Promise<InviteResult>((resolve, reject) => {
              let byes = 0;
              const dialog = Object.assign(new EventEmitter(), {
                id: { callId: `c${invites.length}` },
                state: 'confirmed',
                bye: async () => {
                  byes++;
                },
              });
              invites.push({
                target,
                options,
                answer: () => resolve({ dialog, answerSdp: ANSWER } as unknown as InviteResult),
                fail: (status) => reject(sipError('SIP_REQUEST_FAILED', `${status}`, { status })),
                byes: () => byes,
              });
              options.signal?.addEventListener('abort', () => reject(sipError('SIP_REQUEST_CANCELLED')));
            }),
    },
    media: {
      createLeg: async () => ({ port: 30000 }),
      updateLeg: async () => undefined,
      setPlan: async () => undefined,
      closeLeg: async () => undefined,
    },
    location: {
      lookup: (aor) =>
        aor.startsWith('sip:alice@')
          ? [
              {
                aor,
                contact: 'sip:alice@127.0.0.1:6000',
                key: aor,
                callId: 'r',
                cseq: 1,
                expiresAt: 1e15,
                q: 1,
                source: undefined,
              },
            ]
          : [],
    },
    db: store.db,
    clock,
    logger: log,
    settings: { sipHost: '127.0.0.1', mediaHost: '127.0.0.1', ringTimeoutMs: 30_000 },
  });
  services = createAppServices({ db: store.db, clock, log, monitorCap: 5, tokenTtlS: 60, effects: calls });
  calls.attach(services);
});

afterEach(async () => {
  await calls.close();
  await services.close();
  await store.close();
});

const waitInvites = (n: number) => expect.poll(() => invites.length, { timeout: 5000, interval: 5 }).toBe(n);

describe('outbound call orchestration', () => {
  it('agent phone first (auto-answer), then the number through the trunk; answered → both connected', async () => {
    const view = await services.conversations.startOutbound(orgId, aliceId, '+15550123');
    await waitInvites(1);
    expect(invites[0]).toMatchObject({ target: 'sip:alice@127.0.0.1:6000', options: { autoAnswer: true } });
    // Nothing else is placed before the agent answers (the number's leg waits for it).
    expect(calls.dump().legs.map((l) => l.state)).toEqual(['inviting', 'inviting']);
    expect(invites).toHaveLength(1);
    invites[0]!.answer();
    await waitInvites(2);
    expect(invites[1]).toMatchObject({
      target: 'sip:+15550123@127.0.0.1:5080',
      options: { autoAnswer: false },
    });
    // The trunk's URI has no userinfo: no credentials to answer a challenge with.
    expect(invites[1]!.options.credentials).toBeUndefined();
    invites[1]!.answer();
    await expect
      .poll(() =>
        services.conversations.record(orgId, view.id)?.participants.map((p) => [p.purpose, p.state]),
      )
      .toEqual([
        ['agent', 'connected'],
        ['customer', 'connected'],
      ]);
    expect(calls.dump().legs.map((l) => l.state)).toEqual(['up', 'up']);
  });

  it('the number is busy (486): the customer leaves no-answer, the conversation ends, the agent leg gets a BYE', async () => {
    const view = await services.conversations.startOutbound(orgId, aliceId, '15550123');
    await waitInvites(1);
    invites[0]!.answer();
    await waitInvites(2);
    invites[1]!.fail(486);
    await expect.poll(() => services.conversations.record(orgId, view.id)).toBeUndefined();
    await calls.idle();
    expect(invites[0]!.byes()).toBe(1);
    expect(calls.dump().legs).toEqual([]);
    const tl = (await listTimeline(store.db, orgId, view.id)) ?? [];
    expect(tl.map((e) => e.type)).toContain('conversation.ended');
    // Busy is the number's reason for leaving (not a plain no-answer).
    const customer = view.participants.find((p) => p.purpose === 'customer')!;
    expect(
      tl.filter((e) => e.type === 'participant.left' && e.participantId === customer.id).map((e) => e.reason),
    ).toEqual(['declined']);
  });

  it('a trunk that refuses (503) or is not answered (480): the reason is on the timeline', async () => {
    for (const [status, reason] of [
      [503, 'phone-unreachable'],
      [480, 'no-answer'],
    ] as const) {
      invites = [];
      const view = await services.conversations.startOutbound(orgId, aliceId, '15550123');
      await waitInvites(1);
      invites[0]!.answer();
      await waitInvites(2);
      invites[1]!.fail(status);
      await expect.poll(() => services.conversations.record(orgId, view.id)).toBeUndefined();
      await calls.idle();
      const customer = view.participants.find((p) => p.purpose === 'customer')!;
      const tl = (await listTimeline(store.db, orgId, view.id)) ?? [];
      expect(
        tl
          .filter((e) => e.type === 'participant.left' && e.participantId === customer.id)
          .map((e) => e.reason),
        `${status}`,
      ).toEqual([reason]);
      expect(calls.dump().legs).toEqual([]);
    }
  });

  it("a trunk URI with a user and password: the number's INVITE carries them as credentials for a 401/407", async () => {
    await upsertTrunk(store.db, {
      orgId,
      name: 'pstn',
      inboundAllow: ['127.0.0.1'],
      outboundUri: 'sip:earshot:s3cret@127.0.0.1:5080',
    });
    await services.conversations.startOutbound(orgId, aliceId, '15550123');
    await waitInvites(1);
    // The agent's phone is not the trunk: no credentials.
    expect(invites[0]!.options.credentials).toBeUndefined();
    invites[0]!.answer();
    await waitInvites(2);
    expect(invites[1]!.target).toBe('sip:15550123@127.0.0.1:5080');
    expect(invites[1]!.options.credentials).toEqual({ username: 'earshot', password: 's3cret' });
  });

  it("the agent's phone does not answer: the number is never called, the conversation ends", async () => {
    const view = await services.conversations.startOutbound(orgId, aliceId, '15550123');
    await waitInvites(1);
    invites[0]!.fail(480);
    await expect.poll(() => services.conversations.record(orgId, view.id)).toBeUndefined();
    await calls.idle();
    expect(invites).toHaveLength(1);
    expect(calls.dump().legs).toEqual([]);
  });

  it('the agent hangs up (API disconnect) while the number rings: CANCEL to the number, conversation ends', async () => {
    const view = await services.conversations.startOutbound(orgId, aliceId, '15550123');
    await waitInvites(1);
    invites[0]!.answer();
    await waitInvites(2);
    const agent = services.conversations.record(orgId, view.id)!.participants[0]!;
    await services.conversations.apply(orgId, view.id, { type: 'disconnect', participantId: agent.id });
    await expect.poll(() => invites[1]!.options.signal?.aborted).toBe(true);
    await expect.poll(() => services.conversations.record(orgId, view.id)).toBeUndefined();
    await calls.idle();
    expect(calls.dump().legs).toEqual([]);
  });
});

/** A response to `req` from the hand-rolled trunk (Via, From, Call-ID, CSeq copied; To tagged). */
function reply(req: SipRequest, status: string, extra: string[] = [], body = ''): string {
  const to = req.get('to')!;
  return [
    `SIP/2.0 ${status}`,
    ...req.getAll('via').map((v) => `Via: ${v}`),
    `From: ${req.get('from')}`,
    `To: ${/;tag=/.test(to) ? to : `${to};tag=trunk1`}`,
    `Call-ID: ${req.get('call-id')}`,
    `CSeq: ${req.get('cseq')}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

describe('a trunk provisioned with username, password and callerId, on the wire', () => {
  it('From user = callerId, a 407 answered with a correct digest, the password never sent', async () => {
    const trunk = await UdpPeer.open();
    const ua = await SipUserAgent.start({ host: '127.0.0.1', port: 0, transports: ['udp'] });
    try {
      wire = ua;
      // The URI's userinfo is stale: the fields win (and neither password is ever sent).
      await applyProvisioning(
        store.db,
        doc([
          {
            name: 'pstn',
            inbound: { allow: ['127.0.0.1'] },
            outbound: {
              uri: `sip:stale:uri-pw-1@127.0.0.1:${trunk.port}`,
              username: 'acct-7',
              password: 'trunk-pw-9',
              callerId: '+15550199',
            },
          },
        ]),
        '127.0.0.1',
        new Date(clock.now()).toISOString(),
        1024,
      );
      const view = await services.conversations.startOutbound(orgId, aliceId, '15550123');
      await waitInvites(1);
      invites[0]!.answer();
      const isReq = (method: string) => (m: SipRequest | SipResponse) => m.isRequest && m.method === method;
      const first = (await trunk.next(isReq('INVITE'), 5000)) as SipRequest;
      expect(serializeUri(first.uri)).toBe(`sip:15550123@127.0.0.1:${trunk.port}`);
      expect(first.get('from')).toMatch(/^<sip:\+15550199@127\.0\.0\.1>;tag=/);
      expect(first.has('proxy-authorization')).toBe(false);
      trunk.send(
        reply(first, '407 Proxy Authentication Required', [
          'Proxy-Authenticate: Digest realm="trunk.example", nonce="n0nce-407", qop="auth", algorithm=MD5',
        ]),
        ua.port,
      );
      await trunk.next(isReq('ACK'), 5000);
      const second = (await trunk.next(isReq('INVITE'), 5000)) as SipRequest;
      expect(second.get('from')).toMatch(/^<sip:\+15550199@127\.0\.0\.1>;tag=/);
      const auth = digestParams(second.get('proxy-authorization')!);
      expect(auth).toMatchObject({
        username: 'acct-7',
        realm: 'trunk.example',
        nonce: 'n0nce-407',
        qop: 'auth',
      });
      expect(auth.response).toBe(expectedDigestResponse(auth, 'INVITE', 'trunk-pw-9'));
      trunk.send(
        reply(
          second,
          '200 OK',
          [`Contact: <sip:trunk@127.0.0.1:${trunk.port}>`, 'Content-Type: application/sdp'],
          ANSWER,
        ),
        ua.port,
      );
      await trunk.next(isReq('ACK'), 5000);
      await expect
        .poll(() =>
          services.conversations.record(orgId, view.id)?.participants.map((p) => [p.purpose, p.state]),
        )
        .toEqual([
          ['agent', 'connected'],
          ['customer', 'connected'],
        ]);
      // The number hangs up: a BYE from the trunk ends the conversation.
      const contact = second.getNameAddrs('contact')[0]!;
      trunk.send(
        [
          `BYE ${serializeUri(contact.uri)} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${trunk.port};branch=z9hG4bKtrunkbye1;rport`,
          'Max-Forwards: 70',
          `From: ${second.get('to')};tag=trunk1`,
          `To: ${second.get('from')}`,
          `Call-ID: ${second.get('call-id')}`,
          'CSeq: 1 BYE',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        ua.port,
      );
      const ok = (await trunk.next((m) => !m.isRequest && m.cseq.method === 'BYE', 5000)) as SipResponse;
      expect(ok.status).toBe(200);
      await expect.poll(() => services.conversations.record(orgId, view.id)).toBeUndefined();
      await calls.idle();
      const onTheWire = Buffer.concat(trunk.drainRaw()).toString('latin1');
      expect(onTheWire).toContain('acct-7');
      expect(onTheWire).not.toContain('trunk-pw-9');
      expect(onTheWire).not.toContain('uri-pw-1');
    } finally {
      // Call control first, while the UA is up: a pending INVITE (an assertion failed mid-dialog)
      // is cancelled or times out (Timer B) instead of hanging: the UA's close terminates client
      // transactions without settling their INVITE promises.
      await calls.close();
      wire = undefined;
      trunk.close();
      await ua.close();
    }
  });
});
