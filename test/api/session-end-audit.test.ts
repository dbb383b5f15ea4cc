import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/store/audit.repository.js';
import { type Harness, harness } from './fixture.js';

/** Sessions that end by themselves are audited too (from the domain events), once each. */
let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

async function as(user: string, method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown = {}) {
  return h.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await h.token(user)}` },
    payload: payload as object,
  });
}

/** A call on Support answered by alice, monitored by sam (answered). */
async function monitored(mode: 'monitor' | 'coach' = 'monitor') {
  const c = await h.activeCall('5000', 'alice');
  expect(
    (await as('sam', 'PUT', `/api/v2/users/${await h.userId('sam')}/presence`, { presence: 'AVAILABLE' }))
      .statusCode,
  ).toBe(200);
  const r = await as(
    'sam',
    'POST',
    `/api/v2/conversations/calls/${c.conversationId}/participants/${c.agentId}/${mode}`,
  );
  expect(r.statusCode, r.body).toBe(201);
  const sessionId = r.json<{ participantId: string }>().participantId;
  await h.services.supervision.supervisorAnswered(c.orgId, c.conversationId, sessionId);
  return { ...c, sessionId };
}

async function ends(orgId: string) {
  await h.services.sessionAudit.idle();
  return (await listAudit(h.store.db, orgId)).filter((a) => a.outcome === 'ended');
}

describe('audit of sessions ending by themselves', () => {
  it('the target agent leaves: monitor.end, reason target-left, actor the supervisor', async () => {
    const c = await monitored();
    await h.services.conversations.apply(c.orgId, c.conversationId, {
      type: 'disconnect',
      participantId: c.agentId,
    });
    expect(await ends(c.orgId)).toEqual([
      expect.objectContaining({
        action: 'monitor.end',
        outcome: 'ended',
        reason: 'target-left',
        actorUserId: await h.userId('sam'),
        conversationId: c.conversationId,
        participantId: c.sessionId,
        targetParticipantId: c.agentId,
      }),
    ]);
  });

  it('the supervisor hangs up: coach.end, reason supervisor-hung-up', async () => {
    const c = await monitored('coach');
    await h.services.conversations.apply(c.orgId, c.conversationId, {
      type: 'supervision.hung-up',
      participantId: c.sessionId,
    });
    const e = await ends(c.orgId);
    expect(e.map((a) => [a.action, a.reason, a.participantId])).toEqual([
      ['coach.end', 'supervisor-hung-up', c.sessionId],
    ]);
  });

  it('the conversation ends: reason conversation-ended', async () => {
    const c = await monitored();
    await h.services.conversations.apply(c.orgId, c.conversationId, { type: 'conversation.end' });
    const e = await ends(c.orgId);
    expect(e.map((a) => [a.action, a.reason])).toEqual([['monitor.end', 'conversation-ended']]);
  });

  it('a stop or switch through the API is audited once, with its caller (not again from the events)', async () => {
    const c = await monitored();
    const url = `/api/v2/conversations/calls/${c.conversationId}/participants/${c.sessionId}`;
    expect((await as('sam', 'PATCH', url, { mode: 'coach' })).statusCode).toBe(200);
    expect((await as('root', 'PATCH', url, { state: 'disconnected' })).statusCode).toBe(200);
    const e = await ends(c.orgId);
    expect(e.map((a) => [a.action, a.reason, a.actorUserId])).toEqual([
      ['coach.stop', 'stopped', await h.userId('root')],
      ['coach.switch', 'switched', await h.userId('sam')],
    ]);
  });
});
