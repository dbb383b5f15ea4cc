import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyProvisioning } from '../../src/calls/app/provisioning.js';
import { findPhoneOfUser, findSipCredentials } from '../../src/store/phone.repository.js';
import { findUserByUsername } from '../../src/store/user.repository.js';
import { ACME, type Harness, harness } from './fixture.js';

/** What the web console assumes of the API (web/README.md), through `app.inject`. */
let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

async function get(url: string, user?: string, token?: string) {
  const headers: Record<string, string> = {};
  if (user) headers.authorization = `Bearer ${await h.token(user)}`;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return h.app.inject({ method: 'GET', url: `/api/v2${url}`, headers });
}
function expectError(r: { statusCode: number; json: () => unknown }, status: number, code: string) {
  expect(r.statusCode).toBe(status);
  expect(r.json()).toEqual({ error: { code, message: expect.any(String) } });
}
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('GET /users/me', () => {
  it('carries name, roles and the selected phone (kind, sipUser, number) or null', async () => {
    const alice = (await get('/users/me', 'alice')).json();
    expect(alice).toMatchObject({
      name: 'Alice Agent',
      roles: ['agent'],
      phone: { kind: 'sip', sipUser: 'alice' },
    });
    expect((await get('/users/me', 'root')).json()).toMatchObject({
      roles: ['admin'],
      phone: { kind: 'remote', number: '+15550100' },
    });
    const np = await get('/users/me', 'nophone');
    expect(np.statusCode).toBe(200);
    expect(np.json().phone).toBeNull();
    expect(np.json()).not.toHaveProperty('selectedPhone');
    expect((await get('/users/me', 'sue')).json().phone).toEqual({ kind: 'webrtc' });
  });
});

describe('GET /users/me/phone/credentials', () => {
  it('issues per-request digest credentials for the caller’s webrtc phone; only HA1s are stored', async () => {
    const r = await get('/users/me/phone/credentials', 'bob');
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const c = r.json<{ sipUser: string; password: string; domain: string }>();
    expect(c.domain).toBe('127.0.0.1');
    expect(c.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const bobId = await h.userId('bob');
    const bob = await findUserByUsername(h.store.db, 'bob');
    const phone = await findPhoneOfUser(h.store.db, bob?.orgId as string, bobId);
    expect(c.sipUser).toBe(phone?.id);
    // The registrar's view: the HA1s of exactly this password, and no password anywhere.
    const cred = await findSipCredentials(h.store.db, c.sipUser);
    expect(cred).toMatchObject({ userId: bobId, realm: '127.0.0.1' });
    expect(cred?.ha1Md5).toBe(md5(`${c.sipUser}:127.0.0.1:${c.password}`));
    expect(cred?.ha1Sha256).toBe(sha256(`${c.sipUser}:127.0.0.1:${c.password}`));
    const row = await h.store.db
      .selectFrom('phones')
      .selectAll()
      .where('id', '=', c.sipUser)
      .executeTakeFirst();
    expect(JSON.stringify(row)).not.toContain(c.password);
    // users/me now shows the SIP user the browser phone registers as.
    expect((await get('/users/me', 'bob')).json().phone).toEqual({ kind: 'webrtc', sipUser: c.sipUser });

    // Asking again rotates the password: the old one no longer matches.
    const again = (await get('/users/me/phone/credentials', 'bob')).json<typeof c>();
    expect(again.sipUser).toBe(c.sipUser);
    expect(again.password).not.toBe(c.password);
    const rotated = await findSipCredentials(h.store.db, c.sipUser);
    expect(rotated?.ha1Md5).toBe(md5(`${c.sipUser}:127.0.0.1:${again.password}`));

    // Re-provisioning the same file keeps the issued credentials.
    await applyProvisioning(h.store.db, ACME, '127.0.0.1', new Date(h.clock.now()).toISOString(), 1024);
    expect((await findSipCredentials(h.store.db, c.sipUser))?.ha1Md5).toBe(rotated?.ha1Md5);
  });

  it('404 for a sip, remote or missing phone; 401 without a token; 400 with a query', async () => {
    expectError(await get('/users/me/phone/credentials', 'alice'), 404, 'NOT_FOUND');
    expectError(await get('/users/me/phone/credentials', 'root'), 404, 'NOT_FOUND');
    expectError(await get('/users/me/phone/credentials', 'nophone'), 404, 'NOT_FOUND');
    expectError(await get('/users/me/phone/credentials'), 401, 'UNAUTHENTICATED');
    expectError(await get('/users/me/phone/credentials', undefined, 'nope'), 401, 'UNAUTHENTICATED');
    expectError(await get('/users/me/phone/credentials?x=1', 'bob'), 400, 'VALIDATION_FAILED');
    // A sip phone's provisioned credentials are untouched.
    expect((await findSipCredentials(h.store.db, 'alice'))?.ha1Md5).toBe(md5('alice:127.0.0.1:s1'));
  });
});

describe('queue members, queueId, queues', () => {
  it('members carry id, name, presence, routingStatus; conversations carry queueId', async () => {
    const queues = (await get('/routing/queues', 'alice')).json<{
      entities: { id: string; number: string }[];
    }>();
    expect(queues.entities.map((q) => q.number)).toEqual(['5000']);
    const qid = queues.entities[0]?.id as string;
    const m = (await get(`/routing/queues/${qid}/members`, 'sam')).json<{ entities: unknown[] }>();
    expect(m.entities).toEqual(
      expect.arrayContaining([
        {
          id: await h.userId('alice'),
          name: 'Alice Agent',
          presence: expect.any(String),
          routingStatus: expect.any(String),
        },
      ]),
    );
    const call = await h.activeCall('5000', 'alice');
    expect((await get(`/conversations/calls/${call.conversationId}`, 'sam')).json().queueId).toBe(qid);
    expectError(await get('/routing/queues'), 401, 'UNAUTHENTICATED');
    expectError(await get(`/routing/queues/${qid}/members`, 'gus'), 404, 'NOT_FOUND');
  });
});

describe('admin lists', () => {
  const lists = ['/users', '/authorization/roles', '/telephony/phones'];

  it('answer {entities} of the caller’s org to an admin', async () => {
    const users = (await get('/users', 'root')).json<{
      entities: { username: string; phone?: { kind: string } }[];
    }>();
    expect(users.entities.map((u) => u.username)).toEqual(['alice', 'bob', 'nophone', 'root', 'sam', 'sue']);
    expect(users.entities.find((u) => u.username === 'nophone')).not.toHaveProperty('phone');
    expect(users.entities.find((u) => u.username === 'alice')?.phone?.kind).toBe('sip');
    const roles = (await get('/authorization/roles', 'root')).json<{
      entities: { name: string; permissions: string[] }[];
    }>();
    expect(roles.entities.map((r) => r.name)).toEqual(['agent', 'supervisor', 'admin']);
    expect(roles.entities.find((r) => r.name === 'supervisor')?.permissions).toContain(
      'conversation:call:monitor',
    );
    const phones = (await get('/telephony/phones', 'root')).json<{
      entities: { userId: string; kind: string }[];
    }>();
    expect(phones.entities).toHaveLength(5);
    expect(JSON.stringify(phones)).not.toMatch(/ha1|password|realm/i);
    // Another org's admin sees only theirs.
    const globex = (await get('/users', 'groot')).json<{ entities: { username: string }[] }>();
    expect(globex.entities.map((u) => u.username)).toEqual(['gina', 'groot', 'gus']);
    const gphones = (await get('/telephony/phones', 'groot')).json<{ entities: { userId: string }[] }>();
    expect(gphones.entities.map((p) => p.userId)).not.toContain(await h.userId('alice'));
  });

  it('401 without a token, 403 without admin:provision, 400 with a query', async () => {
    for (const url of lists) {
      expectError(await get(url), 401, 'UNAUTHENTICATED');
      expectError(await get(url, 'sam'), 403, 'PERMISSION_DENIED');
      expectError(await get(url, 'alice'), 403, 'PERMISSION_DENIED');
      expectError(await get(`${url}?pageSize=5`, 'root'), 400, 'VALIDATION_FAILED');
    }
  });
});
