/**
 * Earshot composed in-process the way `earshot serve --demo` composes it (store on a temp SQLite file,
 * demo provisioning, media engine, SIP front with the registrar, call control, services, the API
 * listening on a free port), with the demo traffic started against it. `stop()` stops the traffic
 * first (every call BYE'd, phones unregistered), then the server: the order main.ts needs too.
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { DEMO_PROVISIONING } from '../../src/calls/app/demo-provisioning.js';
import { applyProvisioning, type ProvisioningDoc } from '../../src/calls/app/provisioning.js';
import { type AppServices, createAppServices } from '../../src/calls/app/services.js';
import { CallControl } from '../../src/calls/call-control.js';
import { recoverOpenConversations } from '../../src/calls/crash-recovery.js';
import { type SipFront, startSipFront } from '../../src/calls/sip-front.js';
import { type DemoTraffic, type DemoTrafficOptions, startDemoTraffic } from '../../src/demo/demo-traffic.js';
import { MediaEngine } from '../../src/media/media-engine.js';
import { openStore, type Store } from '../../src/store/database.js';
import { SystemClock } from '../../src/util/clock.js';
import { freePorts } from '../support/sip-peers.js';

export const HOST = '127.0.0.1';

/** The demo org with the supervisor's phone made a `sip` one, so a test UA can be the supervisor's phone. */
export const DEMO_WITH_SIP_SUPERVISOR: ProvisioningDoc = {
  ...DEMO_PROVISIONING,
  users: DEMO_PROVISIONING.users.map((u) =>
    u.username === 'supervisor'
      ? { ...u, phone: { kind: 'sip' as const, sipUser: 'supervisor', sipPassword: 'supervisor-phone' } }
      : u,
  ),
};

/** The demo agents' accounts (CONTRACT.md §1: `agent1`…`agent4` / `agent`; SIP password = SIP user). */
export const DEMO_AGENTS = [1, 2, 3, 4].map((i) => ({
  username: `agent${i}`,
  password: 'agent',
  sipUser: `agent${i}`,
  sipPassword: `agent${i}`,
}));

export interface DemoServer {
  readonly url: string;
  readonly sipPort: number;
  readonly store: Store;
  readonly traffic: DemoTraffic;
  readonly calls: CallControl;
  readonly media: MediaEngine;
  stop(): Promise<void>;
}

export async function startDemoServer(o: {
  dbFile: string;
  traffic?: Partial<DemoTrafficOptions>;
}): Promise<DemoServer> {
  const log = pino({ level: process.env.DEMO_TEST_LOG ?? 'silent' });
  const clock = new SystemClock();
  const store = await openStore({ url: o.dbFile });
  await recoverOpenConversations(store.db, clock, log);
  await applyProvisioning(store.db, DEMO_WITH_SIP_SUPERVISOR, HOST, new Date().toISOString(), 1024);
  const [rtpBase] = (await freePorts(1, 64)) as [number];
  const media = await MediaEngine.start({
    host: HOST,
    portRange: [rtpBase, rtpBase + 63],
    workers: 1,
    logger: log,
  });
  const front: SipFront = await startSipFront({ host: HOST, port: 0, db: store.db, clock, logger: log });
  const calls = new CallControl({
    sip: front.ua,
    media,
    location: front.location,
    db: store.db,
    clock,
    logger: log,
    settings: { sipHost: HOST, mediaHost: HOST, ringTimeoutMs: 30_000 },
  });
  const services: AppServices = createAppServices({
    db: store.db,
    clock,
    log,
    monitorCap: 5,
    tokenTtlS: 3600,
    effects: calls,
  });
  calls.attach(services);
  front.ua.onInvite((_req, uas) => calls.handleInvite(uas));
  const app: FastifyInstance = await buildApp({ services, logger: log, sipRealm: HOST });
  const url = await app.listen({ host: HOST, port: 0 });
  const traffic = await startDemoTraffic({
    sip: { host: HOST, port: front.ua.port },
    httpUrl: url,
    queueNumber: '5000',
    trunkSource: HOST,
    agents: DEMO_AGENTS,
    clock,
    logger: log,
    ...o.traffic,
  });
  let stopping: Promise<void> | undefined;
  return {
    url,
    sipPort: front.ua.port,
    store,
    traffic,
    calls,
    media,
    stop() {
      stopping ??= (async () => {
        await traffic.stop();
        await calls.close();
        await media.close();
        await front.close();
        await app.close();
        await services.close();
        await store.close();
      })();
      return stopping;
    },
  };
}
