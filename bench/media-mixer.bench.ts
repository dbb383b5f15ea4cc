/**
 * Mixer arithmetic: ns per monitored call per 20 ms tick (customer and agent forwarded to each
 * other, a supervisor hearing the mix of both), and heap bytes allocated per tick (target 0).
 * Sockets are out of the picture: legs are in-memory.
 */
import { Session } from 'node:inspector/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { G711Codec } from '../src/media/g711.js';
import { JitterBuffer } from '../src/media/jitter-buffer.js';
import { Mixer, type MixerLeg } from '../src/media/mixer.js';
import { toneUlaw } from '../test/support/audio.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CALLS = Number(process.env.CALLS ?? 1000);
const TICKS = Number(process.env.TICKS ?? 500);
/** Frames emitted (a count of frames, not bytes: a byte count passes 2^30 and turns into heap numbers). */
let emitted = 0;
class BenchLeg implements MixerLeg {
  readonly jb = new JitterBuffer({ minDepth: 1 });
  readonly codec: G711Codec = 'PCMU';
  seq = 0;
  constructor(
    readonly id: string,
    readonly group: string,
  ) {}
  emit(_p: Uint8Array, _o: number, length: number): void {
    if (length > 0) emitted++;
  }
}

const mixer = new Mixer();
const legs: BenchLeg[] = [];
const frames = [toneUlaw(440, 20), toneUlaw(1000, 20)];
for (let c = 0; c < CALLS; c++) {
  const g = `call${c}`;
  const cust = new BenchLeg(`${g}c`, g);
  const agent = new BenchLeg(`${g}a`, g);
  const sup = new BenchLeg(`${g}s`, g);
  for (const l of [cust, agent, sup]) mixer.addLeg(l);
  legs.push(cust, agent);
  mixer.setPlan(g, {
    [cust.id]: { hears: [agent.id] },
    [agent.id]: { hears: [cust.id] },
    [sup.id]: { hears: [cust.id, agent.id] },
  });
}
function feed(): void {
  for (let i = 0; i < legs.length; i++) {
    const l = legs[i]!;
    l.jb.push(1, l.seq, frames[i & 1]!, 0, 160);
    l.seq = (l.seq + 1) & 0xffff;
  }
}
// Warm up (JIT, plan compile).
for (let t = 0; t < 200; t++) {
  feed();
  mixer.tick();
}
// Wall time per tick (median: robust to this shared machine's preemptions) and CPU time overall.
const perTick = new Float64Array(TICKS);
let tickNs = 0n;
let cpuUs = 0;
for (let t = 0; t < TICKS; t++) {
  feed();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  mixer.tick();
  const dt = process.hrtime.bigint() - t0;
  const c = process.cpuUsage(c0);
  cpuUs += c.user + c.system;
  tickNs += dt;
  perTick[t] = Number(dt);
}
perTick.sort();
const medianNsPerCallTick = perTick[TICKS >> 1]! / CALLS;
const nsPerCallTick = Number(tickNs) / TICKS / CALLS;
const cpuNsPerCallTick = (cpuUs * 1000) / TICKS / CALLS;

// Allocation: heap growth across N ticks with no GC in between (feed allocates nothing either).
// `heapUsed` also moves for reasons that are not the tick's: even a loop that allocates nothing
// shows a sporadic 0–250 KB between gc() and the next reading (seen with 2,000 and 10,000 busy
// iterations alike). A per-tick allocation would show in every window, so the figure is the
// smallest growth over several windows, per tick (the largest is printed too). A first window
// (discarded) compiles the loop itself.
const N = Number(process.env.ALLOC_TICKS ?? 2000);
const WINDOWS = 5;
function allocationWindow(ticks: number): number {
  gc();
  const h0 = process.memoryUsage().heapUsed;
  for (let t = 0; t < ticks; t++) {
    feed();
    mixer.tick();
  }
  return process.memoryUsage().heapUsed - h0;
}
allocationWindow(N);
let minGrowth = Number.POSITIVE_INFINITY;
let maxGrowth = 0;
for (let w = 0; w < WINDOWS; w++) {
  const g = allocationWindow(N);
  minGrowth = Math.min(minGrowth, g);
  maxGrowth = Math.max(maxGrowth, g);
}
const heapGrowthPerTick = Math.max(0, minGrowth / N);

// What the tick itself allocates: V8's sampling heap profiler (one sample per ~64 bytes allocated)
// over N ticks, counting allocations whose stack passes through src/media/ (the mixer, the jitter
// buffer, the kernels): 16 bytes per tick would be ~500 samples here.
interface SamplingNode {
  callFrame: { url: string };
  selfSize: number;
  children: SamplingNode[];
}
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 64 });
for (let t = 0; t < N; t++) {
  feed();
  mixer.tick();
}
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
session.disconnect();
function mediaBytes(node: SamplingNode, inMedia: boolean): number {
  const here = inMedia || node.callFrame.url.includes('/src/media/');
  let sum = here ? node.selfSize : 0;
  for (const c of node.children) sum += mediaBytes(c, here);
  return sum;
}
const bytesPerTick = mediaBytes(profile.head, false) / N;
const stats = mixer.dump().stats as { mixesEncoded: number; framesForwarded: number };
console.log(`calls: ${CALLS} (3 legs each), ticks timed: ${TICKS}`);
console.log(`mixer tick: ${(Number(tickNs) / TICKS / 1e6).toFixed(3)} ms per tick for ${CALLS} calls`);
console.log(
  `ns per monitored call per tick: median ${medianNsPerCallTick.toFixed(0)}, mean ${nsPerCallTick.toFixed(0)}, ` +
    `CPU ${cpuNsPerCallTick.toFixed(0)} (target <= 400)`,
);
console.log(
  `heap bytes allocated per tick by src/media (sampling heap profiler): ${bytesPerTick.toFixed(1)} (target 0)`,
);
console.log(
  `heapUsed growth per ${N}-tick window: min ${minGrowth} B, max ${maxGrowth} B over ${WINDOWS} windows ` +
    `(${heapGrowthPerTick.toFixed(1)} B/tick; not attributed to the tick by the profiler)`,
);
console.log(
  `mixes encoded: ${stats.mixesEncoded}, frames forwarded: ${stats.framesForwarded}, frames emitted: ${emitted}`,
);
console.log(
  JSON.stringify({
    bench: 'media-mixer',
    calls: CALLS,
    nsPerMonitoredCallPerTick: Math.round(medianNsPerCallTick),
    meanNsPerMonitoredCallPerTick: Math.round(nsPerCallTick),
    cpuNsPerMonitoredCallPerTick: Math.round(cpuNsPerCallTick),
    bytesAllocatedPerTick: bytesPerTick,
    heapGrowthPerTick,
  }),
);
