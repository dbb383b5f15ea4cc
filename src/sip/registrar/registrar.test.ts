import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../util/clock.js';
import { StaticCredentialProvider } from '../auth/credential-provider.js';
import { DigestClient } from '../auth/digest-client.js';
import { DigestServer } from '../auth/digest-server.js';
import { parseMessage } from '../message/parse-message.js';
import type { SipRequest } from '../message/sip-message.js';
import { LocationService } from './location-service.js';
import { Registrar, type RegistrarAnswer } from './registrar.js';

const DOMAIN = '127.0.0.1';

function setup(withAuth = true) {
  const clock = new FakeClock();
  const location = new LocationService({ clock });
  const auth = withAuth
    ? new DigestServer({
        clock,
        realm: 'earshot',
        credentials: new StaticCredentialProvider({ alice: 'secret-a', bob: 'secret-b' }),
        lockout: { maxFailures: 3 },
      })
    : undefined;
  const registrar = new Registrar({
    clock,
    location,
    ...(auth ? { auth } : {}),
    isLocalDomain: (h) => h === DOMAIN,
    minExpires: 60,
    maxExpires: 3600,
  });
  return { clock, location, auth, registrar };
}

let seq = 0;
function register(o: {
  user?: string;
  contacts?: string[];
  expires?: number;
  callId?: string;
  cseq?: number;
  authorization?: string;
  ruri?: string;
  require?: string;
  source?: string;
}): SipRequest {
  const user = o.user ?? 'alice';
  const ruri = o.ruri ?? `sip:${DOMAIN}:5060`;
  const lines = [
    `REGISTER ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-${++seq}`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${DOMAIN}:5060>;tag=f${seq}`,
    `To: <sip:${user}@${DOMAIN}:5060>`,
    `Call-ID: ${o.callId ?? 'call-1'}`,
    `CSeq: ${o.cseq ?? seq} REGISTER`,
    ...(o.contacts ?? [`<sip:${user}@127.0.0.1:5070>`]).map((c) => `Contact: ${c}`),
    ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []),
    ...(o.authorization ? [`Authorization: ${o.authorization}`] : []),
    ...(o.require ? [`Require: ${o.require}`] : []),
    'Content-Length: 0',
    '',
    '',
  ];
  const msg = parseMessage(lines.join('\r\n')) as SipRequest;
  msg.source = { transport: 'udp', address: o.source ?? '127.0.0.1', port: 5070, connectionId: undefined };
  return msg;
}

function challenges(a: RegistrarAnswer): string[] {
  return a.headers.filter(([n]) => n === 'WWW-Authenticate').map(([, v]) => v);
}

/** Registers through the challenge with a real DigestClient; returns the final answer. */
async function registerWithAuth(
  registrar: Registrar,
  user: string,
  password: string,
  extra: Parameters<typeof register>[0] = {},
): Promise<RegistrarAnswer> {
  const first = await registrar.handle(register({ user, ...extra }));
  expect(first.status).toBe(401);
  const client = new DigestClient({ username: user, password });
  client.handleChallenge(401, challenges(first));
  const auth = client.authorize('REGISTER', extra.ruri ?? `sip:${DOMAIN}:5060`);
  return registrar.handle(register({ user, ...extra, authorization: auth?.value ?? '' }));
}

const shape = (a: RegistrarAnswer) => ({ status: a.status, reason: a.reason, headers: a.headers });

describe('Registrar (RFC 3261 §10.3) with digest authentication', () => {
  it('challenges, then binds the contact and answers 200 with every binding and its expires', async () => {
    const { registrar, location } = setup();
    const ok = await registrarWithContacts(registrar, ['<sip:alice@127.0.0.1:5070>;expires=120']);
    expect(ok.status).toBe(200);
    expect(ok.headers.filter(([n]) => n === 'Contact').map(([, v]) => v)).toEqual([
      '<sip:alice@127.0.0.1:5070>;expires=120',
    ]);
    expect(ok.headers.some(([n]) => n === 'Date')).toBe(true);
    expect(location.lookup('sip:alice@127.0.0.1').map((b) => b.source?.transport)).toEqual(['udp']);
  });

  it('answers an unknown user and a wrong password with byte-identical 403s, and changes nothing', async () => {
    const { registrar, location } = setup();
    const unknown = await registerWithAuth(registrar, 'mallory', 'secret-a');
    const wrong = await registerWithAuth(registrar, 'alice', 'not-her-password');
    expect(unknown.status).toBe(403);
    expect(shape(wrong)).toEqual(shape(unknown));
    expect(JSON.stringify(shape(wrong))).toBe(JSON.stringify(shape(unknown)));
    expect(location.size).toBe(0);
  });

  it('challenges an unknown user exactly like a known one (same 401 shape, nonce aside)', async () => {
    const { registrar } = setup();
    const a = await registrar.handle(register({ user: 'alice' }));
    const m = await registrar.handle(register({ user: 'mallory' }));
    const strip = (x: RegistrarAnswer) => JSON.stringify(shape(x)).replace(/nonce=\\"[^\\"]+\\"/g, 'nonce=N');
    expect(a.status).toBe(401);
    expect(strip(m)).toBe(strip(a));
  });

  it('refuses one user registering another user AOR (403) and binds nothing', async () => {
    const { registrar, location } = setup();
    const first = await registrar.handle(register({ user: 'bob' }));
    const client = new DigestClient({ username: 'alice', password: 'secret-a' });
    client.handleChallenge(401, challenges(first));
    const a = await registrar.handle(
      register({
        user: 'bob',
        authorization: client.authorize('REGISTER', `sip:${DOMAIN}:5060`)?.value ?? '',
      }),
    );
    expect(a.status).toBe(403);
    expect(a.code).toBe('SIP_REGISTRAR_NOT_AUTHORIZED');
    expect(location.size).toBe(0);
  });

  it('locks out a source after repeated bad passwords; even the right one is refused, from there only', async () => {
    const { registrar, location } = setup();
    for (let i = 0; i < 3; i++)
      expect((await registerWithAuth(registrar, 'alice', `guess${i}`)).status).toBe(403);
    const locked = await registrar.handle(register({ user: 'alice' }));
    expect(locked.status).toBe(403);
    expect(locked.code).toBe('SIP_AUTH_LOCKED_OUT');
    expect(location.size).toBe(0);
    expect((await registerWithAuth(registrar, 'alice', 'secret-a', { source: '127.0.0.9' })).status).toBe(
      200,
    );
  });
});

describe('Registrar bindings (no authentication)', () => {
  it('keeps several contacts, refreshes and removes them one by one (expires=0)', async () => {
    const { registrar, location } = setup(false);
    await registrar.handle(
      register({ contacts: ['<sip:alice@10.0.0.1>', '<sip:alice@10.0.0.2>;q=0.5'], expires: 600 }),
    );
    await registrar.handle(register({ contacts: ['<sip:alice@10.0.0.3>'], expires: 600 }));
    expect(location.lookup('sip:alice@127.0.0.1').map((b) => b.contact)).toEqual([
      'sip:alice@10.0.0.1',
      'sip:alice@10.0.0.3',
      'sip:alice@10.0.0.2',
    ]);
    const a = await registrar.handle(register({ contacts: ['<sip:alice@10.0.0.1>;expires=0'] }));
    expect(a.headers.filter(([n]) => n === 'Contact')).toHaveLength(2);
    expect(location.lookup('sip:alice@127.0.0.1')).toHaveLength(2);
  });

  it('"Contact: *" with Expires: 0 removes every binding; with other contacts or Expires ≠ 0 it is a 400', async () => {
    const { registrar, location } = setup(false);
    await registrar.handle(register({ contacts: ['<sip:alice@10.0.0.1>', '<sip:alice@10.0.0.2>'] }));
    expect((await registrar.handle(register({ contacts: ['*'], expires: 60 }))).status).toBe(400);
    expect(
      (await registrar.handle(register({ contacts: ['*', '<sip:alice@10.0.0.3>'], expires: 0 }))).status,
    ).toBe(400);
    expect((await registrar.handle(register({ contacts: ['*'] }))).status).toBe(400);
    expect(location.lookup('sip:alice@127.0.0.1')).toHaveLength(2);
    const a = await registrar.handle(register({ contacts: ['*'], expires: 0 }));
    expect(a.status).toBe(200);
    expect(a.headers.filter(([n]) => n === 'Contact')).toEqual([]);
    expect(location.size).toBe(0);
  });

  it('answers 423 with Min-Expires below the minimum, caps at the maximum, defaults otherwise', async () => {
    const { registrar, location } = setup(false);
    const brief = await registrar.handle(register({ expires: 59 }));
    expect(brief.status).toBe(423);
    expect(brief.reason).toBe('Interval Too Brief');
    expect(brief.headers).toEqual([['Min-Expires', '60']]);
    expect(location.size).toBe(0);
    const capped = await registrar.handle(
      register({ contacts: ['<sip:alice@10.0.0.1>;expires=99999'], expires: 60 }),
    );
    expect(capped.headers.find(([n]) => n === 'Contact')?.[1]).toBe('<sip:alice@10.0.0.1>;expires=3600');
    const byHeader = await registrar.handle(register({ contacts: ['<sip:alice@10.0.0.2>'], expires: 300 }));
    expect(byHeader.headers.find(([, v]) => v.includes('10.0.0.2'))?.[1]).toBe(
      '<sip:alice@10.0.0.2>;expires=300',
    );
  });

  it('expires bindings on the clock; the 200 reports the remaining time', async () => {
    const { registrar, location, clock } = setup(false);
    await registrar.handle(register({ expires: 120 }));
    clock.advance(100_000);
    const query = await registrar.handle(register({ contacts: [] }));
    expect(query.headers.find(([n]) => n === 'Contact')?.[1]).toBe('<sip:alice@127.0.0.1:5070>;expires=20');
    clock.advance(20_000);
    expect(location.size).toBe(0);
  });

  it('refuses an out-of-order REGISTER (same Call-ID, lower CSeq) with 500 and keeps the binding', async () => {
    const { registrar, location } = setup(false);
    await registrar.handle(register({ callId: 'x', cseq: 10, expires: 600 }));
    const late = await registrar.handle(register({ callId: 'x', cseq: 9, expires: 0 }));
    expect(late.status).toBe(500);
    expect(late.code).toBe('SIP_REGISTRAR_OUT_OF_ORDER');
    expect(location.size).toBe(1);
  });

  it('answers 404 for another domain, 420 for a required extension, 400 for garbage contacts', async () => {
    const { registrar, location } = setup(false);
    expect((await registrar.handle(register({ ruri: 'sip:elsewhere.example' }))).status).toBe(404);
    const ext = await registrar.handle(register({ require: 'gruu' }));
    expect(ext.status).toBe(420);
    expect(ext.headers).toEqual([['Unsupported', 'gruu']]);
    for (const bad of ['<mailto:x@y>', '<sip:alice@10.0.0.1>;q=2', 'not a uri']) {
      expect((await registrar.handle(register({ contacts: [bad] }))).status).toBe(400);
    }
    expect(location.size).toBe(0);
  });
});

async function registrarWithContacts(registrar: Registrar, contacts: string[]): Promise<RegistrarAnswer> {
  return registerWithAuth(registrar, 'alice', 'secret-a', { contacts });
}
