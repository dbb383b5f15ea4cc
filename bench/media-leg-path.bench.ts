/**
 * The JavaScript per-packet path of one media worker, without the kernel: CPU ns per packet (in +
 * out) for monitored calls (customer ↔ agent forwarded, a supervisor hearing the pair mix). The
 * real `NativeIo` (sockets bound through the addon) with a fake `drain` that fills its receive
 * buffer with one 172-byte PCMU packet per leg per tick, and a fake `send` that takes everything:
 * drain → leg `onDatagram` → jitter-buffer `push`; mixer `tick` → leg `emit` → send buffer.
 * Needs the addon built (`node scripts/build-native.mjs`). Env: CALLS (default 1000), TICKS per
 * round (default 1500), ROUNDS (default 5). Compare trees with an A/B of runs: the machine is noisy.
 */
import { ipv4ToNumber } from '../src/media/leg-socket.js';
import { Mixer } from '../src/media/mixer.js';
import { NativeIo } from '../src/media/native-io.js';
import { RtpLeg } from '../src/media/rtp-leg.js';
import { RtpView } from '../src/media/rtp-packet.js';
import { loadUdpBatch, type UdpBatchAddon } from '../src/media/udp-batch-addon.js';

const CALLS = Number(process.env.CALLS ?? 1000);
const TICKS = Number(process.env.TICKS ?? 1500);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

const real = loadUdpBatch();
if (real instanceof Error) throw real;

const LOOP = ipv4ToNumber('127.0.0.1');
const PEER_PORT = 9; // never actually sent to (fake send)
/** RTP tokens of the legs' sockets, in leg order; filled after binding. */
const tokens: number[] = [];
let tickSeq = 0;
const PKT = 172;
const frame = new Uint8Array(160);
for (let i = 0; i < 160; i++) frame[i] = (Math.round(Math.sin(i / 3) * 60) + 128) & 0xff;

function fakeDrain(_epfd: number, rx: Uint8Array, slotSize: number, meta: Uint32Array, max: number): number {
  // Called once per round; deliver everything in one call (max ≥ legs).
  const n = Math.min(tokens.length, max);
  const seq = tickSeq & 0xffff;
  const ts = (tickSeq * 160) >>> 0;
  for (let i = 0; i < n; i++) {
    const o = i * slotSize;
    rx[o + 2] = seq >> 8;
    rx[o + 3] = seq & 255;
    rx[o + 4] = ts >>> 24;
    rx[o + 5] = (ts >>> 16) & 255;
    rx[o + 6] = (ts >>> 8) & 255;
    rx[o + 7] = ts & 255;
    const m = i * 6;
    meta[m] = tokens[i]!;
    meta[m + 1] = o;
    meta[m + 2] = PKT;
    meta[m + 3] = LOOP;
    meta[m + 4] = PEER_PORT;
    meta[m + 5] = 0;
  }
  return n;
}

let sentTotal = 0;
let sentBytes = 0;
let check = 0;
const addon: UdpBatchAddon = {
  ...real,
  drain: fakeDrain,
  send(tx: Uint8Array, meta: Uint32Array, count: number): number {
    sentTotal += count;
    // Touch the packets (a cheap checksum of one word of each) so the writes are observable.
    for (let i = 0; i < count; i++) {
      const off = meta[i * 5 + 1]!;
      sentBytes += meta[i * 5 + 2]!;
      check = (check + tx[off + 12]! + tx[off + 3]!) | 0;
    }
    return count;
  },
};

class Host {
  readonly view = new RtpView();
  t = 0;
  now(): number {
    return this.t;
  }
  relayEvent(): void {}
}

const io = new NativeIo(addon, { uring: false, rxSlots: 3 * CALLS + 16, maxRounds: 1 });
const host = new Host();
const mixer = new Mixer();
const legs: RtpLeg[] = [];
for (let c = 0; c < CALLS; c++) {
  const g = `call${c}`;
  const ids = [`${g}c`, `${g}a`, `${g}s`];
  for (const id of ids) {
    const rtp = io.bind('127.0.0.1', 0)!;
    const rtcp = io.bind('127.0.0.1', 0)!;
    const leg = new RtpLeg(
      { id, group: g, codec: 'PCMU', remote: { address: '127.0.0.1', port: PEER_PORT } },
      rtp.port,
      rtp,
      rtcp,
      host,
    );
    tokens.push((rtp as unknown as { token: number }).token);
    legs.push(leg);
    mixer.addLeg(leg);
  }
  mixer.setPlan(g, {
    [ids[0]!]: { hears: [ids[1]!] },
    [ids[1]!]: { hears: [ids[0]!] },
    [ids[2]!]: { hears: [ids[0]!, ids[1]!] },
  });
}
// The receive buffer: one packet per leg (ssrc per leg), payload = frame.
const rx = (io as unknown as { rx: Buffer }).rx;
const slotSize = (io as unknown as { slotSize: number }).slotSize;
for (let i = 0; i < tokens.length; i++) {
  const o = i * slotSize;
  rx[o] = 0x80;
  rx[o + 1] = 0; // PCMU
  rx.writeUInt32BE(0x1000 + i, o + 8);
  rx.set(frame, o + 12);
}

function tick(): void {
  host.t = tickSeq * 20;
  io.drain();
  mixer.tick();
  io.flush();
  tickSeq++;
}

for (let t = 0; t < 400; t++) tick();
const results: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const before = sentTotal;
  const c0 = process.cpuUsage();
  for (let t = 0; t < TICKS; t++) tick();
  const c1 = process.cpuUsage(c0);
  const packets = TICKS * tokens.length + (sentTotal - before);
  results.push(((c1.user + c1.system) * 1000) / packets);
}
const stats = legs[2]!.stats();
const sorted = [...results].sort((a, b) => a - b);
console.log(
  `media leg path, ${CALLS} monitored calls (${tokens.length} legs): ns CPU per packet in or out by round ` +
    `${results.map((x) => Math.round(x)).join(' / ')} (median ${Math.round(sorted[sorted.length >> 1]!)}); ` +
    `${sentTotal / tickSeq} sent per tick, ${sentBytes / sentTotal} bytes each (checksum ${check}); ` +
    `a supervisor leg counted ${stats.packetsOut} packets / ${stats.bytesOut} bytes out`,
);
console.log(
  JSON.stringify({
    bench: 'media-leg-path',
    calls: CALLS,
    nsPerPacket: results.map((x) => Math.round(x)),
    medianNsPerPacket: Math.round(sorted[sorted.length >> 1]!),
  }),
);
io.close();
