/**
 * The Earshot server for bench/calls-monitored.bench.ts, run as a child process (so its CPU, with
 * the media worker threads, is this process's `/proc/<pid>/stat`): composed like
 * test/calls/harness.ts — a temp SQLite store, the application services, the API listening on a
 * free port of 127.0.0.1, call control, the SIP UA (UDP) with the store-backed registrar, and the
 * media engine (one worker per core) on the port range it is given.
 *
 *   node --import tsx bench/support/calls-bench-server.ts <users> <rtpLow> <rtpHigh>
 *
 * Provisions `<users>` agents `a1…aN` (queue 5000) and as many supervisors `s1…sN`, each with a
 * `sip` phone (digest user = username, password `sp`; API password `pw`), and a trunk allowing
 * 127.0.0.1. Talks to the bench over IPC: it sends `{type:'ready', http, sipPort}`, then answers
 * `{id, op}` requests with `{id, result}`: `registered` (how many agents and supervisors have a
 * binding), `stats` (the media engine's `allStats()`), `counts` (live conversations, call-control
 * legs), `close` (graceful shutdown, then exit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { applyProvisioning, type ProvisioningDoc } from '../../src/calls/app/provisioning.js';
import { createAppServices } from '../../src/calls/app/services.js';
import { CallControl } from '../../src/calls/call-control.js';
import { type SipFront, startSipFront } from '../../src/calls/sip-front.js';
import { MediaEngine } from '../../src/media/media-engine.js';
import { openStore } from '../../src/store/database.js';
import { SystemClock } from '../../src/util/clock.js';

const HOST = '127.0.0.1';
const users = Number(process.argv[2] ?? 100);
const rtpRange: [number, number] = [Number(process.argv[3]), Number(process.argv[4])];
if (!process.send) throw new Error('calls-bench-server: run me with an IPC channel');

export function benchOrg(n: number): ProvisioningDoc {
  const sip = (u: string) => ({ kind: 'sip' as const, sipUser: u, sipPassword: 'sp' });
  const agents = Array.from({ length: n }, (_, i) => `a${i + 1}`);
  const supervisors = Array.from({ length: n }, (_, i) => `s${i + 1}`);
  return {
    org: { name: 'Bench' },
    trunks: [{ name: 'pstn', inbound: { allow: [HOST] }, outbound: { uri: `sip:${HOST}:9` } }],
    queues: [{ name: 'Support', number: '5000', members: agents }],
    users: [
      ...agents.map((u) => ({
        username: u,
        name: u,
        password: 'pw',
        roles: ['agent' as const],
        phone: sip(u),
      })),
      ...supervisors.map((u) => ({
        username: u,
        name: u,
        password: 'pw',
        roles: ['supervisor' as const],
        phone: sip(u),
      })),
    ],
  };
}

const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-calls-'));
const log = pino({ level: process.env.EARSHOT_BENCH_LOG ?? 'warn' });
const clock = new SystemClock();
const store = await openStore({ url: join(dir, 'earshot.db') });
await applyProvisioning(store.db, benchOrg(users), HOST, new Date().toISOString(), 1024);
const media = await MediaEngine.start({ host: HOST, portRange: rtpRange, logger: log });
let front: SipFront | undefined;
const calls = new CallControl({
  sip: {
    invite: (target, options) => {
      if (!front) throw new Error('SIP is not started');
      return front.ua.invite(target, options);
    },
  },
  media,
  location: { lookup: (aor) => front?.location.lookup(aor) ?? [] },
  db: store.db,
  clock,
  logger: log,
  settings: { sipHost: HOST, mediaHost: HOST, ringTimeoutMs: 30_000, requeueIntervalMs: 200 },
});
const services = createAppServices({
  db: store.db,
  clock,
  log,
  monitorCap: 5,
  tokenTtlS: 3600,
  effects: calls,
});
calls.attach(services);
const app = await buildApp({ services, logger: log, sipRealm: HOST });
front = await startSipFront({
  host: HOST,
  port: 0,
  transports: ['udp'],
  db: store.db,
  clock,
  logger: log,
  algorithms: ['MD5'],
});
const sipFront = front;
sipFront.ua.onInvite((_req, uas) => calls.handleInvite(uas));
const http = await app.listen({ host: HOST, port: 0 });

let closing: Promise<void> | undefined;
async function close(): Promise<void> {
  closing ??= (async () => {
    await calls.close();
    await sipFront.close();
    await app.close();
    await media.close();
    await services.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  })();
  return closing;
}

function registered(): { agents: number; supervisors: number } {
  let agents = 0;
  let supervisors = 0;
  for (let i = 1; i <= users; i++) {
    if (sipFront.location.lookup(`sip:a${i}@${HOST}`).length > 0) agents++;
    if (sipFront.location.lookup(`sip:s${i}@${HOST}`).length > 0) supervisors++;
  }
  return { agents, supervisors };
}

async function handle(op: string): Promise<unknown> {
  switch (op) {
    case 'registered':
      return registered();
    case 'stats':
      return media.allStats();
    case 'counts':
      await calls.idle();
      return { live: services.conversations.dump().live, legs: calls.dump().legs.length };
    case 'close':
      await close();
      return true;
    default:
      throw new Error(`unknown op ${op}`);
  }
}

process.on('message', (m: { id: number; op: string }) => {
  handle(m.op).then(
    (result) => {
      process.send?.({ id: m.id, result });
      if (m.op === 'close') process.disconnect();
    },
    (err: unknown) => process.send?.({ id: m.id, error: String(err) }),
  );
});
// The bench going away (IPC closed) stops the server too: nothing outlives the run.
process.on('disconnect', () => {
  void close().then(() => process.exit(0));
});
process.send({ type: 'ready', http, sipPort: sipFront.ua.port });
