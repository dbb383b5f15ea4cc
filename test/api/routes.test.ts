import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './fixture.js';

/**
 * Every route of CONTRACT.md §4 through `app.inject` on the real app: success, UNAUTHENTICATED,
 * PERMISSION_DENIED, NOT_FOUND for another org's ids, VALIDATION_FAILED for bad bodies.
 */
let h: Harness;
let acme: Awaited<ReturnType<Harness['activeCall']>>;
let globex: Awaited<ReturnType<Harness['activeCall']>>;
beforeAll(async () => {
  h = await harness();
  acme = await h.activeCall('5000', 'alice');
  globex = await h.activeCall('6000', 'gina');
});
afterAll(async () => {
  await h.close();
});

type Method = 'GET' | 'PUT' | 'POST' | 'PATCH';
async function call(method: Method, url: string, user: string | undefined, payload?: unknown) {
  const headers: Record<string, string> = {};
  if (user) headers.authorization = `Bearer ${await h.token(user)}`;
  return h.app.inject({
    method,
    url,
    headers,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}
async function expectError(r: { statusCode: number; json: () => unknown }, status: number, code: string) {
  expect(r.statusCode).toBe(status);
  expect(r.json()).toEqual({ error: { code, message: expect.any(String) } });
}

interface RouteCase {
  name: string;
  method: Method;
  url: () => Promise<string> | string;
  body?: () => unknown;
  ok: { user: string; status: number };
  denied?: string;
  otherOrg?: { user: string; url: () => Promise<string> | string };
  badBody?: unknown;
}

const conv = (c: { conversationId: string }) => `/api/v2/conversations/calls/${c.conversationId}`;
const ROUTES: RouteCase[] = [
  { name: 'GET users/me', method: 'GET', url: () => '/api/v2/users/me', ok: { user: 'alice', status: 200 } },
  {
    name: 'PUT presence',
    method: 'PUT',
    url: async () => `/api/v2/users/${await h.userId('alice')}/presence`,
    body: () => ({ presence: 'AVAILABLE' }),
    ok: { user: 'alice', status: 200 },
    denied: 'bob',
    otherOrg: { user: 'root', url: async () => `/api/v2/users/${await h.userId('gina')}/presence` },
    badBody: { presence: 'SLEEPING' },
  },
  {
    name: 'PUT routingstatus',
    method: 'PUT',
    url: async () => `/api/v2/users/${await h.userId('bob')}/routingstatus`,
    body: () => ({ status: 'IDLE' }),
    ok: { user: 'bob', status: 200 },
    denied: 'alice',
    otherOrg: { user: 'root', url: async () => `/api/v2/users/${await h.userId('gina')}/routingstatus` },
    badBody: { status: 'IDLE', extra: 1 },
  },
  {
    name: 'GET queues',
    method: 'GET',
    url: () => '/api/v2/routing/queues',
    ok: { user: 'alice', status: 200 },
  },
  {
    name: 'GET queue members',
    method: 'GET',
    url: async () => `/api/v2/routing/queues/${acme.orgId && (await queueId('5000'))}/members`,
    ok: { user: 'sam', status: 200 },
    denied: 'alice',
    otherOrg: { user: 'sam', url: async () => `/api/v2/routing/queues/${await queueId('6000')}/members` },
  },
  {
    name: 'GET conversations',
    method: 'GET',
    url: () => '/api/v2/conversations/calls?state=active',
    ok: { user: 'sam', status: 200 },
  },
  {
    name: 'GET conversation',
    method: 'GET',
    url: () => conv(acme),
    ok: { user: 'alice', status: 200 },
    denied: 'bob',
    otherOrg: { user: 'sam', url: () => conv(globex) },
  },
  {
    name: 'PATCH participant (mute)',
    method: 'PATCH',
    url: () => `${conv(acme)}/participants/${acme.agentId}`,
    body: () => ({ muted: true }),
    ok: { user: 'alice', status: 200 },
    denied: 'bob',
    otherOrg: { user: 'sam', url: () => `${conv(globex)}/participants/${globex.agentId}` },
    badBody: { muted: 'yes' },
  },
  {
    name: 'GET timeline',
    method: 'GET',
    url: () => `/api/v2/conversations/${acme.conversationId}/timeline`,
    ok: { user: 'alice', status: 200 },
    denied: 'bob',
    otherOrg: { user: 'sam', url: () => `/api/v2/conversations/${globex.conversationId}/timeline` },
  },
  {
    name: 'GET audit',
    method: 'GET',
    url: () => '/api/v2/audit/supervision',
    ok: { user: 'root', status: 200 },
    denied: 'sam',
  },
  {
    name: 'POST monitor',
    method: 'POST',
    url: () => `${conv(acme)}/participants/${acme.customerId}/monitor`,
    body: () => ({}),
    ok: { user: 'sam', status: 201 },
    denied: 'bob',
    otherOrg: { user: 'sue', url: () => `${conv(globex)}/participants/${globex.customerId}/monitor` },
    badBody: { reason: 42 },
  },
  {
    name: 'POST coach',
    method: 'POST',
    url: () => `${conv(acme)}/participants/${acme.agentId}/coach`,
    body: () => ({}),
    ok: { user: 'sue', status: 201 },
    denied: 'alice',
    otherOrg: { user: 'sue', url: () => `${conv(globex)}/participants/${globex.agentId}/coach` },
    badBody: { mode: 'coach' },
  },
  {
    name: 'POST admin/provisioning',
    method: 'POST',
    url: () => '/api/v2/admin/provisioning',
    body: () => ({ org: { name: 'Acme' }, users: [], queues: [], trunks: [] }),
    ok: { user: 'root', status: 200 },
    denied: 'sam',
    badBody: { org: { name: 'Acme' }, users: [{ username: 'x' }] },
  },
];

async function queueId(number: string): Promise<string> {
  const { findQueueByNumber } = await import('../../src/store/queue.repository.js');
  return (await findQueueByNumber(h.store.db, number))?.id as string;
}

describe('every route', () => {
  it('has available supervisors for the supervision routes', async () => {
    for (const u of ['sam', 'sue']) {
      const r = await call('PUT', `/api/v2/users/${await h.userId(u)}/presence`, u, {
        presence: 'AVAILABLE',
      });
      expect(r.statusCode).toBe(200);
    }
  });

  describe.each(ROUTES)('$name', (rc) => {
    it('answers UNAUTHENTICATED without a token and with a bad one', async () => {
      await expectError(
        await call(rc.method, await rc.url(), undefined, rc.body?.()),
        401,
        'UNAUTHENTICATED',
      );
      const r = await h.app.inject({
        method: rc.method,
        url: await rc.url(),
        headers: { authorization: 'Bearer not-a-token' },
        ...(rc.body ? { payload: rc.body() as object } : {}),
      });
      await expectError(r, 401, 'UNAUTHENTICATED');
    });
    if (rc.denied) {
      it('answers PERMISSION_DENIED to a caller without the permission', async () => {
        await expectError(
          await call(rc.method, await rc.url(), rc.denied, rc.body?.()),
          403,
          'PERMISSION_DENIED',
        );
      });
    }
    if (rc.otherOrg) {
      const other = rc.otherOrg;
      it("answers NOT_FOUND for another org's id", async () => {
        await expectError(
          await call(rc.method, await other.url(), other.user, rc.body?.()),
          404,
          'NOT_FOUND',
        );
      });
    }
    if (rc.badBody !== undefined) {
      it('answers a bad body with a catalogued 400 and writes nothing', async () => {
        const before = JSON.stringify([...h.services.conversations.active(acme.orgId)]);
        const r = await call(rc.method, await rc.url(), rc.ok.user, rc.badBody);
        expect(r.statusCode).toBe(400);
        expect(['VALIDATION_FAILED', 'PROVISIONING_INVALID']).toContain(
          r.json<{ error: { code: string } }>().error.code,
        );
        expect(JSON.stringify([...h.services.conversations.active(acme.orgId)])).toBe(before);
      });
    }
    it('succeeds for a permitted caller', async () => {
      const r = await call(rc.method, await rc.url(), rc.ok.user, rc.body?.());
      expect(r.statusCode, r.body).toBe(rc.ok.status);
    });
  });

  it('conversation lists are per org and per caller', async () => {
    const sam = (await call('GET', '/api/v2/conversations/calls?state=active', 'sam')).json<{
      entities: { id: string }[];
    }>();
    expect(sam.entities.map((c) => c.id)).toEqual([acme.conversationId]);
    const bob = (await call('GET', '/api/v2/conversations/calls?state=active', 'bob')).json<{
      entities: unknown[];
    }>();
    expect(bob.entities).toEqual([]);
    await expectError(
      await call('GET', '/api/v2/conversations/calls?state=ended', 'sam'),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('replace (blind transfer) and consult: 202, NOT_FOUND for another org, VALIDATION_FAILED', async () => {
    const c = await h.activeCall('5000', 'bob');
    const u = `${conv(c)}/participants/${c.agentId}/replace`;
    await expectError(await call('POST', u, 'bob', { userId: await h.userId('gina') }), 404, 'NOT_FOUND');
    await expectError(await call('POST', u, 'bob', { userId: 'x', queueId: 'y' }), 400, 'VALIDATION_FAILED');
    await expectError(
      await call('POST', u, 'alice', { address: 'sip:1@127.0.0.1' }),
      403,
      'PERMISSION_DENIED',
    );
    await expectError(
      await call('POST', u, undefined, { address: 'sip:1@127.0.0.1' }),
      401,
      'UNAUTHENTICATED',
    );
    await expectError(
      await call('POST', `${conv(globex)}/participants/${globex.agentId}/replace`, 'bob', { address: '1' }),
      404,
      'NOT_FOUND',
    );
    const ok = await call('POST', u, 'bob', { userId: await h.userId('alice') });
    expect(ok.statusCode, ok.body).toBe(202);
    const d = await h.activeCall('5000', 'bob');
    const cu = `${conv(d)}/participants/${d.customerId}/consult`;
    await expectError(
      await call('POST', cu, 'bob', { queueId: await queueId('5000') }),
      400,
      'VALIDATION_FAILED',
    );
    const consult = await call('POST', cu, 'bob', { address: 'sip:+15550199@127.0.0.1' });
    expect(consult.statusCode, consult.body).toBe(202);
  });
});

describe('bad input', () => {
  it('malformed JSON, non-JSON, oversized bodies and unknown routes get catalogued errors', async () => {
    const auth = { authorization: `Bearer ${await h.token('alice')}`, 'content-type': 'application/json' };
    const url = `/api/v2/users/${await h.userId('alice')}/presence`;
    await expectError(
      await h.app.inject({ method: 'PUT', url, headers: auth, payload: '{"presence":' }),
      400,
      'VALIDATION_FAILED',
    );
    await expectError(
      await h.app.inject({
        method: 'PUT',
        url,
        headers: { ...auth, 'content-type': 'text/plain' },
        payload: 'AVAILABLE',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectError(
      await h.app.inject({
        method: 'PUT',
        url,
        headers: auth,
        payload: JSON.stringify({ presence: 'A'.repeat(300_000) }),
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    await expectError(await call('GET', '/api/v2/nope', 'alice'), 404, 'NOT_FOUND');
  });

  it('login: wrong password is UNAUTHENTICATED, then RATE_LIMITED per username; unknown fields are VALIDATION_FAILED', async () => {
    const login = (payload: unknown, ip = '127.0.0.1') =>
      h.app.inject({
        method: 'POST',
        url: '/api/v2/auth/login',
        payload: payload as object,
        remoteAddress: ip,
      });
    await expectError(
      await login({ username: 'alice', password: 'x', admin: true }),
      400,
      'VALIDATION_FAILED',
    );
    for (let i = 0; i < 5; i++)
      await expectError(
        await login({ username: 'alice', password: 'wrong' }, `127.0.0.${10 + i}`),
        401,
        'UNAUTHENTICATED',
      );
    await expectError(
      await login({ username: 'alice', password: 'pw-alice' }, '127.0.0.99'),
      429,
      'RATE_LIMITED',
    );
    h.clock.advance(60_000);
    expect((await login({ username: 'alice', password: 'pw-alice' })).statusCode).toBe(200);
  });

  it('tokens expire', async () => {
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v2/auth/login',
      payload: { username: 'bob', password: 'pw-bob' },
    });
    const token = r.json<{ accessToken: string; expiresIn: number }>();
    expect(token.expiresIn).toBe(3600);
    const me = () =>
      h.app.inject({ url: '/api/v2/users/me', headers: { authorization: `Bearer ${token.accessToken}` } });
    expect((await me()).statusCode).toBe(200);
    h.clock.advance(3600_000);
    await expectError(await me(), 401, 'UNAUTHENTICATED');
  });

  it('/healthz and /metrics', async () => {
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const m = await h.app.inject({ url: '/metrics' });
    expect(m.statusCode).toBe(200);
    expect(m.body).toContain('earshot_http_request_duration_seconds');
  });
});
