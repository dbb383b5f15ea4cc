import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/store/audit.repository.js';
import { setPresence } from '../../src/store/user.repository.js';
import { type Harness, harness } from './fixture.js';

let h: Harness;
beforeEach(async () => {
  h = await harness({ monitorCap: 2 });
});
afterEach(async () => {
  await h.close();
});

async function post(user: string, url: string, payload: unknown = {}) {
  return h.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${await h.token(user)}` },
    payload: payload as object,
  });
}
const sup = (c: { conversationId: string }, pid: string, mode: 'monitor' | 'coach') =>
  `/api/v2/conversations/calls/${c.conversationId}/participants/${pid}/${mode}`;

async function available(...users: string[]) {
  for (const u of users) {
    const r = await h.app.inject({
      method: 'PUT',
      url: `/api/v2/users/${await h.userId(u)}/presence`,
      headers: { authorization: `Bearer ${await h.token(u)}` },
      payload: { presence: 'AVAILABLE' },
    });
    expect(r.statusCode).toBe(200);
  }
}

describe('POST …/monitor and …/coach', () => {
  it('starts a monitor: 201 with the alerting supervisor participant, audited, then answered', async () => {
    const c = await h.activeCall('5000', 'alice');
    await available('sam');
    const r = await post('sam', sup(c, c.agentId, 'monitor'), { reason: 'quality' });
    expect(r.statusCode).toBe(201);
    const body = r.json<{ participantId: string; state: string }>();
    expect(body.state).toBe('alerting');
    await h.services.supervision.supervisorAnswered(c.orgId, c.conversationId, body.participantId);
    const conv = await h.app.inject({
      url: `/api/v2/conversations/calls/${c.conversationId}`,
      headers: { authorization: `Bearer ${await h.token('sam')}` },
    });
    const mon = conv
      .json<{
        participants: { id: string; purpose: string; state: string; monitoredParticipantId?: string }[];
      }>()
      .participants.find((p) => p.id === body.participantId);
    expect(mon).toMatchObject({ purpose: 'monitor', state: 'connected', monitoredParticipantId: c.agentId });
    const audit = await listAudit(h.store.db, c.orgId);
    expect(audit[0]).toMatchObject({
      action: 'monitor.start',
      outcome: 'started',
      actorUserId: await h.userId('sam'),
      sourceAddress: '127.0.0.1',
      reason: 'quality',
    });
    const tl = await h.app.inject({
      url: `/api/v2/conversations/${c.conversationId}/timeline`,
      headers: { authorization: `Bearer ${await h.token('sam')}` },
    });
    expect(tl.json<{ entities: { type: string }[] }>().entities.map((e) => e.type)).toContain(
      'monitor.started',
    );
  });

  it('the agent never sees the monitor: conversation view and timeline are agent-scoped (R9)', async () => {
    const c = await h.activeCall('5000', 'alice');
    await available('sam');
    const r = await post('sam', sup(c, c.customerId, 'monitor'));
    await h.services.supervision.supervisorAnswered(
      c.orgId,
      c.conversationId,
      r.json<{ participantId: string }>().participantId,
    );
    const auth = { authorization: `Bearer ${await h.token('alice')}` };
    const conv = await h.app.inject({
      url: `/api/v2/conversations/calls/${c.conversationId}`,
      headers: auth,
    });
    expect(conv.statusCode).toBe(200);
    expect(conv.body).not.toMatch(/monitor|coach/);
    const list = await h.app.inject({ url: '/api/v2/conversations/calls?state=active', headers: auth });
    expect(list.json<{ entities: unknown[] }>().entities).toHaveLength(1);
    expect(list.body).not.toMatch(/monitor|coach/);
    const tl = await h.app.inject({
      url: `/api/v2/conversations/${c.conversationId}/timeline`,
      headers: auth,
    });
    expect(tl.statusCode).toBe(200);
    expect(tl.body).not.toMatch(/monitor|coach|supervision/);
  });

  it('stops and switches through PATCH on the supervisor participant', async () => {
    const c = await h.activeCall('5000', 'alice');
    await available('sam');
    const pid = (await post('sam', sup(c, c.agentId, 'monitor'))).json<{ participantId: string }>()
      .participantId;
    await h.services.supervision.supervisorAnswered(c.orgId, c.conversationId, pid);
    const auth = { authorization: `Bearer ${await h.token('sam')}` };
    const url = `/api/v2/conversations/calls/${c.conversationId}/participants/${pid}`;
    const sw = await h.app.inject({ method: 'PATCH', url, headers: auth, payload: { mode: 'coach' } });
    expect(sw.statusCode).toBe(200);
    expect(
      sw.json<{ participants: { id: string; purpose: string }[] }>().participants.find((p) => p.id === pid)
        ?.purpose,
    ).toBe('coach');
    const stop = await h.app.inject({
      method: 'PATCH',
      url,
      headers: auth,
      payload: { state: 'disconnected' },
    });
    expect(stop.statusCode).toBe(200);
    expect(
      stop.json<{ participants: { id: string; state: string }[] }>().participants.find((p) => p.id === pid)
        ?.state,
    ).toBe('disconnected');
    const tl = await h.app.inject({
      url: `/api/v2/conversations/${c.conversationId}/timeline`,
      headers: auth,
    });
    const types = tl
      .json<{ entities: { type: string; reason?: string }[] }>()
      .entities.filter((e) => /^(monitor|coach)\./.test(e.type));
    expect(types.map((e) => `${e.type}:${e.reason ?? ''}`)).toEqual([
      'monitor.started:',
      'monitor.ended:switched',
      'coach.started:',
      'coach.ended:stopped',
    ]);
    const audit = await h.app.inject({
      url: '/api/v2/audit/supervision',
      headers: { authorization: `Bearer ${await h.token('root')}` },
    });
    expect(
      audit
        .json<{ entities: { action: string; outcome: string }[] }>()
        .entities.map((a) => `${a.action}/${a.outcome}`),
    ).toEqual(['coach.stop/ended', 'coach.switch/started', 'coach.switch/ended', 'monitor.start/started']);
  });

  describe('refusals (CONTRACT.md §4), each audited with its code and nothing written to the conversation', () => {
    const cases: [
      string,
      number,
      (c: Awaited<ReturnType<Harness['activeCall']>>) => Promise<{ user: string; url: string }>,
    ][] = [
      ['PERMISSION_DENIED', 403, async (c) => ({ user: 'bob', url: sup(c, c.agentId, 'monitor') })],
      [
        'NO_SELECTED_PHONE',
        409,
        async (c) => {
          await available('nophone');
          return { user: 'nophone', url: sup(c, c.agentId, 'monitor') };
        },
      ],
      ['SUPERVISOR_NOT_AVAILABLE', 409, async (c) => ({ user: 'sam', url: sup(c, c.agentId, 'monitor') })],
      [
        'CONVERSATION_NOT_IN_PROGRESS',
        409,
        async (c) => {
          await available('sam');
          await h.services.conversations.apply(c.orgId, c.conversationId, { type: 'conversation.end' });
          return { user: 'sam', url: sup(c, c.agentId, 'monitor') };
        },
      ],
      [
        'TARGET_NOT_SUPERVISABLE',
        409,
        async (c) => {
          await available('sam');
          return { user: 'sam', url: sup(c, c.customerId, 'coach') };
        },
      ],
      [
        'SUPERVISOR_IS_PARTICIPANT',
        409,
        async () => {
          const own = await h.activeCall('5000', 'sam');
          await available('sam');
          return { user: 'sam', url: sup(own, own.customerId, 'monitor') };
        },
      ],
      [
        'SUPERVISOR_BUSY',
        409,
        async (c) => {
          await available('sam');
          const other = await h.activeCall('5000', 'bob');
          expect((await post('sam', sup(other, other.agentId, 'monitor'))).statusCode).toBe(201);
          return { user: 'sam', url: sup(c, c.agentId, 'monitor') };
        },
      ],
      [
        'AGENT_ALREADY_COACHED',
        409,
        async (c) => {
          await available('sam', 'sue');
          expect((await post('sue', sup(c, c.agentId, 'coach'))).statusCode).toBe(201);
          return { user: 'sam', url: sup(c, c.agentId, 'coach') };
        },
      ],
      [
        'MONITOR_LIMIT_REACHED',
        409,
        async (c) => {
          await available('sam', 'sue', 'root');
          expect((await post('sue', sup(c, c.agentId, 'monitor'))).statusCode).toBe(201);
          expect((await post('root', sup(c, c.customerId, 'monitor'))).statusCode).toBe(201);
          return { user: 'sam', url: sup(c, c.agentId, 'monitor') };
        },
      ],
      [
        'NOT_FOUND',
        404,
        async () => {
          await available('sam');
          const g = await h.activeCall('6000', 'gina');
          return { user: 'sam', url: sup(g, g.agentId, 'monitor') };
        },
      ],
    ];
    it.each(cases)('%s → %i', async (code, status, setup) => {
      const c = await h.activeCall('5000', 'alice');
      const { user, url } = await setup(c);
      const cid = url.split('/')[5] as string;
      const orgOfUser = (await h.services.auth.authenticate(await h.token(user), '127.0.0.1')).orgId;
      const before = JSON.stringify(await h.services.conversations.get(orgOfUser, cid));
      const r = await post(user, url);
      expect(r.statusCode).toBe(status);
      expect(r.json()).toEqual({ error: { code, message: expect.any(String) } });
      expect(JSON.stringify(await h.services.conversations.get(orgOfUser, cid))).toBe(before);
      const audit = await listAudit(h.store.db, orgOfUser);
      expect(audit[0]).toMatchObject({ outcome: 'refused', code, actorUserId: await h.userId(user) });
    });
  });
});
