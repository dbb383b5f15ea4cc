/**
 * The real app over a real store (SQLite in memory), two provisioned orgs, logins, and
 * conversations created through the services (customer arrives on a queue, agent answers).
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { applyProvisioning, type ProvisioningDoc } from '../../src/calls/app/provisioning.js';
import { type AppServices, createAppServices } from '../../src/calls/app/services.js';
import { openStore, type Store } from '../../src/store/database.js';
import { findQueueByNumber } from '../../src/store/queue.repository.js';
import { findUserByUsername } from '../../src/store/user.repository.js';
import { FakeClock } from '../../src/util/clock.js';

export const ACME: ProvisioningDoc = {
  org: { name: 'Acme' },
  trunks: [{ name: 'pstn', inbound: { allow: ['127.0.0.1'] }, outbound: { uri: 'sip:127.0.0.1:5080' } }],
  queues: [{ name: 'Support', number: '5000', members: ['alice', 'bob'] }],
  users: [
    {
      username: 'alice',
      name: 'Alice Agent',
      password: 'pw-alice',
      roles: ['agent'],
      phone: { kind: 'sip', sipUser: 'alice', sipPassword: 's1' },
    },
    { username: 'bob', name: 'Bob Agent', password: 'pw-bob', roles: ['agent'], phone: { kind: 'webrtc' } },
    {
      username: 'sam',
      name: 'Sam Supervisor',
      password: 'pw-sam',
      roles: ['supervisor'],
      phone: { kind: 'webrtc' },
    },
    {
      username: 'sue',
      name: 'Sue Supervisor',
      password: 'pw-sue',
      roles: ['supervisor'],
      phone: { kind: 'webrtc' },
    },
    { username: 'nophone', name: 'No Phone', password: 'pw-np', roles: ['supervisor'] },
    {
      username: 'root',
      name: 'Admin',
      password: 'pw-root',
      roles: ['admin'],
      phone: { kind: 'remote', number: '+15550100' },
    },
  ],
};
export const GLOBEX: ProvisioningDoc = {
  org: { name: 'Globex' },
  trunks: [],
  queues: [{ name: 'Sales', number: '6000', members: ['gina'] }],
  users: [
    {
      username: 'gina',
      name: 'Gina Agent',
      password: 'pw-gina',
      roles: ['agent'],
      phone: { kind: 'webrtc' },
    },
    {
      username: 'gus',
      name: 'Gus Supervisor',
      password: 'pw-gus',
      roles: ['supervisor'],
      phone: { kind: 'webrtc' },
    },
    { username: 'groot', name: 'Globex Admin', password: 'pw-groot', roles: ['admin'] },
  ],
};

export interface Harness {
  store: Store;
  services: AppServices;
  app: FastifyInstance;
  clock: FakeClock;
  token(username: string): Promise<string>;
  userId(username: string): Promise<string>;
  /** A customer arrives on the queue `number`; `agent` answers. Returns ids. */
  activeCall(
    number: string,
    agent: string,
  ): Promise<{ conversationId: string; customerId: string; agentId: string; orgId: string }>;
  close(): Promise<void>;
}

export async function harness(
  opts: { monitorCap?: number; url?: string; schema?: string } = {},
): Promise<Harness> {
  const store = await openStore({
    url: opts.url ?? ':memory:',
    ...(opts.schema ? { schema: opts.schema } : {}),
  });
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const logger = pino({ level: 'silent' });
  const iso = new Date(clock.now()).toISOString();
  await applyProvisioning(store.db, ACME, '127.0.0.1', iso, 1024);
  await applyProvisioning(store.db, GLOBEX, '127.0.0.1', iso, 1024);
  const services = createAppServices({
    db: store.db,
    clock,
    log: logger,
    monitorCap: opts.monitorCap ?? 5,
    tokenTtlS: 3600,
  });
  const app = await buildApp({ services, logger, sipRealm: '127.0.0.1' });
  await app.ready();
  const tokens = new Map<string, string>();
  const passwords = new Map([...ACME.users, ...GLOBEX.users].map((u) => [u.username, u.password]));
  const h: Harness = {
    store,
    services,
    app,
    clock,
    async token(username) {
      const cached = tokens.get(username);
      if (cached) return cached;
      const r = await app.inject({
        method: 'POST',
        url: '/api/v2/auth/login',
        payload: { username, password: passwords.get(username) },
      });
      if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.body}`);
      const t = r.json<{ accessToken: string }>().accessToken;
      tokens.set(username, t);
      return t;
    },
    async userId(username) {
      const u = await findUserByUsername(store.db, username);
      if (!u) throw new Error(`no user ${username}`);
      return u.id;
    },
    async activeCall(number, agent) {
      const q = await findQueueByNumber(store.db, number);
      if (!q) throw new Error(`no queue ${number}`);
      const view = await services.conversations.startInbound(q.orgId, q.id, {
        name: 'Customer',
        address: 'sip:+15551234@127.0.0.1',
      });
      const u = await findUserByUsername(store.db, agent);
      if (!u) throw new Error(`no user ${agent}`);
      const offered = await services.conversations.apply(q.orgId, view.id, {
        type: 'offer',
        userId: u.id,
        name: u.name,
      });
      await services.conversations.apply(q.orgId, view.id, {
        type: 'answer',
        participantId: offered.participantId as string,
      });
      const customer = view.participants.find((p) => p.purpose === 'customer');
      return {
        conversationId: view.id,
        customerId: customer?.id as string,
        agentId: offered.participantId as string,
        orgId: q.orgId,
      };
    },
    async close() {
      await app.close();
      await services.close();
      await store.close();
    },
  };
  return h;
}
