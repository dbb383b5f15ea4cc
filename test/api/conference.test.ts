import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness } from './fixture.js';

/** `PATCH …/participants/{pid}/consult {"speakTo":"CONFERENCE"}`: the vendor's way to conference a consult. */
let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

async function call(method: 'POST' | 'PATCH', url: string, user: string | undefined, payload?: unknown) {
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

/** alice talks to a customer, consults bob (the customer is held), bob answers. */
async function consulted() {
  const c = await h.activeCall('5000', 'alice');
  const base = `/api/v2/conversations/calls/${c.conversationId}/participants/${c.customerId}/consult`;
  const r = await call('POST', base, 'alice', { userId: await h.userId('bob') });
  expect(r.statusCode, r.body).toBe(202);
  const rec = h.services.conversations.record(c.orgId, c.conversationId);
  const bobId = rec?.consult?.consultedId as string;
  expect(rec?.participants.find((p) => p.id === bobId)).toMatchObject({
    state: 'alerting',
    name: 'Bob Agent',
  });
  await h.services.conversations.apply(c.orgId, c.conversationId, { type: 'answer', participantId: bobId });
  return { ...c, bobId, url: base };
}

describe('PATCH …/participants/{pid}/consult {"speakTo":"CONFERENCE"}', () => {
  it('conferences the consult: 200, customer, consulting agent and consulted agent all connected', async () => {
    const c = await consulted();
    const r = await call('PATCH', c.url, 'alice', { speakTo: 'CONFERENCE' });
    expect(r.statusCode, r.body).toBe(200);
    const states = Object.fromEntries(
      r.json<{ participants: { id: string; state: string }[] }>().participants.map((p) => [p.id, p.state]),
    );
    expect(states[c.customerId]).toBe('connected');
    expect(states[c.agentId]).toBe('connected');
    expect(states[c.bobId]).toBe('connected');
    const tl = await h.app.inject({
      url: `/api/v2/conversations/${c.conversationId}/timeline`,
      headers: { authorization: `Bearer ${await h.token('alice')}` },
    });
    expect(tl.json<{ entities: { type: string }[] }>().entities.map((e) => e.type)).toContain(
      'conference.started',
    );
    // Done: a second conference has no consult to act on.
    await expectError(await call('PATCH', c.url, 'alice', { speakTo: 'CONFERENCE' }), 409, 'INVALID_STATE');
  });

  it('401 without a token, 403 for an agent not in the call, 404 for another org', async () => {
    const c = await consulted();
    await expectError(
      await call('PATCH', c.url, undefined, { speakTo: 'CONFERENCE' }),
      401,
      'UNAUTHENTICATED',
    );
    const d = await h.activeCall('5000', 'alice');
    const other = `/api/v2/conversations/calls/${d.conversationId}/participants/${d.customerId}/consult`;
    await expectError(await call('PATCH', other, 'bob', { speakTo: 'CONFERENCE' }), 403, 'PERMISSION_DENIED');
    await expectError(await call('PATCH', c.url, 'gina', { speakTo: 'CONFERENCE' }), 404, 'NOT_FOUND');
    await expectError(
      await call('PATCH', c.url.replace(c.customerId, 'nobody'), 'alice', { speakTo: 'CONFERENCE' }),
      404,
      'NOT_FOUND',
    );
    // Nothing changed: the customer is still held, bob still in the consult.
    const rec = h.services.conversations.record(c.orgId, c.conversationId);
    expect(rec?.participants.find((p) => p.id === c.customerId)?.state).toBe('held');
    expect(rec?.consult).toBeDefined();
  });

  it('VALIDATION_FAILED: unsupported speakTo values (with a clear message), bad bodies, the wrong participant', async () => {
    const c = await consulted();
    for (const speakTo of ['DESTINATION', 'OBJECT', 'BOTH']) {
      const r = await call('PATCH', c.url, 'alice', { speakTo });
      await expectError(r, 400, 'VALIDATION_FAILED');
      expect(r.json<{ error: { message: string } }>().error.message).toContain('CONFERENCE');
    }
    for (const body of [{}, { speakTo: 'conference' }, { speakTo: 'CONFERENCE', x: 1 }, { speakTo: 1 }]) {
      await expectError(await call('PATCH', c.url, 'alice', body), 400, 'VALIDATION_FAILED');
    }
    await expectError(await call('PATCH', c.url, 'alice'), 400, 'VALIDATION_FAILED');
    // The consult is about the customer: the agent's participant is not its object.
    await expectError(
      await call('PATCH', c.url.replace(c.customerId, c.agentId), 'alice', { speakTo: 'CONFERENCE' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(h.services.conversations.record(c.orgId, c.conversationId)?.consult).toBeDefined();
  });

  it('409 when no consult is in progress', async () => {
    const c = await h.activeCall('5000', 'alice');
    const url = `/api/v2/conversations/calls/${c.conversationId}/participants/${c.customerId}/consult`;
    await expectError(await call('PATCH', url, 'alice', { speakTo: 'CONFERENCE' }), 409, 'INVALID_STATE');
  });
});
