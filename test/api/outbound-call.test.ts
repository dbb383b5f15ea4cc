import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NoopCallSideEffects } from '../../src/calls/app/call-side-effects.js';
import { type Harness, harness } from './fixture.js';

/** `POST /api/v2/conversations/calls {"phoneNumber"}`: an agent's outbound call. */
let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

async function post(user: string | undefined, payload?: unknown) {
  return h.app.inject({
    method: 'POST',
    url: '/api/v2/conversations/calls',
    headers: user ? { authorization: `Bearer ${await h.token(user)}` } : {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}
async function expectError(r: { statusCode: number; json: () => unknown }, status: number, code: string) {
  expect(r.statusCode, JSON.stringify(r.json())).toBe(status);
  expect(r.json()).toEqual({ error: { code, message: expect.any(String) } });
}

describe('POST /api/v2/conversations/calls', () => {
  it('201: the agent connected (ringback), the number alerting; call control is asked for both legs', async () => {
    const r = await post('alice', { phoneNumber: '+15550123' });
    expect(r.statusCode, r.body).toBe(201);
    const c = r.json<{ id: string; state: string; participants: Record<string, unknown>[] }>();
    expect(c.state).toBe('active');
    const aliceId = await h.userId('alice');
    expect(c.participants).toEqual([
      expect.objectContaining({ purpose: 'agent', userId: aliceId, state: 'connected' }),
      expect.objectContaining({ purpose: 'customer', address: 'tel:+15550123', state: 'alerting' }),
    ]);
    const agentPid = c.participants[0]?.id;
    expect((h.services.effects as NoopCallSideEffects).calls).toContain(
      `outbound ${c.id} ${agentPid} +15550123`,
    );
    // The agent sees it in their list and its timeline says it is outbound.
    const list = await h.app.inject({
      url: '/api/v2/conversations/calls',
      headers: { authorization: `Bearer ${await h.token('alice')}` },
    });
    expect(list.json<{ entities: { id: string }[] }>().entities.map((e) => e.id)).toContain(c.id);
    const tl = await h.app.inject({
      url: `/api/v2/conversations/${c.id}/timeline`,
      headers: { authorization: `Bearer ${await h.token('alice')}` },
    });
    expect(tl.json<{ entities: { type: string }[] }>().entities[0]?.type).toBe('conversation.started');
  });

  it('401 without a token; 409 NO_SELECTED_PHONE for a user without a phone', async () => {
    await expectError(await post(undefined, { phoneNumber: '+15550123' }), 401, 'UNAUTHENTICATED');
    await expectError(await post('nophone', { phoneNumber: '+15550123' }), 409, 'NO_SELECTED_PHONE');
    expect([...h.services.conversations.records()]).toEqual([]);
  });

  it('VALIDATION_FAILED for a missing or malformed number, or unknown fields; nothing is created', async () => {
    for (const body of [
      undefined,
      {},
      { phoneNumber: '' },
      { phoneNumber: 'sip:x@evil' },
      { phoneNumber: 15550123 },
      { phoneNumber: '+1555', to: 'x' },
    ]) {
      await expectError(await post('alice', body), 400, 'VALIDATION_FAILED');
    }
    expect([...h.services.conversations.records()]).toEqual([]);
  });

  it('another org cannot see the call (404)', async () => {
    const c = (await post('alice', { phoneNumber: '15550123' })).json<{ id: string }>();
    const r = await h.app.inject({
      url: `/api/v2/conversations/calls/${c.id}`,
      headers: { authorization: `Bearer ${await h.token('gina')}` },
    });
    await expectError(r, 404, 'NOT_FOUND');
  });
});
