/**
 * `earshot serve` as a child process on free ports (HTTP 0, SIP and RTP from `freePorts`), with
 * its stdout log parsed for the "earshot is up" line. Waits are event-driven with deadlines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePorts } from '../support/sip-peers.js';

const root = join(import.meta.dirname, '..', '..');

export interface ServeChild {
  readonly child: ChildProcess;
  /** http://127.0.0.1:port */
  readonly http: string;
  readonly sipPort: number;
  /** Everything the child printed so far. */
  output(): string;
  /** Sends `signal` and resolves the exit code. */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | null>;
}

export async function startServe(
  args: string[],
  env: Record<string, string>,
  ms = 30_000,
): Promise<ServeChild> {
  const [sipPort] = (await freePorts(1, 2)) as [number];
  const [rtpBase] = (await freePorts(1, 32)) as [number];
  const even = rtpBase % 2 === 0 ? rtpBase : rtpBase + 1;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', ...args], {
    cwd: root,
    env: {
      ...process.env,
      EARSHOT_LOG_LEVEL: 'info',
      EARSHOT_HTTP_PORT: '0',
      EARSHOT_SIP_PORT: String(sipPort),
      EARSHOT_RTP_PORTS: `${even}-${even + 29}`,
      ...env,
    },
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const http = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "earshot is up" line within ${ms} ms:\n${out}`)), ms);
    const check = () => {
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)".*earshot is up/.exec(out);
      if (m?.[1]) {
        clearTimeout(t);
        child.stdout?.off('data', check);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`exited ${code} before it was up:\n${out}`));
    });
  });
  return {
    child,
    http,
    sipPort,
    output: () => out,
    async stop(signal = 'SIGTERM', deadline = 20_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_r, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`no exit within ${deadline} ms after ${signal}:\n${out.slice(-4000)}`));
        }, deadline);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `fn` until it returns a truthy value (a bounded condition poll, not a synchronisation sleep). */
export async function until<T>(fn: () => Promise<T> | T, ms: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
