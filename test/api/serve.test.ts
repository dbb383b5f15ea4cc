import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'earshot-serve-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string>) => ({ ...process.env, EARSHOT_LOG_LEVEL: 'info', ...extra });

describe('earshot serve', () => {
  it('a bad configuration value: one line naming it, exit code 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      cwd: root,
      env: env({ EARSHOT_SIP_PORT: 'abc' }),
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('earshot: EARSHOT_SIP_PORT: expected a port 1-65535, got "abc"\n');
  });

  it('a bad provisioning file: one line naming file, path and problem, exit code 2', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'org: { name: A }\nusers: [{ username: a }]\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--provision', file], {
      cwd: root,
      env: env({ EARSHOT_DB: join(dir, 'bad.db'), EARSHOT_HTTP_PORT: '0' }),
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`earshot: ${file}: users[0].name: required\n`);
  });

  it('starts store, provisioning and API; /healthz answers 200 and a provisioned user logs in', async () => {
    const file = join(dir, 'acme.yaml');
    writeFileSync(
      file,
      'org: { name: Acme }\nusers:\n  - { username: sam, name: Sam, password: pw, roles: [supervisor], phone: { kind: webrtc } }\n',
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--provision', file], {
      cwd: root,
      env: env({ EARSHOT_DB: join(dir, 'e.db'), EARSHOT_HTTP_PORT: '0' }),
    });
    children.push(child);
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`no "earshot is up" line: ${out}`)), 30_000);
      child.stdout?.on('data', (d) => {
        out += String(d);
        const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)".*earshot is up/.exec(out);
        if (m?.[1]) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const health = await fetch(`${address}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const login = await fetch(`${address}/api/v2/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'sam', password: 'pw' }),
    });
    expect(login.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
