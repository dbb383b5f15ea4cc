import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UserStatusChanged } from '../../src/calls/app/user-status-service.js';
import { findUser } from '../../src/store/user.repository.js';
import { type Harness, harness } from './fixture.js';

/** `PUT …/presence` and `…/routingstatus` go through `UserStatusService`, which announces the change. */
let h: Harness;
let seen: UserStatusChanged[];
beforeEach(async () => {
  h = await harness();
  seen = [];
  h.services.users.onChange((c) => seen.push(c));
});
afterEach(async () => {
  await h.close();
});

async function put(user: string, path: string, payload: object) {
  return h.app.inject({
    method: 'PUT',
    url: `/api/v2/users/${await h.userId(user)}/${path}`,
    headers: { authorization: `Bearer ${await h.token(user)}` },
    payload,
  });
}

describe('presence and routing status changes are announced after they are stored', () => {
  it('routingstatus IDLE and presence AVAILABLE each announce once, with the new value', async () => {
    const id = await h.userId('alice');
    expect((await put('alice', 'routingstatus', { status: 'IDLE' })).statusCode).toBe(200);
    expect((await put('alice', 'presence', { presence: 'AVAILABLE' })).statusCode).toBe(200);
    const orgId = (await h.activeCall('5000', 'bob')).orgId;
    expect(seen).toEqual([
      { orgId, userId: id, routingStatus: 'IDLE' },
      { orgId, userId: id, presence: 'AVAILABLE' },
    ]);
    const u = await findUser(h.store.db, orgId, id);
    expect(u).toMatchObject({ routingStatus: 'IDLE', presence: 'AVAILABLE' });
  });

  it('a refused change (another org, no permission, bad body) announces nothing', async () => {
    const gina = await h.userId('gina');
    const r = await h.app.inject({
      method: 'PUT',
      url: `/api/v2/users/${gina}/routingstatus`,
      headers: { authorization: `Bearer ${await h.token('root')}` },
      payload: { status: 'IDLE' },
    });
    expect(r.statusCode).toBe(404);
    expect((await put('alice', 'routingstatus', { status: 'INTERACTING' })).statusCode).toBe(400);
    const other = await h.app.inject({
      method: 'PUT',
      url: `/api/v2/users/${await h.userId('bob')}/presence`,
      headers: { authorization: `Bearer ${await h.token('alice')}` },
      payload: { presence: 'AVAILABLE' },
    });
    expect(other.statusCode).toBe(403);
    expect(seen).toEqual([]);
  });
});
