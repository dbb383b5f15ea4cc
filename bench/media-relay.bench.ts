/**
 * RTP relay benchmark: CPU µs per forwarded packet of one media worker, and the most monitored
 * calls one worker carries at 0 loss.
 *
 * The load comes from a separate process: a small C generator (source below, compiled with `cc -O2`
 * into a temp dir; sendmmsg/recvmmsg so that the generator's own cost stays far below the
 * engine's on this 2-core machine) that sends one 20 ms PCMU packet per leg every 20 ms on
 * loopback and counts what comes back. The engine runs here with `workers: 1`; its CPU is
 * `process.cpuUsage()` of this process over the measurement window (the main thread only waits).
 *
 * Scenarios: two-leg calls (customer ↔ agent, forwarded) at 500 and 1,000 calls; the same with a
 * supervisor leg per call hearing the mix of both (monitored calls: ~300 packets/s each); then
 * monitored calls stepped up until the first loss. Every loop is bounded in count and time.
 * Every scenario runs once per datagram path of the engine (`io`: native batched recvmmsg/sendmmsg
 * addon, then pure-Node dgram), so the two are reported side by side.
 * Env: MEASURE_S (default 4), WARM_S (default 2), STEPS (comma list of monitored-call counts),
 * CALLS (fixed scenarios), IO (comma list of paths, default native,dgram).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MediaEngine } from '../src/media/media-engine.js';

const MEASURE_S = Number(process.env.MEASURE_S ?? 4);
const WARM_S = Number(process.env.WARM_S ?? 2);
const STEPS = (process.env.STEPS ?? '100,200,300,500,750,1000,1500,2000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
/**
 * `native` (io_uring with the receive ring when available), `native-epoll` (io_uring, receives found
 * by epoll: EARSHOT_MEDIA_URING_RX=epoll), `native-syscalls` (recvmmsg/sendmmsg,
 * EARSHOT_MEDIA_URING=0), `dgram`. A mode may repeat (`IO=native,native-epoll,native,native-epoll`):
 * alternating runs in one process are the fairest comparison on a shared machine.
 */
type IoMode = 'native' | 'native-epoll' | 'native-syscalls' | 'dgram';
const IO = (process.env.IO ?? 'native,dgram').split(',') as IoMode[];
/** Call counts of the fixed scenarios (two-leg, then monitored). */
const CALLS = (process.env.CALLS ?? '500,1000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);

/** How the load generator waits for the engine's replies: `sleep` (default) or `poll` (see the C source). */
const GEN_WAIT = process.env.GEN_WAIT === 'poll' ? 'poll' : 'sleep';

const GENERATOR_C = String.raw`/*
 * RTP load generator for bench/media-relay.bench.ts (compiled by the benchmark with cc; not part of
 * the server). One UDP socket on 127.0.0.1; every 20 ms (absolute deadlines) it sends one 20 ms
 * PCMU packet to each engine port read from stdin (one port per line), batched with sendmmsg, and
 * counts what comes back (recvmmsg). Loopback only. Runs for argv[1] seconds (bounded) or until
 * SIGTERM, then prints
 * one JSON line {"sent":…,"received":…,"sendErrors":…,"lateTicks":…,"port":…} to stdout.
 * The port it bound is printed first as {"port":N} so the engine's legs can be told their remote.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#define MAX_LEGS 20000
#define BATCH 256
#define PKT 172

static volatile sig_atomic_t stop = 0;
static void on_term(int sig) { (void)sig; stop = 1; }

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double duration = argc > 1 ? atof(argv[1]) : 10;
  if (duration <= 0 || duration > 600) duration = 10;
  int wait_poll = argc > 2 && strcmp(argv[2], "poll") == 0;
  signal(SIGTERM, on_term);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 4 << 20;
  /* Room for more than a whole tick of replies (3,000+ datagrams of ~1 KiB truesize at 1,000
   * monitored calls) while the generator sleeps between reads: SO_RCVBUFFORCE as root. */
  int big = 64 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = 0};
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0) return perror("bind"), 1;
  socklen_t len = sizeof me;
  getsockname(fd, (struct sockaddr *)&me, &len);
  printf("{\"port\":%d}\n", ntohs(me.sin_port));
  fflush(stdout);

  static struct sockaddr_in dst[MAX_LEGS];
  static uint8_t pkts[MAX_LEGS][PKT];
  int n = 0, port;
  while (n < MAX_LEGS && scanf("%d", &port) == 1 && port > 0) {
    dst[n].sin_family = AF_INET;
    dst[n].sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &dst[n].sin_addr);
    uint8_t *p = pkts[n];
    memset(p, 0, PKT);
    p[0] = 0x80;  /* V=2 */
    p[1] = 0;     /* PT 0 PCMU */
    uint32_t ssrc = htonl(0x10000 + n);
    memcpy(p + 8, &ssrc, 4);
    for (int i = 12; i < PKT; i++) p[i] = (uint8_t)(0x80 ^ (i * 37 + n));
    n++;
  }
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static struct mmsghdr rmsgs[BATCH];
  static struct iovec riov[BATCH];
  static uint8_t rbuf[BATCH][256];
  for (int i = 0; i < BATCH; i++) {
    riov[i].iov_base = rbuf[i];
    riov[i].iov_len = sizeof rbuf[i];
    rmsgs[i].msg_hdr.msg_iov = &riov[i];
    rmsgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0, received = 0, errors = 0, late = 0;
  double start = now_s(), next = start;
  uint32_t tick = 0;
  while (!stop && now_s() - start < duration) {
    /* Send one packet per leg for this tick. */
    uint16_t seq = htons((uint16_t)tick);
    uint32_t ts = htonl(tick * 160);
    for (int base = 0; base < n; base += BATCH) {
      int k = n - base < BATCH ? n - base : BATCH;
      for (int i = 0; i < k; i++) {
        uint8_t *p = pkts[base + i];
        memcpy(p + 2, &seq, 2);
        memcpy(p + 4, &ts, 4);
        iov[i].iov_base = p;
        iov[i].iov_len = PKT;
        msgs[i].msg_hdr.msg_name = &dst[base + i];
        msgs[i].msg_hdr.msg_namelen = sizeof dst[0];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int off = 0, tries = 0;
      while (off < k && tries++ < 100) {
        int r = sendmmsg(fd, msgs + off, k - off, 0);
        if (r < 0) {
          if (errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED) { errors++; continue; }
          break;
        }
        off += r;
      }
      sent += off;
    }
    tick++;
    next += 0.02;
    if (now_s() > next) late++;
    /* Receive until the next deadline. By default without waiting on the socket: read what is
     * queued, then sleep up to 4 ms (never past the deadline) and read again. A reader blocked in
     * poll() would be woken by the engine's sends, and on loopback that wake-up (and the IPI to the
     * other core) is charged to the sender: the engine would pay for its load generator. Mode
     * "poll" (argv[2]) keeps the old blocking wait for comparison. */
    for (int guard = 0; guard < 100000; guard++) {
      double left = next - now_s();
      if (left <= 0 || stop) break;
      int r;
      if (wait_poll) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0) continue;
      }
      while ((r = recvmmsg(fd, rmsgs, BATCH, MSG_DONTWAIT, NULL)) > 0) received += r;
      if (!wait_poll) {
        double nap = left < 0.004 ? left : 0.004;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(nap * 1e9)};
        nanosleep(&ts, NULL);
      }
    }
  }
  /* Drain what is still in flight (bounded: 200 ms). */
  double end = now_s() + 0.2;
  while (now_s() < end) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 20) <= 0) continue;
    int r;
    while ((r = recvmmsg(fd, rmsgs, BATCH, MSG_DONTWAIT, NULL)) > 0) received += r;
  }
  printf("{\"sent\":%llu,\"received\":%llu,\"sendErrors\":%llu,\"lateTicks\":%llu,\"ticks\":%u,\"legs\":%d}\n",
         sent, received, errors, late, tick, n);
  return 0;
}
`;

const dir = mkdtempSync(join(tmpdir(), 'earshot-relay-'));
const generator = join(dir, 'relay-load');
writeFileSync(join(dir, 'relay-load.c'), GENERATOR_C);
execFileSync('cc', ['-O2', '-o', generator, join(dir, 'relay-load.c')], { stdio: 'inherit' });

interface GenResult {
  sent: number;
  received: number;
  sendErrors: number;
  lateTicks: number;
  ticks: number;
  legs: number;
}

interface Totals {
  packetsIn: number;
  packetsOut: number;
  concealed: number;
}

async function totals(engine: MediaEngine): Promise<Totals> {
  const all = await engine.allStats();
  const t = { packetsIn: 0, packetsOut: 0, concealed: 0 };
  for (const s of all) {
    t.packetsIn += s.packetsIn;
    t.packetsOut += s.packetsOut;
    t.concealed += s.concealed;
  }
  return t;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scenario(calls: number, supervisor: boolean, io: IoMode) {
  const legsPerCall = supervisor ? 3 : 2;
  const base = 20000 + 2 * Math.floor(Math.random() * 5000);
  const span = Math.max(200, calls * legsPerCall * 2 + 400);
  // The worker copies process.env when it starts.
  if (io === 'native-syscalls') process.env.EARSHOT_MEDIA_URING = '0';
  else delete process.env.EARSHOT_MEDIA_URING;
  if (io === 'native-epoll') process.env.EARSHOT_MEDIA_URING_RX = 'epoll';
  else delete process.env.EARSHOT_MEDIA_URING_RX;
  const engine = await MediaEngine.start({
    host: '127.0.0.1',
    portRange: [base, base + span],
    workers: 1,
    io: io === 'dgram' ? 'dgram' : 'native',
  });
  const worker0 = (
    (await engine.dump()) as { workers: Array<{ io: string; native?: { engine: string; rx: string } }> }
  ).workers[0]!;
  const actualIo =
    worker0.io !== 'native'
      ? worker0.io
      : worker0.native?.engine === 'syscalls'
        ? 'native-syscalls'
        : worker0.native?.rx === 'epoll'
          ? 'native-epoll'
          : 'native';
  if (actualIo !== io)
    throw new Error(
      `asked for ${io} I/O, the worker runs ${actualIo} (build: node scripts/build-native.mjs)`,
    );
  const duration = 120; // an upper bound: the generator is stopped with SIGTERM
  const gen = spawn(generator, [String(duration), GEN_WAIT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: gen.stdout! })[Symbol.asyncIterator]();
  const first = await Promise.race([lines.next(), delay(5000).then(() => null)]);
  if (!first || first.done) throw new Error('generator did not start');
  const ports: number[] = [];
  const groups: Array<{ g: string; ids: string[] }> = [];
  const eachBatch = async (fn: (x: { g: string; ids: string[] }) => Promise<void>) => {
    for (let c = 0; c < groups.length; c += 100) await Promise.all(groups.slice(c, c + 100).map(fn));
  };
  try {
    for (let k = 0; k < calls; k++) {
      const g = `call${k}`;
      groups.push({ g, ids: supervisor ? [`${g}c`, `${g}a`, `${g}s`] : [`${g}c`, `${g}a`] });
    }
    // Legs and plans first, without a remote: nothing is sent until a leg latches on the
    // generator's first packet, so everything the engine sends arrives while the generator reads.
    await eachBatch(async ({ g, ids }) => {
      for (const id of ids) ports.push((await engine.createLeg({ id, group: g, codec: 'PCMU' })).port);
    });
    await eachBatch(({ g, ids }) =>
      engine.setPlan(g, {
        [ids[0]!]: { hears: [ids[1]!] },
        [ids[1]!]: { hears: [ids[0]!] },
        ...(supervisor ? { [ids[2]!]: { hears: [ids[0]!, ids[1]!] } } : {}),
      }),
    );
    const done = new Promise<GenResult>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('generator did not finish')), (duration + 10) * 1000);
      void lines.next().then((r) => {
        clearTimeout(t);
        if (r.done) reject(new Error('generator exited early'));
        else resolve(JSON.parse(r.value) as GenResult);
      });
    });
    gen.stdin!.end(`${ports.join('\n')}\n`);
    await delay(WARM_S * 1000);
    const d0 = (await engine.dump()) as { workers: Array<{ ticks: number; skippedTicks: number }> };
    const t0 = await totals(engine);
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await delay(MEASURE_S * 1000);
    const cpu = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    const t1 = await totals(engine);
    const d1 = (await engine.dump()) as {
      workers: Array<{ ticks: number; skippedTicks: number; native?: Record<string, number> }>;
    };
    // Stop the engine's output (empty plans), let it land, then stop the generator and let its last
    // packets land: every packet either side sent is then either counted by the other or lost.
    await eachBatch(({ g }) => engine.setPlan(g, {}));
    await delay(300);
    const outEnd = (await totals(engine)).packetsOut;
    gen.kill('SIGTERM');
    const g = await done;
    await delay(300);
    const tEnd = await totals(engine);
    const cpuUs = cpu.user + cpu.system;
    const out = t1.packetsOut - t0.packetsOut;
    const inn = t1.packetsIn - t0.packetsIn;
    const expectedOut = (wall / 20) * ports.length;
    const skipped = d1.workers[0]!.skippedTicks - d0.workers[0]!.skippedTicks;
    const inputLoss = g.sent - tEnd.packetsIn;
    const outputLoss = outEnd - g.received;
    const r = {
      io,
      calls,
      supervisor,
      legs: ports.length,
      pps: Math.round(((inn + out) * 1000) / wall),
      cpuPct: Math.round((cpuUs / 1000 / wall) * 100),
      // Per forwarded packet (one in + one out): meaningful only while the output keeps up.
      cpuUsPerForwardedPacket:
        out > 0.95 * expectedOut ? Number(((2 * cpuUs) / (inn + out)).toFixed(2)) : null,
      outPerSecond: Math.round((out * 1000) / wall),
      expectedOutPerSecond: Math.round((expectedOut * 1000) / wall),
      cpuUsPerPacketHandled: inn + out > 0 ? Number((cpuUs / (inn + out)).toFixed(2)) : null,
      // The split: user time is the JS (and the addon's own work), system time the kernel's sockets.
      userUsPerPacketHandled: inn + out > 0 ? Number((cpu.user / (inn + out)).toFixed(2)) : null,
      systemUsPerPacketHandled: inn + out > 0 ? Number((cpu.system / (inn + out)).toFixed(2)) : null,
      inputLoss,
      inputLossPct: Number(((100 * inputLoss) / Math.max(1, g.sent)).toFixed(3)),
      outputLoss,
      skippedTicks: skipped,
      concealed: t1.concealed - t0.concealed,
      generatorLateTicks: g.lateTicks,
      ticks: d1.workers[0]!.ticks - d0.workers[0]!.ticks,
      native: d1.workers[0]!.native
        ? {
            maxPerDrain: d1.workers[0]!.native.maxPerDrain,
            overloadedDrains: d1.workers[0]!.native.overloadedDrains,
            sendRefused: d1.workers[0]!.native.sendRefused,
          }
        : undefined,
    };
    console.log(
      `[${io}] ${supervisor ? 'monitored' : 'two-leg'} calls ${calls}: ${r.pps} pps, engine CPU ${r.cpuPct}% of a core, ` +
        `${r.cpuUsPerPacketHandled} µs CPU per packet in or out (user ${r.userUsPerPacketHandled}, system ${r.systemUsPerPacketHandled}; ` +
        `per forwarded packet: ${r.cpuUsPerForwardedPacket}), ` +
        `out ${r.outPerSecond}/${r.expectedOutPerSecond} per s, ` +
        `loss in ${r.inputLoss} (${r.inputLossPct}%) out ${r.outputLoss}, skipped ticks ${skipped}, ` +
        `concealed ${r.concealed}, generator late ticks ${g.lateTicks}, ticks ${r.ticks}` +
        (r.native ? `, native ${JSON.stringify(r.native)}` : ''),
    );
    return r;
  } finally {
    gen.kill();
    await engine.close();
  }
}

type Result = Awaited<ReturnType<typeof scenario>>;

/** One I/O path: the fixed scenarios, then monitored calls stepped up to the first loss. */
async function runMode(io: IoMode) {
  const results: Result[] = [];
  for (const calls of CALLS.slice(0, 4)) results.push(await scenario(calls, false, io));
  for (const calls of CALLS.slice(0, 4)) results.push(await scenario(calls, true, io));
  // Capacity: the most monitored calls at 0 loss (stop at the first lossy step).
  let maxMonitoredAtZeroLoss = 0;
  for (const calls of STEPS.slice(0, 8)) {
    const r: Result =
      results.find((x) => x.supervisor && x.calls === calls) ?? (await scenario(calls, true, io));
    if (!results.includes(r)) results.push(r);
    const lossless = r.inputLoss <= 0 && r.outputLoss <= 0 && r.skippedTicks === 0;
    if (!lossless) break;
    maxMonitoredAtZeroLoss = calls;
  }
  const pick = (calls: number, sup: boolean) =>
    results.find((x) => x.calls === calls && x.supervisor === sup)?.cpuUsPerPacketHandled ?? null;
  // Projection from the measured cost of runs whose output kept up (full path: read, mix, send): a
  // monitored call moves ~300 packets/s (150 in, 150 out).
  const monitored = results.filter((x) => x.supervisor && x.cpuUsPerForwardedPacket !== null);
  const usPerPacket = monitored.length
    ? Math.min(...monitored.map((x) => x.cpuUsPerPacketHandled as number))
    : null;
  const projectedPerCore = usPerPacket ? Math.floor(1e6 / (300 * usPerPacket)) : null;
  console.log(
    `[${io}] projected monitored calls per fully available core: ${projectedPerCore} (at ${usPerPacket} µs per packet in or out)`,
  );
  console.log(
    `[${io}] highest monitored calls on one worker at 0 loss: ${maxMonitoredAtZeroLoss} (target >= 1000 per core)`,
  );
  return {
    usPerPacket500: pick(500, false),
    usPerPacket1000: pick(1000, false),
    usPerPacketMonitored500: pick(500, true),
    usPerPacketMonitored1000: pick(1000, true),
    usPerPacketFullPath: usPerPacket,
    maxMonitoredCallsAtZeroLoss: maxMonitoredAtZeroLoss,
    projectedMonitoredCallsPerCore: projectedPerCore,
    scenarios: results,
  };
}

const modes: Record<string, Awaited<ReturnType<typeof runMode>>> = {};
for (const io of IO) modes[io] = await runMode(io);
rmSync(dir, { recursive: true, force: true });
console.log('side by side (µs CPU per packet in or out; monitored calls at 0 loss; projection per core):');
for (const [io, m] of Object.entries(modes)) {
  console.log(
    `  ${io.padEnd(6)} two-leg 500/1000: ${m.usPerPacket500}/${m.usPerPacket1000}  monitored 500/1000: ` +
      `${m.usPerPacketMonitored500}/${m.usPerPacketMonitored1000}  full path: ${m.usPerPacketFullPath}  ` +
      `0-loss monitored: ${m.maxMonitoredCallsAtZeroLoss}  projected/core: ${m.projectedMonitoredCallsPerCore}`,
  );
}
console.log(JSON.stringify({ bench: 'media-relay', ...modes }));
process.exit(0);
