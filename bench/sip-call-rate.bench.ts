/**
 * SIPp call rate against a minimal Earshot UAS (answers every INVITE 200 with SDP, takes the
 * caller's BYE): `sipp -sn uac` (INVITE → 100/180 → 200 → ACK → BYE → 200). Searches rates in
 * short steps, then holds the best rate with no failed call for 30 s, and reports the server's CPU
 * per call (this process is the server; SIPp runs in its own process).
 *
 *   npm run bench -- sip-call-rate          BENCH_HOLD_S=30 (default), BENCH_STEP_S=5
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipUserAgent } from '../src/sip/ua/sip-user-agent.js';

const HOLD_S = Number(process.env.BENCH_HOLD_S ?? 30);
const STEP_S = Number(process.env.BENCH_STEP_S ?? 5);
const RATES = (process.env.BENCH_RATES ?? '100,250,500,750,1000,1500,2000').split(',').map(Number);
const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface StepResult {
  rate: number;
  seconds: number;
  successful: number;
  failed: number;
  serverCpuMs: number;
  exitCode: number | null;
}

async function runSipp(uaPort: number, rate: number, seconds: number): Promise<StepResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const total = rate * seconds;
  const args = [
    '-sn',
    'uac',
    `127.0.0.1:${uaPort}`,
    '-i',
    '127.0.0.1',
    '-mi',
    '127.0.0.1',
    '-p',
    String(await freeUdpPort()),
    '-r',
    String(rate),
    '-m',
    String(total),
    '-l',
    String(Math.max(100, rate * 4)),
    '-d',
    '0',
    '-nostdin',
    '-trace_stat',
    '-stf',
    join(dir, 'stat.csv'),
    '-fd',
    '1',
    '-timeout',
    `${seconds + 20}s`,
    '-timeout_error',
    '-trace_err',
    '-error_file',
    join(dir, 'err.log'),
  ].filter((a) => a.length);
  const cpu0 = process.cpuUsage();
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const exitCode: number | null = await new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const cpu = process.cpuUsage(cpu0);
  const csv = readdirSync(dir).find((f) => f.endsWith('.csv'));
  let successful = 0;
  let failed = total;
  if (csv) {
    const lines = readFileSync(join(dir, csv), 'utf8').trim().split('\n');
    const head = (lines[0] ?? '').split(';');
    const last = (lines[lines.length - 1] ?? '').split(';');
    successful = Number(last[head.indexOf('SuccessfulCall(C)')] ?? 0);
    failed = Number(last[head.indexOf('FailedCall(C)')] ?? total);
  }
  return { rate, seconds, successful, failed, serverCpuMs: (cpu.user + cpu.system) / 1000, exitCode };
}

const ua = await SipUserAgent.start({ host: '127.0.0.1', port: 0, transports: ['udp'] });
ua.onInvite((_req, call) => {
  call.answer(SDP).catch(() => undefined);
});

const line = (r: StepResult) =>
  `${String(r.rate).padStart(5)} calls/s × ${r.seconds}s: ${r.successful} ok, ${r.failed} failed, server CPU ${(r.serverCpuMs / Math.max(1, r.successful)).toFixed(3)} ms/call (${((r.serverCpuMs / 1000 / r.seconds) * 100).toFixed(0)}% of a core)`;

let best: StepResult | undefined;
for (const rate of RATES) {
  const r = await runSipp(ua.port, rate, STEP_S);
  console.log(`step ${line(r)}`);
  if (r.failed > 0 || r.successful < rate * STEP_S) break;
  best = r;
}
let hold: StepResult | undefined;
if (best) {
  // Hold the best rate; if it fails now (the machine is shared), step down until a rate holds.
  for (const rate of RATES.filter((x) => x <= (best as StepResult).rate).reverse()) {
    hold = await runSipp(ua.port, rate, HOLD_S);
    console.log(`hold ${line(hold)}`);
    if (hold.failed === 0 && hold.successful === rate * HOLD_S) break;
  }
}
await ua.close();
const ok = hold && hold.failed === 0 && hold.successful === hold.rate * hold.seconds;
const [l1] = loadavg();
console.log(
  `target: >= 500 calls/s with 0 failed for 30 s; SIPp saturates near 2,500 calls/s here; load average ${l1?.toFixed(1)} on ${cpus().length} cores`,
);
console.log(
  JSON.stringify({
    bench: 'sip-call-rate',
    callsPerSec: ok ? hold?.rate : 0,
    holdSeconds: hold?.seconds ?? 0,
    failedCalls: hold?.failed ?? null,
    serverCpuMsPerCall: ok && hold ? Number((hold.serverCpuMs / hold.successful).toFixed(4)) : null,
    target: 500,
    loadAverage: l1,
  }),
);
