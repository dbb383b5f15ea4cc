import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisioningDoc } from '../../src/calls/app/provisioning.js';
import { findOrg } from '../../src/store/org.repository.js';
import { listTrunks } from '../../src/store/trunk.repository.js';
import { ACME, type Harness, harness } from './fixture.js';

/**
 * Trunk credentials and caller ID through the admin endpoints (issue #6 follow-up):
 * `POST /admin/provisioning` takes `trunks[].outbound.{username,password,callerId}`,
 * `GET /telephony/trunks` lists trunks and never a password.
 */
let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

const PASSWORD = 'api-trunk-pw-5';
const URI_PASSWORD = 'uri-pw-1';
const withTrunk = (outbound: Record<string, unknown> & { uri: string }): ProvisioningDoc =>
  ({
    ...ACME,
    trunks: [{ name: 'pstn', inbound: { allow: ['127.0.0.1'] }, outbound }],
  }) as unknown as ProvisioningDoc;

async function call(method: 'GET' | 'POST', url: string, user: string | undefined, payload?: unknown) {
  const headers: Record<string, string> = {};
  if (user) headers.authorization = `Bearer ${await h.token(user)}`;
  return h.app.inject({
    method,
    url: `/api/v2${url}`,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

describe('trunk credentials and caller ID via the admin endpoints', () => {
  it('provisions username, password and callerId (twice: nothing changes); the password is never returned', async () => {
    const doc = withTrunk({
      uri: `sip:stale:${URI_PASSWORD}@127.0.0.1:5080`,
      username: 'acct-7',
      password: PASSWORD,
      callerId: '+15550199',
    });
    const first = await call('POST', '/admin/provisioning', 'root', doc);
    expect(first.statusCode).toBe(200);
    const { orgId } = first.json<{ orgId: string }>();
    expect((await findOrg(h.store.db, orgId))?.name).toBe('Acme');
    const stored = await listTrunks(h.store.db, orgId);
    expect(stored.map(({ id: _, orgId: _o, ...t }) => t)).toEqual([
      {
        name: 'pstn',
        inboundAllow: ['127.0.0.1'],
        outboundUri: `sip:stale:${URI_PASSWORD}@127.0.0.1:5080`,
        outboundUsername: 'acct-7',
        outboundPassword: PASSWORD,
        callerId: '+15550199',
      },
    ]);
    const second = await call('POST', '/admin/provisioning', 'root', doc);
    expect(second.json()).toEqual(first.json());
    expect(await listTrunks(h.store.db, orgId)).toEqual(stored);

    const list = await call('GET', '/telephony/trunks', 'root');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      entities: [
        {
          id: stored[0]!.id,
          name: 'pstn',
          inboundAllow: ['127.0.0.1'],
          outbound: {
            uri: 'sip:stale@127.0.0.1:5080',
            username: 'acct-7',
            callerId: '+15550199',
            hasPassword: true,
          },
        },
      ],
    });
    for (const r of [first, second, list]) {
      expect(r.body).not.toContain(PASSWORD);
      expect(r.body).not.toContain(URI_PASSWORD);
    }
    // Another org's admin sees only theirs (Globex has no trunk).
    expect((await call('GET', '/telephony/trunks', 'groot')).json()).toEqual({ entities: [] });
  });

  it('a bad callerId is VALIDATION_FAILED; credentials are checked by the provisioning rules', async () => {
    const bad = await call(
      'POST',
      '/admin/provisioning',
      'root',
      withTrunk({ uri: 'sip:127.0.0.1:5080', username: 'u', password: PASSWORD, callerId: 'Bob <sip:b>' }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('callerId') },
    });
    expect(bad.body).not.toContain(PASSWORD);
    const lone = await call(
      'POST',
      '/admin/provisioning',
      'root',
      withTrunk({ uri: 'sip:127.0.0.1:5080', password: PASSWORD }),
    );
    expect(lone.statusCode).toBe(400);
    expect(lone.json()).toEqual({
      error: {
        code: 'PROVISIONING_INVALID',
        message: 'body: trunks[0].outbound.username: username and password go together',
      },
    });
  });

  it('GET /telephony/trunks: 401 without a token, 403 without admin:provision, 400 with a query', async () => {
    expect((await call('GET', '/telephony/trunks', undefined)).statusCode).toBe(401);
    expect((await call('GET', '/telephony/trunks', 'sam')).statusCode).toBe(403);
    expect((await call('GET', '/telephony/trunks?x=1', 'root')).json().error.code).toBe('VALIDATION_FAILED');
  });

  it('the OpenAPI document marks the password write-only and carries no secret', async () => {
    const r = await h.app.inject({ url: '/api/v2/openapi.json' });
    expect(r.body).not.toContain(PASSWORD);
    expect(r.body).toContain('"writeOnly":true');
    expect(r.body).toContain('/telephony/trunks');
  });
});
