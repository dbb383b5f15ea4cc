/**
 * The bench side of bench/support/calls-bench-server.ts: spawns it with an IPC channel, waits for
 * its `ready` message, and sends it requests (`ask('stats')`, …) with a deadline each.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class BenchServerProcess {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private constructor(
    readonly child: ChildProcess,
    /** `http://127.0.0.1:<port>` of the API. */
    readonly http: string,
    readonly sipPort: number,
  ) {
    child.on('message', (raw) => {
      const m = raw as { id?: number; result?: unknown; error?: string };
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
  }

  /** Starts the server with `users` agents and supervisors on the RTP port range `rtp`. */
  static async start(users: number, rtp: [number, number], ms = 120_000): Promise<BenchServerProcess> {
    const script = join(import.meta.dirname, 'calls-bench-server.ts');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, String(users), String(rtp[0]), String(rtp[1])],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    const ready = await new Promise<{ http: string; sipPort: number }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the bench server did not start within ${ms} ms`)), ms);
      child.on('message', (raw) => {
        const m = raw as { type?: string; http: string; sipPort: number };
        if (m.type !== 'ready') return;
        clearTimeout(t);
        resolve(m);
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`the bench server exited ${code}`));
      });
    }).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    return new BenchServerProcess(child, ready.http, ready.sipPort);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  ask<T>(op: string, ms = 30_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`bench server: no answer to ${op} in ${ms} ms`));
      }, ms);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(t);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.child.send({ id, op });
    });
  }

  /** Graceful close (bounded), then SIGKILL if it is still there. Idempotent. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.ask('close', 30_000).catch(() => undefined);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}
