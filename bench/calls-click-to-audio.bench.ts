/**
 * Click to audio: API request → the first RTP packet reaching the supervisor's phone that carries
 * the customer's tone (monitor start: INVITE, auto-answer, plan), and for an atomic switch
 * monitor → coach: API request → the first packet reaching the agent that carries the supervisor's
 * tone. Real server in-process, baresip phones, times from the loopback capture (pcap timestamps).
 * Targets: p95 ≤ 150 ms (start), ≤ 40 ms (switch). Prints figures, then one JSON line.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Capture } from '../test/calls/capture.js';
import { acme, CallsHarness, HOST, TONES, until } from '../test/calls/harness.js';
import { decodeUlaw, goertzelPower } from '../test/support/audio.js';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 100);

/** Reads a growing classic pcap incrementally; yields (time ms, dst port, RTP payload). */
class PcapTail {
  private offset = 24;
  constructor(private readonly file: string) {}
  read(): { timeMs: number; dstPort: number; payload: Buffer }[] {
    const size = statSync(this.file).size;
    if (size <= this.offset) return [];
    const fd = openSync(this.file, 'r');
    const buf = Buffer.alloc(size - this.offset);
    readSync(fd, buf, 0, buf.length, this.offset);
    closeSync(fd);
    const out: { timeMs: number; dstPort: number; payload: Buffer }[] = [];
    let o = 0;
    while (o + 16 <= buf.length) {
      const len = buf.readUInt32LE(o + 8);
      if (o + 16 + len > buf.length) break;
      const frame = buf.subarray(o + 16, o + 16 + len);
      const timeMs = buf.readUInt32LE(o) * 1000 + buf.readUInt32LE(o + 4) / 1000;
      o += 16 + len;
      const ip = 14;
      if (frame.length < ip + 28 + 12 || frame[ip + 9] !== 17) continue;
      const udp = ip + (frame[ip]! & 0x0f) * 4;
      const rtp = frame.subarray(udp + 8);
      if ((rtp[1]! & 0x7f) !== 0) continue;
      out.push({ timeMs, dstPort: frame.readUInt16BE(udp + 2), payload: rtp.subarray(12) });
    }
    this.offset += o;
    return out;
  }
}

async function firstWithTone(tail: PcapTail, port: number, from: number, freq: number): Promise<number> {
  return until(
    () => {
      for (const p of tail.read()) {
        if (p.dstPort === port && p.timeMs >= from && goertzelPower(decodeUlaw(p.payload), freq) > 0.1)
          return p.timeMs;
      }
      return undefined;
    },
    5000,
    `a packet with ${freq} Hz to ${port}`,
  );
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const h = await CallsHarness.start();
let cap: Capture | undefined;
try {
  await h.provision(acme(9));
  await Promise.all([
    h.phone('alice', TONES.agent, { sipUser: 'alice' }),
    h.phone('sam', TONES.supervisor, { sipUser: 'sam' }),
  ]);
  await h.available('alice', true);
  await h.available('sam');
  cap = await Capture.start(`udp src portrange ${h.rtpRange[0]}-${h.rtpRange[1]}`);
  const tail = new PcapTail(cap.file);
  const customer = await h.phone('customer', TONES.customer);
  await customer.command('dial', `sip:5000@${HOST}:${h.sipPort}`);
  const cid = await h.liveConversationId();
  const agent = await h.participant(cid, (p) => p.purpose === 'agent' && p.state === 'connected', 15_000);
  const agentPort = await h.rtpPortOf(agent.id);
  const start: number[] = [];
  const toCoach: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const t0 = Date.now();
    const r = await h.api<{ participantId: string }>(
      'sam',
      'POST',
      `/conversations/calls/${cid}/participants/${agent.id}/monitor`,
      {},
    );
    if (r.status !== 201) throw new Error(`monitor: ${r.status} ${JSON.stringify(r.body)}`);
    const pid = r.body.participantId;
    const port = await h.rtpPortOf(pid);
    start.push((await firstWithTone(tail, port, t0, TONES.customer)) - t0);
    const t1 = Date.now();
    const sw = await h.api('sam', 'PATCH', `/conversations/calls/${cid}/participants/${pid}`, {
      mode: 'coach',
    });
    if (sw.status !== 200) throw new Error(`switch: ${sw.status}`);
    toCoach.push((await firstWithTone(tail, agentPort, t1, TONES.supervisor)) - t1);
    const stop = await h.api('sam', 'PATCH', `/conversations/calls/${cid}/participants/${pid}`, {
      state: 'disconnected',
    });
    if (stop.status !== 200) throw new Error(`stop: ${stop.status}`);
    await until(
      () => !h.calls.dump().legs.some((l) => (l as { participantId: string }).participantId === pid),
      5000,
      'released',
    );
    tail.read(); // drop what is already captured
  }
  const fig = (xs: number[]) => ({
    p50: +pct(xs, 50).toFixed(1),
    p95: +pct(xs, 95).toFixed(1),
    max: +Math.max(...xs).toFixed(1),
  });
  const s = fig(start);
  const w = fig(toCoach);
  console.log(
    `monitor start → first supervisor packet with the customer tone (${TRIALS} trials): p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms (target p95 ≤ 150)`,
  );
  console.log(
    `atomic switch monitor → coach → first agent packet with the supervisor tone: p50 ${w.p50} ms, p95 ${w.p95} ms, max ${w.max} ms (target p95 ≤ 40)`,
  );
  console.log(JSON.stringify({ bench: 'calls-click-to-audio', trials: TRIALS, startMs: s, switchMs: w }));
} finally {
  await cap?.close();
  await h.close();
}
