/**
 * `earshot serve --demo` as a child process for end-to-end tests: the real command
 * (`node --import tsx src/main.ts serve --demo`) on free ports (HTTP 0, SIP and a 64-port RTP range
 * found free) and a database in a temp dir, plus the console it serves (`web/dist`, which
 * `npm start`'s prestart builds when it is older than `web/src`; `ensureWebDist` does the same).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { freePorts } from '../support/sip-peers.js';

const root = join(import.meta.dirname, '..', '..');

/** Newest modification time of any file under `dir` (as scripts/ensure-deps.mjs computes it). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/**
 * Builds `web/dist` (what main.ts serves) when it is missing or older than `web/src` or
 * `web/index.html`, exactly as `npm start`'s prestart would; returns whether it built.
 */
export async function ensureWebDist(): Promise<boolean> {
  const built = join(root, 'web', 'dist', 'index.html');
  const sources = Math.max(
    newest(join(root, 'web', 'src')),
    statSync(join(root, 'web', 'index.html')).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return false;
  await build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'silent' });
  return true;
}

export interface DemoProcess {
  child: ChildProcess;
  /** What the server printed in its "earshot is up" line, e.g. http://127.0.0.1:41234. */
  url: string;
  sipPort: number;
  /** stdout + stderr so far (for failure messages). */
  output(): string;
  /** SIGINT, then the exit code (null when killed by a signal). */
  interrupt(): Promise<number | null>;
  /** SIGKILL if still running (cleanup after a failure). */
  kill(): void;
}

/** Starts `earshot serve --demo` with its database at `dbFile`; resolves once it is up. */
export async function startDemoProcess(dbFile: string, startMs = 30_000): Promise<DemoProcess> {
  const [sipPort] = (await freePorts(1, 2)) as [number];
  const [rtpBase] = (await freePorts(1, 64)) as [number];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--demo'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      EARSHOT_LOG_LEVEL: 'info',
      EARSHOT_HTTP_PORT: '0',
      EARSHOT_SIP_PORT: String(sipPort),
      EARSHOT_RTP_PORTS: `${rtpBase}-${rtpBase + 63}`,
      EARSHOT_DB: dbFile,
    },
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString('utf8');
    if (out.length > 512 * 1024) out = out.slice(-256 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      reject(new Error(`no "earshot is up" line within ${startMs} ms:\n${out.slice(-4000)}`));
    }, startMs);
    const onData = () => {
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)".*earshot is up/.exec(out);
      if (m?.[1]) {
        clearTimeout(t);
        child.stdout?.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`earshot exited ${code} before it was up:\n${out.slice(-4000)}`));
    });
  });
  return {
    child,
    url,
    sipPort,
    output: () => out,
    interrupt: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
