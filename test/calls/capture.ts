/**
 * A loopback capture (tcpdump) as the ground truth of who heard whom (TESTING.md): RTP is decoded
 * by UDP destination port — the endpoint's RTP port — and windows are analysed with Goertzel.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CapturedRtp,
  decodeAlaw,
  decodePcapRtp,
  decodeUlaw,
  goertzelPower,
  toneDbfs,
} from '../support/audio.js';

export class Capture {
  private constructor(
    private readonly child: ChildProcess,
    readonly file: string,
    private readonly dir: string,
  ) {}

  /** Starts tcpdump on lo for `filter` and resolves once it listens. */
  static async start(filter: string): Promise<Capture> {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-cap-'));
    const file = join(dir, 'cap.pcap');
    const child = spawn('tcpdump', ['-i', 'lo', '-U', '-s', '0', '-w', file, ...filter.split(' ')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 5000);
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`tcpdump exited ${code}: ${err}`));
      });
    });
    return new Capture(child, file, dir);
  }

  /** Packets received at `dstPort` captured so far. */
  packets(dstPort: number): CapturedRtp[] {
    try {
      return decodePcapRtp(readFileSync(this.file), { dstPort });
    } catch {
      return [];
    }
  }

  /**
   * Waits (polling the capture file, bounded by `ms`) until `count` packets to `dstPort` with
   * capture time ≥ `fromMs` are in the capture; returns them.
   */
  async waitPackets(dstPort: number, fromMs: number, count: number, ms = 8000): Promise<CapturedRtp[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const got = this.packets(dstPort).filter((p) => p.timeMs >= fromMs && p.payloadType !== 101);
      if (got.length >= count) return got.slice(0, count);
      if (Date.now() > deadline) {
        throw new Error(`capture: only ${got.length}/${count} packets to port ${dstPort} since ${fromMs}`);
      }
      await new Promise((r) => setTimeout(r, 50)); // waiting on a condition (file growth), bounded above
    }
  }

  /** What the endpoint at `dstPort` heard over `count` packets from `fromMs`: per-frequency power and level. */
  async heard(dstPort: number, fromMs: number, freqs: readonly number[], count = 50): Promise<Hearing> {
    const pkts = await this.waitPackets(dstPort, fromMs, count);
    return analyse(pkts, freqs);
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Hearing {
  /** Fraction of the window's energy at each frequency. */
  readonly power: Record<number, number>;
  /** Level of each frequency in dBFS. */
  readonly dbfs: Record<number, number>;
  readonly packets: number;
  readonly firstMs: number;
  readonly lastMs: number;
  /** The largest gap between consecutive packets (ms). */
  readonly maxGapMs: number;
}

export function analyse(pkts: readonly CapturedRtp[], freqs: readonly number[]): Hearing {
  const parts = pkts.map((p) => (p.payloadType === 8 ? decodeAlaw(p.payload) : decodeUlaw(p.payload)));
  const n = parts.reduce((a, b) => a + b.length, 0);
  const samples = new Int16Array(n);
  let o = 0;
  for (const part of parts) {
    samples.set(part, o);
    o += part.length;
  }
  const power: Record<number, number> = {};
  const dbfs: Record<number, number> = {};
  for (const f of freqs) {
    power[f] = goertzelPower(samples, f);
    dbfs[f] = toneDbfs(samples, f);
  }
  let maxGapMs = 0;
  for (let i = 1; i < pkts.length; i++) maxGapMs = Math.max(maxGapMs, pkts[i]!.timeMs - pkts[i - 1]!.timeMs);
  return {
    power,
    dbfs,
    packets: pkts.length,
    firstMs: pkts[0]?.timeMs ?? 0,
    lastMs: pkts.at(-1)?.timeMs ?? 0,
    maxGapMs,
  };
}

/** One UDP datagram of a capture, as text (SIP). */
export interface CapturedDatagram {
  timeMs: number;
  srcPort: number;
  dstPort: number;
  text: string;
}

/** Every UDP datagram of a classic pcap (Ethernet or raw IPv4 link), decoded as text. */
export function udpDatagrams(buf: Buffer): CapturedDatagram[] {
  if (buf.length < 24) return [];
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  const nano = buf.readUInt32LE(0) === 0xa1b23c4d || buf.readUInt32BE(0) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20);
  const ipAt = link === 1 ? 14 : link === 113 ? 16 : link === 0 ? 4 : 0;
  const out: CapturedDatagram[] = [];
  let o = 24;
  while (o + 16 <= buf.length) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const len = u32(o + 8);
    const frame = buf.subarray(o + 16, o + 16 + len);
    o += 16 + len;
    if (frame.length < ipAt + 28 || frame[ipAt]! >> 4 !== 4 || frame[ipAt + 9] !== 17) continue;
    const udp = ipAt + (frame[ipAt]! & 0x0f) * 4;
    out.push({
      timeMs: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3),
      srcPort: frame.readUInt16BE(udp),
      dstPort: frame.readUInt16BE(udp + 2),
      text: frame.subarray(udp + 8, udp + frame.readUInt16BE(udp + 4)).toString('latin1'),
    });
  }
  return out;
}

/** SIP messages to or from `port` in [fromMs, toMs]: their first lines and CSeq. */
export function sipMessages(file: string, port: number, fromMs: number, toMs: number): string[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return [];
  }
  return udpDatagrams(buf)
    .filter((d) => (d.srcPort === port || d.dstPort === port) && d.timeMs >= fromMs && d.timeMs <= toMs)
    .filter((d) => /^(SIP\/2\.0 |[A-Z]+ sip)/.test(d.text))
    .map((d) => `${d.text.split('\r\n')[0]} | ${/\r\nCSeq:\s*([^\r]+)/i.exec(d.text)?.[1] ?? ''}`);
}
