/**
 * The console in headless Chromium against a stand-in server that follows CONTRACT.md §4–§5
 * (test/web/fake-earshot.ts) — kept ONLY for what the real server cannot easily be made to do:
 * expire a token mid-session, drop the notification or SIP sockets on demand, leak a monitor
 * participant to an agent (to prove the agent page filters it, R9), show a coach of another
 * supervisor and several agents on one call (Multiple, R7), list calls of several queues and agents
 * at once, a supervisor who is not Available in front of a live call, and the bundle size.
 * Everything else — login, navigation by role, the live interactions list, monitor / coach / stop
 * with real audio, the timeline — runs against the real server in console-real.e2e.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, Me } from '../../web/src/lib/types.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { FakeEarshot } from './fake-earshot.js';

const root = join(import.meta.dirname, '..', '..');
const SUPERVISOR_PERMS = [
  'conversation:call:monitor',
  'conversation:call:coach',
  'analytics:conversation:view',
];

let dist: string;
let browser: TestBrowser;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'earshot-web-'));
  await build({
    configFile: join(root, 'web', 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir: dist, emptyOutDir: true },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

interface World {
  server: FakeEarshot;
  page: Page;
  errors: string[];
}
let world: World | null = null;

afterEach(async () => {
  if (!world) return;
  await world.page.context().close();
  await world.server.close();
  world = null;
});

function user(id: string, name: string, roles: string[], over: Partial<Me> = {}): Me {
  return {
    id,
    username: id,
    name,
    presence: 'AVAILABLE',
    routingStatus: roles.includes('agent') ? 'IDLE' : 'OFF_QUEUE',
    permissions: roles.includes('supervisor') ? SUPERVISOR_PERMS : [],
    roles,
    phone: { kind: 'sip', sipUser: id },
    ...over,
  };
}

function call(id: string, agentId = 'alice', agentName = 'Alice Agent'): Conversation {
  return {
    id,
    state: 'connected',
    startTime: new Date(Date.now() - 65_000).toISOString(),
    participants: [
      {
        id: `${id}-c`,
        purpose: 'customer',
        name: 'Carol Customer',
        address: 'tel:+15550001',
        state: 'connected',
      },
      { id: `${id}-a`, purpose: 'agent', userId: agentId, name: agentName, state: 'connected' },
    ],
  };
}

async function start(opts: { sam?: Partial<Me>; sipPassword?: string } = {}): Promise<World> {
  const server = new FakeEarshot(dist);
  server.addUser({
    me: user('sam', 'Sam Supervisor', ['supervisor'], opts.sam),
    password: 'supervisor',
    ...(opts.sipPassword ? { sipPassword: opts.sipPassword } : {}),
  });
  server.addUser({ me: user('alice', 'Alice Agent', ['agent']), password: 'agent' });
  server.addUser({ me: user('bob', 'Bob Agent', ['agent']), password: 'agent' });
  const base = await server.listen();
  const { page, errors } = await browser.newPage(base);
  await page.goto('/');
  world = { server, page, errors };
  return world;
}

async function login(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('console: session expiry', () => {
  it('goes back to login with a message when the token expires mid-session', async () => {
    const { page, server } = await start();
    await login(page, 'sam', 'supervisor');
    await page.getByRole('link', { name: 'Performance › Interactions' }).click();
    await page.getByRole('table', { name: 'In-progress interactions' }).waitFor();
    server.expireTokens();
    await page.evaluate("location.hash = '#/interactions/x'");
    await page.getByText('Your session has expired. Please sign in again.').waitFor({ timeout: 5000 });
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
  });
});

describe('console: Performance › Interactions', () => {
  it('filters by queue and agent', async () => {
    const { page, server } = await start();
    server.upsert(call('k1'), 'q1', false);
    server.upsert(call('k2', 'bob', 'Bob Agent'), 'q1', false);
    await login(page, 'sam', 'supervisor');
    await page.getByRole('link', { name: 'Performance › Interactions' }).click();
    const table = page.getByRole('table', { name: 'In-progress interactions' });
    await table.getByRole('cell', { name: 'Bob Agent' }).waitFor();
    await page.getByLabel('Filter by agent').selectOption({ label: 'Alice Agent' });
    await expect.poll(() => table.getByRole('cell', { name: 'Bob Agent' }).count()).toBe(0);
    expect(await table.getByRole('cell', { name: 'Alice Agent' }).count()).toBe(1);
  });
});

async function openDetails(w: World, id: string): Promise<void> {
  await login(w.page, 'sam', 'supervisor');
  await w.page.getByRole('link', { name: 'Performance › Interactions' }).click();
  await w.page.getByRole('link', { name: 'Open interaction with Carol Customer' }).first().click();
  await w.page.getByRole('heading', { name: 'Internal' }).waitFor();
  expect(w.page.url()).toContain(`#/interactions/${id}`);
}

describe('console: interaction details', () => {
  it('disables Monitor and Coach with the reason when the supervisor is not Available', async () => {
    const w = await start({ sam: { presence: 'BUSY' } });
    w.server.upsert(call('k1'), 'q1', false);
    await openDetails(w, 'k1');
    await w.page.getByRole('button', { name: 'Supervise Alice Agent' }).click();
    const monitor = w.page.getByRole('menuitem', { name: /Monitor/ });
    expect(await monitor.getAttribute('aria-disabled')).toBe('true');
    expect(await monitor.textContent()).toContain('You are not Available');
    await monitor.dispatchEvent('click');
    expect(w.server.requests.some((r) => r.endsWith('/monitor'))).toBe(false);
  });

  it('offers the Multiple picker when several agents are on the call, and shows who else listens', async () => {
    const w = await start();
    const c = call('k1');
    c.participants.push(
      { id: 'k1-b', purpose: 'agent', userId: 'bob', name: 'Bob Agent', state: 'connected' },
      {
        id: 'k1-z',
        purpose: 'coach',
        userId: 'zed',
        name: 'Zed Lead',
        state: 'connected',
        coachedParticipantId: 'k1-a',
      },
    );
    w.server.upsert(c, 'q1', false);
    await openDetails(w, 'k1');
    await w.page.getByLabel('Multiple: choose an agent').selectOption({ label: 'Alice Agent' });
    await w.page.getByRole('button', { name: 'Supervise Alice Agent' }).click();
    expect(await w.page.getByRole('menuitem', { name: /Coach/ }).textContent()).toContain(
      'Agent already coached',
    );
    await w.page.getByLabel('Multiple: choose an agent').selectOption({ label: 'Bob Agent' });
    await w.page.getByRole('button', { name: 'Supervise Bob Agent' }).click();
    await w.page.getByRole('menuitem', { name: 'Coach' }).click();
    await expect
      .poll(() => w.server.requests.includes('POST /api/v2/conversations/calls/k1/participants/k1-b/coach'))
      .toBe(true);
    expect(await w.page.getByRole('list', { name: 'Other supervisors' }).textContent()).toContain(
      'Zed Lead — coaching Alice Agent',
    );
  });

  it('shows no stale "monitoring" state after the WebSocket drops and the session ended meanwhile', async () => {
    const w = await start();
    w.server.upsert(call('k1'), 'q1', false);
    await openDetails(w, 'k1');
    await w.page.getByRole('button', { name: 'Supervise Carol Customer' }).click();
    await w.page.getByRole('menuitem', { name: 'Monitor' }).click();
    await w.page.getByText('You are monitoring Carol Customer').waitFor();
    // The socket drops; while it is down the call ends (the event is missed).
    w.server.dropNotificationSockets();
    const c = w.server.conversations.get('k1')!;
    for (const p of c.participants) p.state = 'disconnected';
    c.state = 'disconnected';
    await w.page.getByText('Live updates disconnected').waitFor();
    await expect
      .poll(() => w.page.getByText('Live updates disconnected').count(), { timeout: 10_000 })
      .toBe(0);
    await w.page.getByText('Ended', { exact: true }).waitFor();
    expect(await w.page.getByText('You are monitoring').count()).toBe(0);
  });
});

describe('console: agent desktop', () => {
  it('shows the call with its controls and never a monitor or coach, even if the server leaked one (R9)', async () => {
    const w = await start();
    w.server.leakSupervisorsToAgents = true;
    await login(w.page, 'alice', 'agent');
    await w.page.getByRole('heading', { name: 'Agent desktop' }).waitFor();
    await expect.poll(() => w.server.notificationSocketCount).toBe(1);
    const c = call('k1');
    c.participants.push({
      id: 'k1-m',
      purpose: 'monitor',
      userId: 'sam',
      name: 'Sam Supervisor',
      state: 'connected',
      monitoredParticipantId: 'k1-a',
    });
    await w.page.getByText('No interaction.').waitFor();
    await expect
      .poll(
        () => {
          w.server.upsert(c);
          return w.page.getByRole('list', { name: 'Participants' }).count();
        },
        { timeout: 3000 },
      )
      .toBe(1);
    await w.page.getByRole('button', { name: 'Hold' }).click();
    await expect.poll(() => w.server.requests.includes('BODY {"held":true}')).toBe(true);
    const text = (await w.page.locator('body').textContent()) ?? '';
    expect(text).toContain('Carol Customer');
    expect(text).not.toMatch(/Sam|monitor|coach|supervis/i);
  });
});

describe('console: browser phone', () => {
  it('registers over /sip with digest credentials, shows the loss of its connection and re-registers', async () => {
    const w = await start({ sam: { phone: { kind: 'webrtc', sipUser: 'sam' } }, sipPassword: 's3cret' });
    await login(w.page, 'sam', 'supervisor');
    const status = w.page.getByRole('status', { name: 'Browser phone' });
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('Phone ready');
    const authed = w.server.sipRequests.filter((r) => /^Authorization: Digest .*username="sam"/m.test(r));
    expect(authed.length).toBeGreaterThan(0);
    expect(w.server.sipRequests[0]).toMatch(/^REGISTER sip:127\.0\.0\.1 SIP\/2\.0/);
    w.server.dropSipSockets();
    await expect.poll(() => status.textContent(), { timeout: 5000 }).toContain('disconnected');
    expect(await w.page.getByText('Phone connection lost.').count()).toBe(1);
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('Phone ready');
  });
});

describe('console: bundle', () => {
  it('keeps the initial JavaScript under 300 KB gzipped and SIP.js out of it', () => {
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    const initial = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(initial.length).toBeGreaterThan(0);
    const bytes = initial.reduce((n, f) => n + gzipSync(readFileSync(join(dist, f))).length, 0);
    expect(bytes).toBeLessThan(300 * 1024);
    for (const f of initial) expect(readFileSync(join(dist, f), 'utf8')).not.toContain('sip.js');
  });
});
