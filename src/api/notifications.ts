import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { agentScoped, toConversationView } from '../calls/app/conversation-view.js';
import type { ConversationChanged } from '../calls/app/notification-bus.js';
import { can, type Principal } from '../calls/app/principal.js';
import type { AppServices } from '../calls/app/services.js';
import { PERMISSIONS } from '../center/index.js';
import { findQueue, listQueueMembers } from '../store/queue.repository.js';
import { viewFor } from './routes-conversations.js';

const USER_TOPIC = /^v2\.users\.([^.]+)\.conversations\.calls$/;
const QUEUE_TOPIC = /^v2\.routing\.queues\.([^.]+)\.conversations\.calls$/;
const CONV_TOPIC = /^v2\.conversations\.calls\.([^.]+)$/;

interface Client {
  readonly socket: WebSocket;
  readonly principal: Principal;
  readonly topics: Set<string>;
}

/**
 * CONTRACT.md §5: `GET /api/v2/notifications?access_token=…`; the client subscribes to topics, each
 * checked against the caller's permissions; the server sends `{"topic","eventBody"}`. User and
 * queue topics (agent-facing) carry the agent-scoped view only: never a monitor or coach (R9), and
 * nothing at all for a change only a supervisor could see.
 */
export function registerNotifications(app: FastifyInstance, svc: AppServices): void {
  const clients = new Set<Client>();
  /** Last agent-scoped JSON sent per conversation: a supervision-only change sends nothing to agents. */
  const lastScoped = new Map<string, string>();

  async function allowed(p: Principal, topic: string): Promise<boolean> {
    let m = USER_TOPIC.exec(topic);
    if (m) return m[1] === p.userId || can(p, PERMISSIONS.analyticsView);
    m = QUEUE_TOPIC.exec(topic);
    if (m) {
      const q = await findQueue(svc.db, p.orgId, m[1] as string);
      if (!q) return false;
      if (can(p, PERMISSIONS.analyticsView)) return true;
      return (await listQueueMembers(svc.db, q.id)).some((x) => x.userId === p.userId);
    }
    m = CONV_TOPIC.exec(topic);
    if (m) {
      const c = await svc.conversations.get(p.orgId, m[1] as string);
      return c !== undefined && viewFor(p, c) !== undefined;
    }
    return false;
  }

  const send = (c: Client, topic: string, eventBody: unknown) => {
    if (c.socket.readyState === c.socket.OPEN) c.socket.send(JSON.stringify({ topic, eventBody }));
  };

  const unsubscribe = svc.bus.subscribe((change: ConversationChanged) => {
    const full = toConversationView(change.conversation, change.queueId);
    const { orgId, ...fullBody } = full;
    const { orgId: _o, ...scoped } = agentScoped(full);
    const scopedJson = JSON.stringify(scoped);
    const scopedChanged = lastScoped.get(full.id) !== scopedJson;
    if (full.state === 'ended') lastScoped.delete(full.id);
    else lastScoped.set(full.id, scopedJson);
    const convTopic = `v2.conversations.calls.${full.id}`;
    for (const c of clients) {
      if (c.principal.orgId !== orgId) continue;
      if (c.topics.has(convTopic)) {
        if (can(c.principal, PERMISSIONS.analyticsView)) send(c, convTopic, fullBody);
        else if (scopedChanged) send(c, convTopic, scoped);
      }
      if (!scopedChanged) continue;
      for (const uid of change.agentUserIds) {
        const t = `v2.users.${uid}.conversations.calls`;
        if (c.topics.has(t)) send(c, t, scoped);
      }
      if (change.queueId) {
        const t = `v2.routing.queues.${change.queueId}.conversations.calls`;
        if (c.topics.has(t)) send(c, t, scoped);
      }
    }
  });
  app.addHook('onClose', async () => {
    unsubscribe();
    for (const c of clients) c.socket.close(1001, 'server closing');
  });

  app.get('/api/v2/notifications', { websocket: true, schema: { hide: true } }, async (socket, req) => {
    const token = (req.query as { access_token?: string }).access_token;
    let principal: Principal;
    try {
      principal = await svc.auth.authenticate(token, req.ip);
    } catch {
      socket.send(
        JSON.stringify({
          error: { code: 'UNAUTHENTICATED', message: 'missing, unknown or expired access token' },
        }),
      );
      socket.close(4401, 'unauthenticated');
      return;
    }
    const client: Client = { socket, principal, topics: new Set() };
    clients.add(client);
    socket.on('close', () => clients.delete(client));
    socket.on('message', async (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        msg = undefined;
      }
      const isTopics = (t: unknown): t is string[] =>
        Array.isArray(t) && t.length <= 100 && t.every((x) => typeof x === 'string');
      const drop = (msg as { unsubscribe?: unknown })?.unsubscribe;
      if (isTopics(drop) && (msg as { subscribe?: unknown }).subscribe === undefined) {
        // The console says so when a page stops listening; unknown topics are ignored.
        for (const t of drop) client.topics.delete(t);
        socket.send(JSON.stringify({ unsubscribed: drop }));
        return;
      }
      const topics = (msg as { subscribe?: unknown })?.subscribe;
      if (!isTopics(topics)) {
        socket.send(
          JSON.stringify({
            error: {
              code: 'VALIDATION_FAILED',
              message: 'expected {"subscribe":[topic, …]} or {"unsubscribe":[topic, …]}',
            },
          }),
        );
        return;
      }
      const accepted: string[] = [];
      for (const t of topics) {
        if (await allowed(principal, t)) {
          client.topics.add(t);
          accepted.push(t);
        } else {
          socket.send(
            JSON.stringify({
              error: { code: 'PERMISSION_DENIED', message: `subscription refused: ${t}` },
              topic: t,
            }),
          );
        }
      }
      socket.send(JSON.stringify({ subscribed: accepted }));
    });
  });
}
