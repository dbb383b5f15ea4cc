import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listConversations, listTimeline } from '../../src/store/conversation.repository.js';
import { openStore, type Store } from '../../src/store/database.js';
import { listRegistrations } from '../../src/store/registration.repository.js';
import { findUserByUsername } from '../../src/store/user.repository.js';
import { PeerSet, startBaresip, startSipp } from '../support/sip-peers.js';
import { type ServeChild, startServe, until } from './serve-child.js';

/**
 * A real `earshot serve` child with SIP wired: phones register with digest against the store's
 * credentials (SIPp over UDP and TCP, baresip, a WebSocket client with the console's credentials),
 * the bindings land in the store; a trunk call is ended gracefully by SIGTERM (BYE, timeline), exit 0.
 */
const dir = mkdtempSync(join(tmpdir(), 'earshot-serve-sip-'));
const dbFile = join(dir, 'e.db');
const peers = new PeerSet();
let srv: ServeChild;
let store: Store;
const scenario = (name: string) => readFileSync(join(import.meta.dirname, 'scenarios', name), 'utf8');

beforeAll(async () => {
  const file = join(dir, 'acme.yaml');
  writeFileSync(
    file,
    [
      'org: { name: Acme }',
      'trunks: [{ name: pstn, inbound: { allow: [127.0.0.1] } }]',
      'queues: [{ name: Support, number: "5000", members: [alice] }]',
      'users:',
      '  - { username: alice, name: Alice, password: pw, roles: [agent], phone: { kind: sip, sipUser: alice, sipPassword: alice-pw } }',
      '  - { username: bob, name: Bob, password: pw, roles: [agent], phone: { kind: sip, sipUser: bob, sipPassword: bob-pw } }',
      '  - { username: sam, name: Sam, password: pw, roles: [supervisor], phone: { kind: webrtc } }',
      '',
    ].join('\n'),
  );
  // SIPp and baresip 1.0 only do MD5 (baresip fails when SHA-256 is offered at all).
  srv = await startServe(['--provision', file], { EARSHOT_DB: dbFile, EARSHOT_SIP_DIGEST: 'MD5' });
  store = await openStore({ url: dbFile, migrate: false });
}, 40_000);
afterAll(async () => {
  await peers.closeAll();
  await srv?.stop('SIGKILL').catch(() => undefined);
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function login(username: string): Promise<string> {
  const r = await fetch(`${srv.http}/api/v2/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'pw' }),
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { accessToken: string }).accessToken;
}
const registrations = (user: string) =>
  listRegistrations(store.db, `sip:${user}@127.0.0.1`, new Date().toISOString());

describe('earshot serve with SIP', () => {
  it('/healthz is 200 once SIP, media and the store are up; notifications still upgrade', async () => {
    const h = await fetch(`${srv.http}/healthz`);
    expect(h.status).toBe(200);
    expect(srv.output()).toContain(`"sip":"127.0.0.1:${srv.sipPort}"`);
    const ws = new WebSocket(`${srv.http.replace('http', 'ws')}/api/v2/notifications?access_token=bogus`);
    expect(await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)))).toBe(4401);
  });

  it.each([
    ['u1', 'udp'],
    ['t1', 'tcp'],
  ] as const)(
    'SIPp [authentication] registers over %s; the binding is in the store',
    async (t, transport) => {
      const sipp = peers.add(
        await startSipp({
          scenario: scenario('register-digest.xml').replaceAll('[expected]', '200'),
          remote: `127.0.0.1:${srv.sipPort}`,
          transport: t,
          service: 'alice',
          auth: { user: 'alice', password: 'alice-pw' },
        }),
      );
      expect((await sipp.finished(20_000)).code, peers.describe()).toBe(0);
      const alice = await findUserByUsername(store.db, 'alice');
      const regs = await until(
        async () => {
          const r = (await registrations('alice')).filter((x) => x.contact.includes(`:${sipp.localPort}`));
          return r.length > 0 ? r : undefined;
        },
        5000,
        'the binding persisted',
      );
      expect(regs.map((r) => [r.userId, JSON.parse(r.source).transport])).toEqual([[alice?.id, transport]]);
    },
  );

  it('a wrong password gets 403 and persists nothing', async () => {
    const before = (await registrations('alice')).length;
    const sipp = peers.add(
      await startSipp({
        scenario: scenario('register-digest.xml').replaceAll('[expected]', '403'),
        remote: `127.0.0.1:${srv.sipPort}`,
        service: 'alice',
        auth: { user: 'alice', password: 'wrong' },
      }),
    );
    expect((await sipp.finished(20_000)).code, peers.describe()).toBe(0);
    expect((await registrations('alice')).length).toBe(before);
  });

  it('baresip registers over UDP with digest', async () => {
    const bob = peers.add(
      await startBaresip({
        name: 'bob',
        account: `<sip:bob@127.0.0.1:${srv.sipPort}>;regint=60;auth_user=bob;auth_pass=bob-pw;answermode=auto;audio_codecs=PCMU`,
      }),
    );
    // The store is the ground truth (baresip may report REGISTER_OK before its control socket is up).
    await until(
      async () => (await registrations('bob')).length === 1,
      15_000,
      "bob's binding persisted",
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${peers.describe()}`);
    });
  });

  it('the browser phone registers over WebSocket /sip with the credentials the API issued', async () => {
    const token = await login('sam');
    const r = await fetch(`${srv.http}/api/v2/users/me/phone/credentials`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(200);
    const c = (await r.json()) as { sipUser: string; password: string; domain: string };
    const statuses = await wsRegister(`${srv.http.replace('http', 'ws')}/sip`, c);
    expect(statuses).toEqual([401, 200]);
    const regs = await until(
      async () => {
        const r = await registrations(c.sipUser);
        return r.length > 0 ? r : undefined;
      },
      5000,
      'ws binding',
    );
    expect(JSON.parse(regs[0]?.source ?? '{}').transport).toBe('ws');
    expect(regs[0]?.userId).toBe((await findUserByUsername(store.db, 'sam'))?.id);
  });

  it('SIGTERM: the trunk call gets a BYE, the conversation ends on the timeline, exit 0', async () => {
    const sipp = peers.add(
      await startSipp({
        scenario: scenario('trunk-call-bye.xml'),
        remote: `127.0.0.1:${srv.sipPort}`,
        service: '5000',
      }),
    );
    const orgId = (await findUserByUsername(store.db, 'alice'))?.orgId as string;
    const conv = await until(
      // Answered (the customer is connected), so the shutdown has a confirmed dialog to BYE.
      async () =>
        (await listConversations(store.db, orgId, 'active')).find((c) =>
          c.participants.some((p) => p.purpose === 'customer' && p.state === 'connected'),
        ),
      15_000,
      'the call answered in the queue',
    );
    // …and SIPp has its 200 (the dialog is confirmed on both sides) before the signal.
    await until(
      () => {
        try {
          return /received[\s\S]*SIP\/2\.0 200/.test(readFileSync(join(sipp.dir, 'messages.log'), 'utf8'));
        } catch {
          return false;
        }
      },
      15_000,
      'SIPp received the 200',
    );
    expect(await srv.stop('SIGTERM')).toBe(0);
    const done = await sipp.finished(20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n── earshot (tail) ──\n${srv.output().slice(-6000)}`);
    });
    expect(done.code, peers.describe()).toBe(0);
    expect(srv.output()).toContain('earshot stopped');
    expect(await listConversations(store.db, orgId, 'active')).toEqual([]);
    const types = ((await listTimeline(store.db, orgId, conv.id)) ?? []).map((e) => e.type);
    expect(types[0]).toBe('conversation.started');
    expect(types.at(-1)).toBe('conversation.ended');
  });
});

/** A minimal RFC 7118 client: REGISTER, answer the MD5 challenge, REGISTER again; the statuses seen. */
async function wsRegister(
  url: string,
  c: { sipUser: string; password: string; domain: string },
): Promise<number[]> {
  const ws = new WebSocket(url, 'sip');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const callId = randomBytes(8).toString('hex');
  const uri = `sip:${c.domain}`;
  const request = (cseq: number, auth?: string) =>
    [
      `REGISTER ${uri} SIP/2.0`,
      `Via: SIP/2.0/WS client.invalid;branch=z9hG4bK${randomBytes(6).toString('hex')}`,
      'Max-Forwards: 70',
      `From: <sip:${c.sipUser}@${c.domain}>;tag=${randomBytes(4).toString('hex')}`,
      `To: <sip:${c.sipUser}@${c.domain}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${c.sipUser}@client.invalid;transport=ws>`,
      'Expires: 120',
      ...(auth ? [`Authorization: ${auth}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  const responses: string[] = [];
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no SIP response; got ${responses.join('\n---\n')}`)),
        5000,
      );
      ws.once('message', (d) => {
        clearTimeout(t);
        responses.push(String(d));
        resolve(String(d));
      });
    });
  const status = (m: string) => Number(/^SIP\/2\.0 (\d{3})/.exec(m)?.[1]);
  ws.send(request(1));
  const challenge = await next();
  const www = /^WWW-Authenticate: *Digest (.*)$/im.exec(challenge)?.[1] ?? '';
  const param = (k: string) => new RegExp(`${k}="?([^",]+)"?`, 'i').exec(www)?.[1] ?? '';
  const [realm, nonce, qop] = [param('realm'), param('nonce'), param('qop')];
  const cnonce = randomBytes(8).toString('hex');
  const ha1 = md5(`${c.sipUser}:${realm}:${c.password}`);
  const ha2 = md5(`REGISTER:${uri}`);
  const response = qop
    ? md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`)
    : md5(`${ha1}:${nonce}:${ha2}`);
  const auth = `Digest username="${c.sipUser}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5${qop ? `, qop=auth, nc=00000001, cnonce="${cnonce}"` : ''}`;
  ws.send(request(2, auth));
  const ok = await next();
  ws.close();
  return [status(challenge), status(ok)];
}
