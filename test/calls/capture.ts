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
