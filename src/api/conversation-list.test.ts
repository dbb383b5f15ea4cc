/**
 * `GET /conversations/calls` writes cached per-conversation JSON: its bytes must be exactly what the
 * route's response schema would serialize (a reference Fastify route with S.ConversationList), for
 * every caller scope and page, and must follow every change of a conversation.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness } from '../../test/api/fixture.js';
import { strip, viewFor } from './routes-conversations.js';
import * as S from './schemas.js';

let h: Harness;
let ref: FastifyInstance;

beforeAll(async () => {
  ref = Fastify();
  ref.post('/ser', { schema: { response: { 200: S.ConversationList } } }, async (req) => req.body);
  await ref.ready();
});
afterAll(async () => {
  await ref.close();
});
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const LIST = '/api/v2/conversations/calls?state=active';
const PAGES = ['', '&pageSize=2', '&pageSize=2&pageNumber=2', '&pageSize=2&pageNumber=3', '&pageSize=100'];
const CALLERS = ['sam', 'alice', 'bob', 'root', 'gus', 'gina'];

async function get(user: string, url: string) {
  return h.app.inject({ url, headers: { authorization: `Bearer ${await h.token(user)}` } });
}

/** What the schema serializer writes for the list `user` may see on that page. */
async function expected(user: string, query: string): Promise<string> {
  const p = await h.services.auth.authenticate(await h.token(user), '127.0.0.1');
  const q = new URLSearchParams(query);
  const pageSize = Number(q.get('pageSize') ?? 25);
  const pageNumber = Number(q.get('pageNumber') ?? 1);
  const visible = [...h.services.conversations.active(p.orgId)].flatMap((c) => viewFor(p, c) ?? []);
  const from = (pageNumber - 1) * pageSize;
  const page = {
    entities: visible.slice(from, from + pageSize).map(strip),
    pageSize,
    pageNumber,
    total: visible.length,
  };
  const r = await ref.inject({ method: 'POST', url: '/ser', payload: page });
  return r.body;
}

async function expectAllListsExact(): Promise<void> {
  for (const user of CALLERS) {
    for (const page of PAGES) {
      const r = await get(user, LIST + page);
      expect(r.statusCode, `${user} ${page}: ${r.body}`).toBe(200);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(r.body, `${user} ${page}`).toBe(await expected(user, page));
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    }
  }
}

describe('GET /conversations/calls (cached serialization)', () => {
  it('answers the exact bytes of the response schema, per caller and page, across changes', async () => {
    const calls = [];
    for (const agent of ['alice', 'bob', 'alice', 'bob', 'alice'])
      calls.push(await h.activeCall('5000', agent));
    await h.activeCall('6000', 'gina');
    await expectAllListsExact();
    // A supervisor joins one of Alice's calls: the supervisor's view gains the monitor participant,
    // the agents' views do not (R9).
    const target = calls[2] as (typeof calls)[number];
    const presence = await h.app.inject({
      method: 'PUT',
      url: `/api/v2/users/${await h.userId('sam')}/presence`,
      headers: { authorization: `Bearer ${await h.token('sam')}` },
      payload: { presence: 'AVAILABLE' },
    });
    expect(presence.statusCode).toBe(200);
    const mon = await h.app.inject({
      method: 'POST',
      url: `/api/v2/conversations/calls/${target.conversationId}/participants/${target.agentId}/monitor`,
      headers: { authorization: `Bearer ${await h.token('sam')}` },
      payload: {},
    });
    expect(mon.statusCode, mon.body).toBe(201);
    const samList = (await get('sam', `${LIST}&pageSize=100`)).json<{
      entities: { id: string; participants: { purpose: string }[] }[];
    }>();
    expect(
      samList.entities.find((c) => c.id === target.conversationId)?.participants.map((x) => x.purpose),
    ).toContain('monitor');
    const aliceList = (await get('alice', `${LIST}&pageSize=100`)).json<{
      entities: { participants: { purpose: string }[] }[];
    }>();
    expect(aliceList.entities.flatMap((c) => c.participants.map((x) => x.purpose))).not.toContain('monitor');
    await expectAllListsExact();
    // The agent of the first call holds the customer, then the second call ends.
    const first = calls[0] as (typeof calls)[number];
    const held = await h.app.inject({
      method: 'PATCH',
      url: `/api/v2/conversations/calls/${first.conversationId}/participants/${first.agentId}`,
      headers: { authorization: `Bearer ${await h.token('alice')}` },
      payload: { held: true },
    });
    expect(held.statusCode, held.body).toBe(200);
    const heldList = (await get('sam', LIST)).json<{
      entities: { id: string; participants: { id: string; held: boolean }[] }[];
    }>();
    expect(
      heldList.entities
        .find((c) => c.id === first.conversationId)
        ?.participants.find((x) => x.id === first.customerId)?.held,
    ).toBe(true);
    await expectAllListsExact();
    const second = calls[1] as (typeof calls)[number];
    for (const participantId of [second.customerId, second.agentId]) {
      const v = await h.services.conversations.get(second.orgId, second.conversationId);
      if (v?.state === 'active')
        await h.services.conversations.apply(second.orgId, second.conversationId, {
          type: 'disconnect',
          participantId,
        });
    }
    const after = (await get('sam', `${LIST}&pageSize=100`)).json<{
      entities: { id: string }[];
      total: number;
    }>();
    expect(after.entities.map((c) => c.id)).not.toContain(second.conversationId);
    expect(after.total).toBe(4);
    await expectAllListsExact();
  });

  it('pages past the end are empty and keep the total', async () => {
    await h.activeCall('5000', 'alice');
    const r = await get('sam', `${LIST}&pageSize=1&pageNumber=7`);
    expect(r.body).toBe('{"entities":[],"pageSize":1,"pageNumber":7,"total":1}');
  });
});
