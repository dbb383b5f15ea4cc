/**
 * Concurrent monitored calls (issue 6 (b)): the most calls Earshot holds at 0 loss, driven by SIPp
 * on loopback, with Earshot's CPU per call.
 *
 * - Earshot runs in a child process (bench/support/calls-bench-server.ts, composed like
 *   test/calls/harness.ts; media engine with one worker per core); its CPU is `/proc/<pid>/stat`.
 * - Agent phones and supervisor phones: one SIPp each that REGISTERs every user (digest) and answers
 *   Earshot's INVITEs on the same socket (out-of-call scenario), echoing RTP (`-rtp_echo`).
 * - Customers: SIPp as the trunk, `rtp_stream` of a µ-law voice looping, one call per customer.
 * - For every call answered by an agent, a supervisor monitors the customer through the API.
 * - A step of n calls is measured over a window once all n are monitored: loss from the media
 *   engine's own per-leg statistics (`allStats`: RFC 3550 lost + late + audible jitter-buffer drops,
 *   and legs that received nothing), plus SIPp's failed calls. Not loss, reported apart: quiet
 *   frames the jitter buffers removed to shorten themselves (`droppedQuiet`) and what they discarded
 *   while nobody heard the leg (`discardedUnheard`: the supervisors' legs while monitoring). Steps
 *   go up until the first loss; the best clean step is then held for MEASURE seconds (default 60),
 *   stepping down if it no longer holds.
 *
 *   npm run bench -- calls-monitored   BENCH_STEPS=10,25,50,75,100,150,200,300 BENCH_STEP_S=10
 *                                      MEASURE=60 (the hold; alias BENCH_FINAL_S) BENCH_RATE=10 (calls/s) BENCH_MAX_S=1500
 *                                      BENCH_LOSS_TOLERANCE=0 (fraction of packets; 0 = strict)
 *                                      BENCH_STOP_LOSS=0.01 (the search stops above this loss)
 */
import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { LegStats } from '../src/media/media-types.js';
import { freePorts } from '../test/support/sip-peers.js';
import { BenchApi, pool } from './support/bench-api.js';
import { BenchServerProcess } from './support/bench-server-process.js';
import { processCpuMs } from './support/proc-cpu.js';
import { SippRun } from './support/sipp-run.js';
import { autoAnswer, customer, registerAndHold, registerLine } from './support/sipp-scenarios.js';

const STEPS = (process.env.BENCH_STEPS ?? '10,25,50,75,100,150,200,300').split(',').map(Number);
const STEP_S = Number(process.env.BENCH_STEP_S ?? 10);
const FINAL_S = Number(process.env.MEASURE ?? process.env.BENCH_FINAL_S ?? 60);
const RATE = Number(process.env.BENCH_RATE ?? 10);
const MAX_S = Number(process.env.BENCH_MAX_S ?? 1500);
const TOLERANCE = Number(process.env.BENCH_LOSS_TOLERANCE ?? 0);
const STOP_LOSS = Number(process.env.BENCH_STOP_LOSS ?? 0.01);
const MAX = Math.max(...STEPS);
const HOST = '127.0.0.1';
const VOICE = join(import.meta.dirname, '..', 'assets', 'voices', 'customer-1.ulaw');
const started = Date.now();

// Everything stops by itself: a watchdog past BENCH_MAX_S kills what this run started and exits 1.
const cleanups: Array<() => Promise<void> | void> = [];
const watchdog = setTimeout(() => {
  console.log(`calls-monitored: over the ${MAX_S} s budget; stopping`);
  void Promise.allSettled(cleanups.map((c) => c())).then(() => process.exit(1));
}, MAX_S * 1000);
watchdog.unref();
// Whatever happens (an exception during set-up included), no process of this run outlives it.
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

// ── the server ──────────────────────────────────────────────────────────────────────────────────
const [rtpBase] = (await freePorts(1, MAX * 6 + 64)) as [number];
const server = await BenchServerProcess.start(MAX, [rtpBase, rtpBase + MAX * 6 + 63]);
children.push(server.child);
cleanups.push(() => server.close());
const { http, sipPort } = server;
const ask = <T>(op: string, ms?: number) => server.ask<T>(op, ms);
const remote = `${HOST}:${sipPort}`;
const api = new BenchApi(http);

/** A bounded condition poll. */
async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>, every = 250): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms)); // a measurement window, not a sync

// ── phones: agents and supervisors register, answer and echo ─────────────────────────────────────
const users = (prefix: string) => Array.from({ length: MAX }, (_, i) => `${prefix}${i + 1}`);
const phones: SippRun[] = [];
for (const prefix of ['a', 's']) {
  const [localPort, mediaPort] = (await freePorts(2, 4)) as [number, number];
  const run = new SippRun({
    name: prefix === 'a' ? 'agents' : 'supervisors',
    scenario: registerAndHold(MAX_S * 1000),
    outOfCall: autoAnswer(),
    injection: `SEQUENTIAL\n${users(prefix)
      .map((u) => registerLine(u, 'sp'))
      .join('\n')}\n`,
    remote,
    localPort,
    mediaPort,
    calls: MAX,
    rate: 100,
    rtpEcho: true,
    timeoutS: MAX_S + 60,
  });
  phones.push(run);
  children.push(run.child);
  cleanups.push(() => run.close());
}
await until('every phone registered', 60_000, async () => {
  const r = await ask<{ agents: number; supervisors: number }>('registered');
  return r.agents === MAX && r.supervisors === MAX ? r : undefined;
});

// ── API: agents on queue (AVAILABLE + IDLE), supervisors AVAILABLE ────────────────────────────────
await pool([...users('a'), ...users('s')], 6, async (u) => {
  await api.login(u, 'pw');
  const me = await api.call<{ id: string }>(u, 'GET', '/users/me');
  const p = await api.call(u, 'PUT', `/users/${me.body.id}/presence`, { presence: 'AVAILABLE' });
  if (p.status !== 200) throw new Error(`presence ${u}: ${p.status}`);
  if (u.startsWith('a')) {
    const r = await api.call(u, 'PUT', `/users/${me.body.id}/routingstatus`, { status: 'IDLE' });
    if (r.status !== 200) throw new Error(`routing ${u}: ${r.status} ${JSON.stringify(r.body)}`);
  }
});
console.log(
  `setup: ${MAX} agents and ${MAX} supervisors registered and available in ${Date.now() - started} ms`,
);
// The server's own CPU with every phone registered and no call: subtracted for the marginal figure.
const idleCpu0 = processCpuMs(server.pid as number);
const idle0 = Date.now();
await pause(5000);
const idleCpuPct = ((processCpuMs(server.pid as number) - idleCpu0) / (Date.now() - idle0)) * 100;
console.log(`idle server (no call): ${idleCpuPct.toFixed(1)}% of a core`);

// ── one step ─────────────────────────────────────────────────────────────────────────────────────
interface Participant {
  id: string;
  purpose: string;
  state: string;
}
interface Conversation {
  id: string;
  participants: Participant[];
}
interface StepResult {
  calls: number;
  holdS: number;
  ok: boolean;
  reason?: string;
  setupMs: number;
  lost: number;
  late: number;
  dropped: number;
  droppedQuiet: number;
  discardedUnheard: number;
  silentLegs: number;
  legs: number;
  packetsIn: number;
  failedCalls: number;
  cpuPct: number;
  cpuMsPerCallSecond: number;
  /** Above the idle server's CPU. */
  marginalMsPerCallSecond: number;
}

function lossOf(before: LegStats[], after: LegStats[]) {
  const prior = new Map(before.map((s) => [s.id, s]));
  let lost = 0;
  let late = 0;
  let dropped = 0;
  let droppedQuiet = 0;
  let discardedUnheard = 0;
  let silentLegs = 0;
  let packetsIn = 0;
  for (const s of after) {
    const b = prior.get(s.id);
    if (!b) continue;
    prior.delete(s.id);
    lost += s.lost - b.lost;
    late += s.late - b.late;
    dropped += s.dropped - b.dropped;
    droppedQuiet += s.droppedQuiet - b.droppedQuiet;
    discardedUnheard += s.discardedUnheard - b.discardedUnheard;
    packetsIn += s.packetsIn - b.packetsIn;
    if (s.packetsIn === b.packetsIn) silentLegs++;
  }
  // A leg gone during the window is a call that ended: counted as silent.
  return {
    lost,
    late,
    dropped,
    droppedQuiet,
    discardedUnheard,
    packetsIn,
    silentLegs: silentLegs + prior.size,
    legs: after.length,
  };
}

async function step(n: number, holdS: number): Promise<StepResult> {
  const setupBudgetS = n / RATE + 15 + n * 0.1;
  const [localPort, mediaPort] = (await freePorts(2, 4)) as [number, number];
  const customers = new SippRun({
    name: `customers-${n}`,
    scenario: customer(VOICE, (setupBudgetS + holdS + 2) * 1000),
    remote,
    localPort,
    mediaPort,
    calls: n,
    rate: RATE,
    service: '5000',
    timeoutS: 2 * setupBudgetS + holdS + 60,
  });
  children.push(customers.child);
  cleanups.push(() => customers.close());
  const t0 = Date.now();
  const monitored = new Set<string>();
  let free = 0;
  const fail = (reason: string, extra: Partial<StepResult> = {}): StepResult => ({
    calls: n,
    holdS,
    ok: false,
    reason,
    setupMs: Date.now() - t0,
    ...{ lost: 0, late: 0, dropped: 0, droppedQuiet: 0, discardedUnheard: 0 },
    ...{ silentLegs: 0, legs: 0, packetsIn: 0, failedCalls: 0 },
    ...{ cpuPct: 0, cpuMsPerCallSecond: 0, marginalMsPerCallSecond: 0 },
    ...extra,
  });
  let result: StepResult;
  try {
    // Monitor every call as soon as its agent is connected; ready when all n monitors are connected.
    await until(
      `${n} monitored calls`,
      setupBudgetS * 1000,
      async () => {
        if (!customers.running) throw new Error(`SIPp customers exited early\n${customers.describe()}`);
        const live = await api.all<Conversation>('s1', '/conversations/calls?state=active');
        const todo = live.filter(
          (c) =>
            !monitored.has(c.id) &&
            c.participants.some((p) => p.purpose === 'agent' && p.state === 'connected'),
        );
        await pool(todo, 4, async (c) => {
          const target = c.participants.find((p) => p.purpose === 'customer');
          if (!target || monitored.has(c.id)) return;
          monitored.add(c.id);
          const sup = `s${++free}`;
          const r = await api.call(
            sup,
            'POST',
            `/conversations/calls/${c.id}/participants/${target.id}/monitor`,
            {},
          );
          if (r.status !== 201)
            throw new Error(`monitor ${c.id} as ${sup}: ${r.status} ${JSON.stringify(r.body)}`);
        });
        const up = (c: Conversation, purpose: string) =>
          c.participants.some((p) => p.purpose === purpose && p.state === 'connected');
        const full = live.filter((c) => up(c, 'customer') && up(c, 'agent') && up(c, 'monitor'));
        return full.length >= n ? full.length : undefined;
      },
      500,
    );
    const setupMs = Date.now() - t0;
    // Let the last legs' jitter buffers settle, then measure the window.
    await pause(1000);
    const stats0 = await ask<LegStats[]>('stats');
    const cpu0 = processCpuMs(server.pid as number);
    const w0 = Date.now();
    await pause(holdS * 1000);
    const stats1 = await ask<LegStats[]>('stats');
    const cpuMs = processCpuMs(server.pid as number) - cpu0;
    const windowS = (Date.now() - w0) / 1000;
    const loss = lossOf(stats0, stats1);
    const exit = await Promise.race([
      customers.exited,
      new Promise<string>((r) => setTimeout(() => r('late'), 2 * setupBudgetS * 1000 + 30_000).unref()),
    ]);
    const failedCalls = customers.stat('FailedCall(C)');
    const successful = customers.stat('SuccessfulCall(C)');
    const cpuPct = (cpuMs / 1000 / windowS) * 100;
    result = {
      calls: n,
      holdS,
      setupMs,
      ...loss,
      failedCalls: Number.isNaN(failedCalls) ? n : failedCalls,
      cpuPct,
      cpuMsPerCallSecond: cpuMs / windowS / n,
      marginalMsPerCallSecond: ((cpuPct - idleCpuPct) * 10) / n,
      ok: false,
    };
    const problems: string[] = [];
    if (loss.legs < 3 * n) problems.push(`${loss.legs} media legs (want ${3 * n})`);
    if (loss.lost + loss.late + loss.dropped > TOLERANCE * loss.packetsIn) problems.push('media loss');
    if (loss.silentLegs > 0) problems.push(`${loss.silentLegs} silent legs`);
    if (exit !== 0 || result.failedCalls > 0 || successful !== n)
      problems.push(`SIPp exit ${exit}, ${successful} ok, ${failedCalls} failed`);
    result.ok = problems.length === 0;
    if (problems.length) result.reason = problems.join('; ');
  } catch (err) {
    result = fail((err as Error).message.split('\n')[0] ?? 'error');
  } finally {
    await customers.close();
  }
  // The next step starts from an idle server.
  await until(
    'the server idle',
    60_000,
    async () => {
      const c = await ask<{ live: number; legs: number }>('counts');
      return c.live === 0 && c.legs === 0 ? c : undefined;
    },
    500,
  ).catch((err: Error) => {
    result.ok = false;
    result.reason = `${result.reason ?? ''}; ${err.message}`;
  });
  return result;
}

const lossRate = (r: StepResult) => (r.lost + r.late + r.dropped) / Math.max(1, r.packetsIn);
const line = (r: StepResult) =>
  `${String(r.calls).padStart(4)} monitored calls × ${r.holdS} s: ${r.ok ? 'OK  ' : 'FAIL'} setup ${(r.setupMs / 1000).toFixed(1)} s, ` +
  `${r.legs} legs, ${r.packetsIn} packets in, lost ${r.lost}, late ${r.late}, dropped ${r.dropped} ` +
  `(${(lossRate(r) * 100).toFixed(3)}%; not loss: quiet frames removed ${r.droppedQuiet}, discarded unheard ${r.discardedUnheard}), silent legs ${r.silentLegs}, ` +
  `failed calls ${r.failedCalls}; server CPU ${r.cpuPct.toFixed(0)}% of a core = ${r.cpuMsPerCallSecond.toFixed(2)} ms per call-second (${r.marginalMsPerCallSecond.toFixed(2)} above idle)` +
  (r.reason ? ` (${r.reason})` : '');

const results: StepResult[] = [];
let best: StepResult | undefined;
try {
  for (const n of STEPS) {
    if ((Date.now() - started) / 1000 > MAX_S * 0.5) break;
    const r = await step(n, STEP_S);
    results.push(r);
    console.log(`step ${line(r)}`);
    if (r.ok) best = r;
    // Keep stepping past small losses (the curve is the information on a shared machine); stop at
    // a failed call, a set-up that did not complete, or more than BENCH_STOP_LOSS of the packets.
    if (r.failedCalls > 0 || r.legs < 3 * r.calls || lossRate(r) > STOP_LOSS) break;
  }
  let final: StepResult | undefined;
  // Hold the best step for FINAL_S; if it no longer holds (the machine is shared), step down. With
  // no clean step, the smallest is held anyway: its CPU per call and loss are still the figures.
  const holds = best ? STEPS.filter((x) => x <= (best as StepResult).calls).reverse() : STEPS.slice(0, 1);
  for (const n of holds) {
    final = await step(n, FINAL_S);
    results.push(final);
    console.log(`hold ${line(final)}`);
    if (final.ok) break;
  }
  const held = final?.ok ? final : undefined;
  const [l1] = loadavg();
  console.log(
    `most monitored calls held ${FINAL_S} s at ${TOLERANCE ? `≤ ${TOLERANCE * 100}%` : '0'} loss: ${held?.calls ?? 0}` +
      (held
        ? `; Earshot CPU ${held.cpuMsPerCallSecond.toFixed(2)} ms per call-second (${(held.cpuMsPerCallSecond / 10).toFixed(2)}% of a core per call; ${held.marginalMsPerCallSecond.toFixed(2)} ms above the idle server)`
        : '') +
      `; load average ${l1?.toFixed(1)} on ${cpus().length} cores`,
  );
  console.log(
    `media engine's own figures (docs/media.md, 2026-11-29): relay 2.1–2.5 µs CPU per packet in or out at 1,000 monitored calls (2.8–3.0 at 500–750) × ~300 packets/s = 0.6–0.9 ms per monitored call-second (RTP I/O included); mixer ~0.4 µs per call per 20 ms tick = 0.02 ms per call-second`,
  );
  console.log(
    JSON.stringify({
      bench: 'calls-monitored',
      calls: held?.calls ?? 0,
      holdSeconds: held?.holdS ?? 0,
      lossTolerance: TOLERANCE,
      finalHold: final
        ? { calls: final.calls, ok: final.ok, lossPct: Number((lossRate(final) * 100).toFixed(3)) }
        : null,
      serverCpuPct: final ? Number(final.cpuPct.toFixed(1)) : null,
      serverCpuMsPerCallSecond: final ? Number(final.cpuMsPerCallSecond.toFixed(3)) : null,
      marginalCpuMsPerCallSecond: final ? Number(final.marginalMsPerCallSecond.toFixed(3)) : null,
      idleServerCpuPct: Number(idleCpuPct.toFixed(1)),
      firstLossAt: results.find((r) => !r.ok)?.calls ?? null,
      steps: results.map((r) => ({
        calls: r.calls,
        holdS: r.holdS,
        ok: r.ok,
        cpuPct: Number(r.cpuPct.toFixed(1)),
        lossPct: Number((lossRate(r) * 100).toFixed(3)),
        droppedQuiet: r.droppedQuiet,
        discardedUnheard: r.discardedUnheard,
      })),
      loadAverage: l1,
    }),
  );
} finally {
  await Promise.allSettled(phones.map((p) => p.close()));
  await server.close();
  clearTimeout(watchdog);
}
