/**
 * `GET /api/v2/conversations/calls?state=active` with 1,000 active conversations in the store,
 * driven by autocannon on loopback at 1,000 req/s (target p99 < 20 ms), then unthrottled.
 * The server runs in a child process (this file with `server`), so the load generator does not
 * share its event loop; it logs like production (pino at `info`, to /dev/null here). Besides
 * autocannon's figures the bench prints the server's CPU time per request (user + system, from
 * `process.cpuUsage()` in the server around each run): on a shared 2-core machine it moves far less
 * with the load than the latency does.
 *
 * `EARSHOT_BENCH_SERVER_FLAGS` adds node flags to the server child, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` (a profile written at its clean exit) or `--trace-gc`.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/api/app.js';
import { applyProvisioning } from '../src/calls/app/provisioning.js';
import { createAppServices } from '../src/calls/app/services.js';
import { openStore } from '../src/store/database.js';
import { findQueueByNumber } from '../src/store/queue.repository.js';
import { findUserByUsername } from '../src/store/user.repository.js';
import { SystemClock } from '../src/util/clock.js';

const CONVERSATIONS = 1000;

/** The part of autocannon's API used here (the package ships no types). */
interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
interface Options {
  url: string;
  headers: Record<string, string>;
  connections: number;
  duration: number;
  overallRate?: number;
}
const autocannonModule: string = 'autocannon';
const autocannon = (await import(autocannonModule)).default as (
  o: Options,
  cb: (err: Error | null, r: Result) => void,
) => void;

async function server(dbFile: string): Promise<void> {
  const store = await openStore({ url: dbFile });
  const clock = new SystemClock();
  const logger = pino({ level: 'info', base: { app: 'earshot' } }, pino.destination('/dev/null'));
  const users = Array.from({ length: 20 }, (_, i) => ({
    username: `agent${i}`,
    name: `Agent ${i}`,
    password: 'agent',
    roles: ['agent' as const],
  }));
  await applyProvisioning(
    store.db,
    {
      org: { name: 'Bench' },
      trunks: [],
      queues: [{ name: 'Support', number: '5000', members: users.map((u) => u.username) }],
      users: [...users, { username: 'sup', name: 'Sup', password: 'sup', roles: ['supervisor'] }],
    },
    '127.0.0.1',
    new Date().toISOString(),
  );
  const services = createAppServices({ db: store.db, clock, log: logger, monitorCap: 5, tokenTtlS: 3600 });
  const q = await findQueueByNumber(store.db, '5000');
  if (!q) throw new Error('no queue');
  const t0 = performance.now();
  for (let i = 0; i < CONVERSATIONS; i++) {
    const v = await services.conversations.startInbound(q.orgId, q.id, {
      name: `Customer ${i}`,
      address: `sip:+1555${i}@127.0.0.1`,
    });
    const u = await findUserByUsername(store.db, `agent${i % 20}`);
    const d = await services.conversations.apply(q.orgId, v.id, {
      type: 'offer',
      userId: u?.id as string,
      name: u?.name as string,
    });
    await services.conversations.apply(q.orgId, v.id, {
      type: 'answer',
      participantId: d.participantId as string,
    });
  }
  const setupMs = performance.now() - t0;
  const app = await buildApp({ services, logger, sipRealm: '127.0.0.1' });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const { accessToken } = await services.auth.login('sup', 'sup', '127.0.0.1');
  process.send?.({ address, accessToken, setupMs });
  process.on('message', async (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ user: u.user, system: u.system });
      return;
    }
    await app.close();
    await services.close();
    await store.close();
    process.exit(0);
  });
}

function run(opts: Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-'));
  const child = fork(import.meta.filename, ['server', join(dir, 'bench.db')], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.EARSHOT_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
    ],
  });
  /** The server's CPU time so far (µs). */
  const serverCpu = () =>
    new Promise<{ user: number; system: number }>((resolve) => {
      child.once('message', (m) => resolve(m as { user: number; system: number }));
      child.send('cpu');
    });
  /** One autocannon run and the server CPU it cost per request. */
  const measured = async (o: Options) => {
    const before = await serverCpu();
    const r = await run(o);
    const after = await serverCpu();
    const n = Math.max(1, r.requests.total);
    const userUs = (after.user - before.user) / n;
    const systemUs = (after.system - before.system) / n;
    return { ...r, cpuUsPerReq: userUs + systemUs, userUs, systemUs };
  };
  const ready = await new Promise<{ address: string; accessToken: string; setupMs: number }>(
    (resolve, reject) => {
      child.once('message', (m) => resolve(m as { address: string; accessToken: string; setupMs: number }));
      child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    },
  );
  const url = `${ready.address}/api/v2/conversations/calls?state=active`;
  const headers = { authorization: `Bearer ${ready.accessToken}` };
  const check = await fetch(url, { headers });
  const body = (await check.json()) as { total: number; entities: unknown[] };
  if (check.status !== 200 || body.total !== CONVERSATIONS)
    throw new Error(`unexpected answer ${check.status} total=${body.total}`);
  console.log(
    `setup: ${CONVERSATIONS} active conversations persisted in ${ready.setupMs.toFixed(0)} ms; page of ${body.entities.length}`,
  );
  await run({ url, headers, connections: 10, duration: 2 }); // warm-up
  const paced = await measured({ url, headers, connections: 20, duration: 10, overallRate: 1000 });
  const open = await measured({ url, headers, connections: 20, duration: 10 });
  const fmt = (r: Result & { cpuUsPerReq: number; userUs: number; systemUs: number }) =>
    `${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors + r.non2xx}, server CPU ${r.cpuUsPerReq.toFixed(0)} µs/request (user ${r.userUs.toFixed(0)}, system ${r.systemUs.toFixed(0)})`;
  console.log(`paced at 1000 req/s: ${fmt(paced)}`);
  console.log(`unthrottled:         ${fmt(open)}`);
  console.log(
    `load average: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      bench: 'api-conversations',
      conversations: CONVERSATIONS,
      paced_rps: Math.round(paced.requests.average),
      paced_p99_ms: paced.latency.p99,
      paced_errors: paced.errors + paced.non2xx,
      paced_server_cpu_us_per_req: Math.round(paced.cpuUsPerReq),
      max_rps: Math.round(open.requests.average),
      max_p99_ms: open.latency.p99,
      max_server_cpu_us_per_req: Math.round(open.cpuUsPerReq),
      target_p99_ms: 20,
      pass: paced.latency.p99 < 20 && paced.requests.average >= 950,
    }),
  );
}

if (process.argv[2] === 'server') await server(process.argv[3] as string);
else await main();
