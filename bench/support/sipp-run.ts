/**
 * A SIPp process for benchmarks: scenario files in a temp dir, no message trace (it would cost
 * more than the calls), statistics in `stats.csv` (`-trace_stat`, last row read at the end), stopped
 * by pid. Loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippRunOptions {
  readonly name: string;
  /** Scenario XML. */
  readonly scenario: string;
  /** Out-of-call scenario XML (`-oocsf`): answers requests that match no call of the main one. */
  readonly outOfCall?: string;
  /** `-inf` CSV content (first line SEQUENTIAL/RANDOM). */
  readonly injection?: string;
  readonly remote: string;
  readonly localPort: number;
  readonly mediaPort: number;
  readonly calls: number;
  readonly rate: number;
  readonly service?: string;
  /** `-rtp_echo` on `mediaPort`. */
  readonly rtpEcho?: boolean;
  /** SIPp gives up (and exits non-zero) after this long. */
  readonly timeoutS: number;
}

export class SippRun {
  readonly child: ChildProcess;
  readonly dir: string;
  private tail = '';
  readonly exited: Promise<number | null>;
  private done = false;

  constructor(readonly options: SippRunOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `earshot-bench-sipp-${options.name}-`));
    const file = (name: string, text: string) => {
      const p = join(this.dir, name);
      writeFileSync(p, text);
      return p;
    };
    const args = ['-sf', file('scenario.xml', options.scenario), options.remote];
    if (options.outOfCall) args.push('-oocsf', file('ooc.xml', options.outOfCall));
    if (options.injection) args.push('-inf', file('users.csv', options.injection));
    if (options.service) args.push('-s', options.service);
    if (options.rtpEcho) args.push('-rtp_echo');
    args.push(
      ...['-i', '127.0.0.1', '-mi', '127.0.0.1', '-t', 'u1'],
      ...['-p', String(options.localPort), '-mp', String(options.mediaPort)],
      ...['-m', String(options.calls), '-l', String(options.calls), '-r', String(options.rate)],
      ...['-timeout', `${Math.ceil(options.timeoutS)}s`, '-timeout_error', '-nostdin'],
      ...['-trace_err', '-error_file', join(this.dir, 'errors.log')],
      ...['-trace_stat', '-stf', join(this.dir, 'stats.csv'), '-fd', '1'],
      ...['-buff_size', String(4 << 20), '-rtp_buffsize', String(1 << 20)],
    );
    this.child = spawn('sipp', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.tail = (this.tail + d.toString('utf8')).slice(-4000);
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.done = true;
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return !this.done;
  }

  /** A numeric column of the last statistics row (`SuccessfulCall(C)`, `FailedCall(C)`, …). */
  stat(name: string): number {
    let text = '';
    try {
      text = readFileSync(join(this.dir, 'stats.csv'), 'utf8');
    } catch {
      return Number.NaN;
    }
    const rows = text.split('\n').filter((l) => l.trim() !== '');
    const head = (rows[0] ?? '').split(';');
    const last = (rows.at(-1) ?? '').split(';');
    const i = head.indexOf(name);
    return i < 0 || rows.length < 2 ? Number.NaN : Number(last[i]);
  }

  describe(): string {
    let errors = '';
    try {
      errors = readFileSync(join(this.dir, 'errors.log'), 'utf8').slice(-3000);
    } catch {
      // none
    }
    return `── sipp ${this.options.name} (pid ${this.child.pid}) ──\n${this.tail}\n${errors}`;
  }

  /** SIGTERM, SIGKILL after 3 s; waits; removes the temp dir unless `keep`. Idempotent. */
  async close(keep = false): Promise<void> {
    if (!this.done) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(t);
    }
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
