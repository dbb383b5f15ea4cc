/**
 * `earshot serve --demo` as a process (what `npm start` runs), on free ports and a temp database:
 * the demo traffic must give a supervisor ≥ 2 live calls with connected agents, a monitor on one of
 * them must carry speech, and SIGINT must stop the process cleanly (exit 0) with the interrupted
 * calls' timelines recorded — read back through the API after a restart on the same database file.
 *
 * Needs src/main.ts to start SIP, call control, the media engine and `startDemoTraffic` (docs/demo.md
 * "Wiring"); the in-process suites (demo-traffic.test.ts) cover the same flow without main.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUlaw, rmsDbfs } from '../support/audio.js';
import { freePorts } from '../support/sip-peers.js';
import { DEMO_WITH_SIP_SUPERVISOR, HOST } from './demo-server.js';
import { ListeningPhone } from './listening-phone.js';

interface Participant {
  id: string;
  purpose: string;
  state: string;
}
interface Conversation {
  id: string;
  participants: Participant[];
}

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'earshot-demo-serve-'));
const children: ChildProcess[] = [];
let phone: ListeningPhone | undefined;
afterAll(async () => {
  await phone?.close();
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--demo'], {
    cwd: root,
    env: { ...process.env, EARSHOT_LOG_LEVEL: 'info', EARSHOT_HTTP_PORT: '0', ...env },
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`no "earshot is up" line: ${out.slice(-4000)}`)), 30_000);
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)".*earshot is up/.exec(out);
      if (m?.[1]) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.stderr?.on('data', (d) => {
      out += String(d);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out.slice(-4000)}`)));
  });
  return { child, url };
}

async function login(url: string, username: string, password: string): Promise<string> {
  const r = await fetch(`${url}/api/v2/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { accessToken: string }).accessToken;
}

function client(url: string, token: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${url}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200)); // a bounded condition poll
  }
}

describe('earshot serve --demo (process)', () => {
  it('live calls within seconds, a monitor hears speech, SIGINT stops cleanly with the timelines recorded', async () => {
    const [sipPort] = (await freePorts(1, 2)) as [number];
    const [rtpBase] = (await freePorts(1, 64)) as [number];
    const env = {
      EARSHOT_DB: join(dir, 'demo.db'),
      EARSHOT_SIP_PORT: String(sipPort),
      EARSHOT_RTP_PORTS: `${rtpBase}-${rtpBase + 63}`,
    };
    const { child, url } = await serve(env);

    // The admin gives the supervisor a SIP desk phone: this test's listening UA.
    const admin = client(url, await login(url, 'admin', 'admin'));
    expect((await admin('POST', '/admin/provisioning', DEMO_WITH_SIP_SUPERVISOR)).status).toBe(200);
    const sup = client(url, await login(url, 'supervisor', 'supervisor'));

    const live = await until(
      '2 live calls with connected agents',
      async () => {
        const r = await sup<{ entities: Conversation[] }>('GET', '/conversations/calls?state=active');
        const ok = r.body.entities.filter((c) =>
          c.participants.some((p) => p.purpose === 'agent' && p.state === 'connected'),
        );
        return ok.length >= 2 ? ok : undefined;
      },
      30_000,
    );

    phone = await ListeningPhone.start({
      host: HOST,
      sipPort,
      user: 'supervisor',
      password: 'supervisor-phone',
    });
    const me = await sup<{ id: string }>('GET', '/users/me');
    expect((await sup('PUT', `/users/${me.body.id}/presence`, { presence: 'AVAILABLE' })).status).toBe(200);
    const conv = live[0] as Conversation;
    const customer = conv.participants.find((p) => p.purpose === 'customer') as Participant;
    const mon = await sup('POST', `/conversations/calls/${conv.id}/participants/${customer.id}/monitor`, {});
    expect(mon.status).toBe(201);
    const heard = phone;
    await until(
      '4 s of monitor audio',
      async () => (heard.received.length >= 200 ? true : undefined),
      15_000,
    );
    const audio = decodeUlaw(Buffer.concat(heard.received.slice(0, 200).map((r) => r.payload)));
    const windows: number[] = [];
    for (let o = 0; o + 2000 <= audio.length; o += 2000) windows.push(rmsDbfs(audio.subarray(o, o + 2000)));
    expect(windows.filter((db) => db > -45).length).toBeGreaterThanOrEqual(8);

    // SIGINT: the demo hangs up every call (BYE) before the server stops.
    await phone.close();
    phone = undefined;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);

    // Restart on the same database and read the interrupted calls' timelines.
    const again = await serve(env);
    const sup2 = client(again.url, await login(again.url, 'supervisor', 'supervisor'));
    for (const c of live) {
      const t = await sup2<{ entities: Array<{ type: string; reason?: string }> }>(
        'GET',
        `/conversations/${c.id}/timeline`,
      );
      expect(t.status).toBe(200);
      const types = t.body.entities.map((e) => e.type);
      expect(types[0]).toBe('conversation.started');
      expect(types.at(-1)).toBe('conversation.ended');
      expect(t.body.entities.some((e) => e.type === 'participant.left' && e.reason === 'hung-up')).toBe(true);
    }
    const stopped = new Promise<number | null>((resolve) =>
      again.child.once('exit', (code) => resolve(code)),
    );
    again.child.kill('SIGINT');
    expect(await stopped).toBe(0);
  }, 120_000);
});
