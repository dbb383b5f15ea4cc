import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, harness } from './fixture.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await harness();
  const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = address.replace('http', 'ws');
});
afterAll(async () => {
  await h.close();
});

interface Msg {
  topic?: string;
  eventBody?: { participants: { id: string; purpose: string; state: string }[] };
  error?: { code: string };
  subscribed?: string[];
  unsubscribed?: string[];
}

/** A notifications client that records every message and waits for conditions with a deadline. */
async function client(user: string) {
  const ws = new WebSocket(`${base}/api/v2/notifications?access_token=${await h.token(user)}`);
  const messages: Msg[] = [];
  const raw: string[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (d) => {
    raw.push(String(d));
    messages.push(JSON.parse(String(d)) as Msg);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    messages,
    raw,
    close: () => ws.close(),
    async until(pred: (m: Msg[]) => boolean, what: string, ms = 5000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!pred(messages)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    send: (o: unknown) => ws.send(JSON.stringify(o)),
    async subscribe(topics: string[]) {
      ws.send(JSON.stringify({ subscribe: topics }));
      await this.until((m) => m.some((x) => x.subscribed !== undefined), 'subscription ack');
      return messages.find((x) => x.subscribed)?.subscribed ?? [];
    },
  };
}

describe('notifications (CONTRACT.md §5)', () => {
  it('the agent gets updates while monitored and never a monitor/coach participant; the supervisor sees the monitor come and go', async () => {
    const c = await h.activeCall('5000', 'alice');
    const aliceId = await h.userId('alice');
    const agentTopic = `v2.users.${aliceId}.conversations.calls`;
    const convTopic = `v2.conversations.calls.${c.conversationId}`;
    const alice = await client('alice');
    const sam = await client('sam');
    expect(await alice.subscribe([agentTopic, convTopic])).toEqual([agentTopic, convTopic]);
    expect(await sam.subscribe([convTopic])).toEqual([convTopic]);

    await h.app.inject({
      method: 'PUT',
      url: `/api/v2/users/${await h.userId('sam')}/presence`,
      headers: { authorization: `Bearer ${await h.token('sam')}` },
      payload: { presence: 'AVAILABLE' },
    });
    const start = await h.app.inject({
      method: 'POST',
      url: `/api/v2/conversations/calls/${c.conversationId}/participants/${c.agentId}/monitor`,
      headers: { authorization: `Bearer ${await h.token('sam')}` },
      payload: {},
    });
    const monitorId = start.json<{ participantId: string }>().participantId;
    await h.services.supervision.supervisorAnswered(c.orgId, c.conversationId, monitorId);
    const monitorState = (m: Msg[], state: string) =>
      m.some(
        (x) =>
          x.topic === convTopic &&
          x.eventBody?.participants.some(
            (p) => p.id === monitorId && p.purpose === 'monitor' && p.state === state,
          ),
      );
    await sam.until((m) => monitorState(m, 'connected'), 'the monitor connected');

    // The agent holds and resumes while monitored: both updates reach the agent's topics.
    for (const held of [true, false]) {
      const r = await h.app.inject({
        method: 'PATCH',
        url: `/api/v2/conversations/calls/${c.conversationId}/participants/${c.agentId}`,
        headers: { authorization: `Bearer ${await h.token('alice')}` },
        payload: { held },
      });
      expect(r.statusCode, r.body).toBe(200);
    }
    await alice.until(
      (m) =>
        m.filter(
          (x) =>
            x.topic === agentTopic &&
            x.eventBody?.participants.some((p) => p.purpose === 'customer' && p.state === 'held'),
        ).length >= 1 && m.filter((x) => x.topic === agentTopic).length >= 2,
      'hold and resume on the agent topic',
    );
    const stop = await h.app.inject({
      method: 'PATCH',
      url: `/api/v2/conversations/calls/${c.conversationId}/participants/${monitorId}`,
      headers: { authorization: `Bearer ${await h.token('sam')}` },
      payload: { state: 'disconnected' },
    });
    expect(stop.statusCode, stop.body).toBe(200);
    await sam.until((m) => monitorState(m, 'disconnected'), 'the monitor gone');
    await h.services.conversations.apply(c.orgId, c.conversationId, {
      type: 'disconnect',
      participantId: c.customerId,
    });
    await alice.until(
      (m) =>
        m.some(
          (x) =>
            x.topic === convTopic &&
            x.eventBody?.participants.some((p) => p.purpose === 'customer' && p.state === 'disconnected'),
        ),
      'the customer leaving',
    );

    expect(alice.raw.length).toBeGreaterThan(3);
    for (const r of alice.raw) expect(r).not.toMatch(/monitor|coach/);
    alice.close();
    sam.close();
  });

  it('refuses subscriptions the caller may not see, and unauthenticated sockets', async () => {
    const bob = await client('bob');
    const c = await h.activeCall('5000', 'alice');
    const g = await h.activeCall('6000', 'gina');
    const topics = [
      `v2.users.${await h.userId('alice')}.conversations.calls`,
      `v2.conversations.calls.${c.conversationId}`,
      `v2.conversations.calls.${g.conversationId}`,
      'v2.something.else',
    ];
    expect(await bob.subscribe(topics)).toEqual([]);
    expect(bob.messages.filter((m) => m.error?.code === 'PERMISSION_DENIED')).toHaveLength(4);
    bob.close();
    const ws = new WebSocket(`${base}/api/v2/notifications?access_token=bogus`);
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(4401);
  });

  it('{"unsubscribe":[…]} stops a topic (unknown topics ignored); the others keep flowing', async () => {
    const c = await h.activeCall('5000', 'alice');
    const agentTopic = `v2.users.${await h.userId('alice')}.conversations.calls`;
    const convTopic = `v2.conversations.calls.${c.conversationId}`;
    const alice = await client('alice');
    expect(await alice.subscribe([agentTopic, convTopic])).toEqual([agentTopic, convTopic]);
    alice.send({ unsubscribe: [agentTopic, 'v2.never.subscribed'] });
    await alice.until((m) => m.some((x) => x.unsubscribed), 'unsubscribe ack');
    expect(alice.messages.find((x) => x.unsubscribed)?.unsubscribed).toEqual([
      agentTopic,
      'v2.never.subscribed',
    ]);
    const before = alice.messages.length;
    await h.app.inject({
      method: 'PATCH',
      url: `/api/v2/conversations/calls/${c.conversationId}/participants/${c.agentId}`,
      headers: { authorization: `Bearer ${await h.token('alice')}` },
      payload: { held: true },
    });
    await alice.until(
      (m) => m.slice(before).some((x) => x.topic === convTopic),
      'the hold on the conversation topic',
    );
    // A marker: the server answers in order, so anything for the dropped topic would precede this ack.
    alice.send({ subscribe: [] });
    await alice.until((m) => m.filter((x) => x.subscribed).length >= 2, 'second ack');
    expect(alice.messages.slice(before).filter((x) => x.topic === agentTopic)).toEqual([]);
    alice.send({ unsubscribe: 'nope' });
    await alice.until(
      (m) => m.some((x) => x.error?.code === 'VALIDATION_FAILED'),
      'a malformed message refused',
    );
    alice.close();
  });
});
