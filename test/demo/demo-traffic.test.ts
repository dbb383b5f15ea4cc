/**
 * The demo contact center end to end, in-process: the real server (store, call control, media engine,
 * SIP, API on a free port) with the demo traffic — simulated agents and customers as real SIP UAs of
 * our own stack. A supervisor finds live calls, monitors one with a SIP phone and hears speech; a
 * clean stop BYEs every call, and the store keeps the interrupted calls' timelines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTimeline } from '../../src/store/conversation.repository.js';
import { openStore } from '../../src/store/database.js';
import { decodeUlaw, rmsDbfs } from '../support/audio.js';
import { type DemoServer, HOST, startDemoServer } from './demo-server.js';
import { ListeningPhone } from './listening-phone.js';

interface Participant {
  id: string;
  purpose: string;
  userId?: string;
  state: string;
}
interface Conversation {
  id: string;
  state: string;
  participants: Participant[];
}

const dir = mkdtempSync(join(tmpdir(), 'earshot-demo-'));
const dbFile = join(dir, 'demo.db');
let server: DemoServer;
let token = '';
let supervisorPhone: ListeningPhone | undefined;

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100)); // a bounded condition poll
  }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(`${server.url}/api/v2${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const withConnectedAgent = (c: Conversation) =>
  c.participants.some((p) => p.purpose === 'agent' && p.state === 'connected') &&
  c.participants.some((p) => p.purpose === 'customer' && p.state === 'connected');

beforeAll(async () => {
  server = await startDemoServer({
    dbFile,
    traffic: {
      callsPerMinute: 20,
      firstCallAfterMs: 300,
      // Long calls, no hold or transfer: the test looks at stable live calls.
      agentBehaviour: { talkMs: [60_000, 90_000], holdChance: 0, transferChance: 0 },
    },
  });
  const login = await api<{ accessToken: string }>('POST', '/auth/login', {
    username: 'supervisor',
    password: 'supervisor',
  });
  expect(login.status).toBe(200);
  token = login.body.accessToken;
}, 30_000);

afterAll(async () => {
  await supervisorPhone?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('earshot demo traffic', () => {
  let live: Conversation[] = [];

  it('within seconds the supervisor sees at least 2 active calls with connected agents', async () => {
    const started = Date.now();
    live = await until(
      '2 live calls with connected agents',
      async () => {
        const r = await api<{ entities: Conversation[] }>('GET', '/conversations/calls?state=active');
        const ok = r.body.entities.filter(withConnectedAgent);
        return ok.length >= 2 ? ok : undefined;
      },
      20_000,
    );
    expect(live.length).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(20_000);
    // Every agent phone registered and went on queue; at most 3 customers at once.
    expect(server.traffic.agents.every((a) => a.registered)).toBe(true);
    expect(server.traffic.customers.size).toBeLessThanOrEqual(3);
  }, 30_000);

  it('a supervisor monitoring one of them hears speech (RMS well above the silence floor in most windows)', async () => {
    supervisorPhone = await ListeningPhone.start({
      host: HOST,
      sipPort: server.sipPort,
      user: 'supervisor',
      password: 'supervisor-phone',
    });
    const me = await api<{ id: string }>('GET', '/users/me');
    expect((await api('PUT', `/users/${me.body.id}/presence`, { presence: 'AVAILABLE' })).status).toBe(200);
    const conv = live[0] as Conversation;
    const customer = conv.participants.find((p) => p.purpose === 'customer') as Participant;
    const started = await api<{ participantId: string }>(
      'POST',
      `/conversations/calls/${conv.id}/participants/${customer.id}/monitor`,
      {},
    );
    expect(started.status).toBe(201);
    await until(
      'the monitor to be connected',
      async () =>
        (await api<Conversation>('GET', `/conversations/calls/${conv.id}`)).body.participants.find(
          (p) => p.id === started.body.participantId && p.state === 'connected',
        ),
      10_000,
    );
    const phone = supervisorPhone;
    // R8: the server auto-answers the supervisor's phone.
    expect(phone.autoAnswerHeaders[0]).toMatch(/answer-after=0/);
    // 4 s of what the supervisor hears, in 250 ms windows.
    const from = phone.received.length;
    await until('4 s of monitor audio', () => phone.received.length - from >= 200, 10_000);
    const audio = decodeUlaw(Buffer.concat(phone.received.slice(from, from + 200).map((r) => r.payload)));
    const windows: number[] = [];
    for (let o = 0; o + 2000 <= audio.length; o += 2000) windows.push(rmsDbfs(audio.subarray(o, o + 2000)));
    const speech = windows.filter((db) => db > -45);
    // Speech with short pauses between turns: most windows are loud, none is clipped noise.
    expect(speech.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...windows)).toBeLessThan(-3);
  }, 30_000);

  it('stop() BYEs every call and leaves nothing; the store keeps the interrupted calls timelines', async () => {
    const ids = live.map((c) => c.id);
    // The supervisor hangs up first (their phone's BYE ends the session), then the demo stops.
    await supervisorPhone?.close();
    supervisorPhone = undefined;
    await server.stop();
    const dump = server.traffic.dump();
    expect(dump).toMatchObject({
      stopped: true,
      customers: [],
      timers: 0,
      arrivalArmed: false,
      trunk: { dialogs: 0 },
    });
    for (const a of dump.agents as Array<Record<string, unknown>>)
      expect(a).toMatchObject({ state: 'closed', call: undefined, timers: 0, ua: { dialogs: 0 } });
    const store = await openStore({ url: dbFile });
    try {
      const org = await store.db
        .selectFrom('orgs')
        .select('id')
        .where('name', '=', 'Demo')
        .executeTakeFirstOrThrow();
      for (const id of ids) {
        const timeline = (await listTimeline(store.db, org.id, id)) ?? [];
        const types = timeline.map((e) => e.type);
        expect(types[0]).toBe('conversation.started');
        expect(types).toContain('participant.connected');
        expect(types.at(-1)).toBe('conversation.ended');
        // The customer hung up (BYE from the demo's trunk) rather than the server tearing it down.
        expect(timeline.some((e) => e.type === 'participant.left' && e.reason === 'hung-up')).toBe(true);
      }
      const monitored = (await listTimeline(store.db, org.id, ids[0] as string)) ?? [];
      expect(monitored.map((e) => e.type)).toEqual(
        expect.arrayContaining(['monitor.started', 'monitor.ended']),
      );
    } finally {
      await store.close();
    }
  }, 30_000);
});
