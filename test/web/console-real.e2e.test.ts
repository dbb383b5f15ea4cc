/**
 * Acceptance test of issue 7, all real: the Earshot server (test/calls/harness.ts with `web`: HTTP,
 * SIP over WebSocket, WebRTC gateway, media engine), the console built by Vite, two headless
 * Chromium browsers whose SIP.js phones register and auto-answer (agent: fake microphone 1000 Hz;
 * supervisor: 1800 Hz), and a baresip customer calling the queue through the trunk playing 440 Hz.
 *
 * The supervisor monitors the customer from the details page and hears 440 + 1000 (not 1800) in the
 * page; switches to Coach: the agent's page hears 1800 and the customer's received RTP (tcpdump +
 * Goertzel) does not; stops: the page's timeline shows both sessions. The interactions list follows
 * the call's start and end within 1 s without reload, and neither page logs a console error.
 *
 * Screenshots: with EARSHOT_SCREENSHOTS=<dir> the run also writes the supervisor's Interactions list
 * and the details page while monitoring (docs/screenshots/ is made this way).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisioningDoc } from '../../src/calls/app/provisioning.js';
import { Capture } from '../calls/capture.js';
import { CallsHarness, HOST, TONES, until } from '../calls/harness.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { type BaresipPeer, writeToneWav } from '../support/sip-peers.js';

const root = join(import.meta.dirname, '..', '..');
const HEARD = 0.1;
const NOT_HEARD = 0.01;
const SHOTS = process.env.EARSHOT_SCREENSHOTS;

const ORG: ProvisioningDoc = {
  org: { name: 'Acme' },
  trunks: [{ name: 'pstn', inbound: { allow: [HOST] } }],
  queues: [{ name: 'Support', number: '5000', members: ['alice'] }],
  users: [
    { username: 'admin', name: 'Ada Admin', password: 'pw', roles: ['admin'] },
    { username: 'alice', name: 'Alice Agent', password: 'pw', roles: ['agent'], phone: { kind: 'webrtc' } },
    {
      username: 'sam',
      name: 'Sam Supervisor',
      password: 'pw',
      roles: ['supervisor'],
      phone: { kind: 'webrtc' },
    },
    { username: 'bob', name: 'Bob Agent', password: 'pw', roles: ['agent'] },
  ],
};

let dir: string;
let h: CallsHarness;
let cap: Capture;
let agentBrowser: TestBrowser;
let supBrowser: TestBrowser;
let agent: { page: Page; errors: string[] };
let sup: { page: Page; errors: string[] };
let customer: BaresipPeer;
/** When the server committed each conversation's first and last change (the notification bus). */
const firstChange = new Map<string, number>();
const endedAt = new Map<string, number>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'earshot-real-e2e-'));
  const dist = join(dir, 'dist');
  await build({
    configFile: join(root, 'web', 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir: dist, emptyOutDir: true },
  });
  h = await CallsHarness.start({ web: { webDist: dist } });
  await h.provision(ORG);
  h.services.bus.subscribe((change) => {
    const c = change.conversation;
    if (!firstChange.has(c.id)) firstChange.set(c.id, Date.now());
    if (c.state === 'ended' && !endedAt.has(c.id)) endedAt.set(c.id, Date.now());
  });
  cap = await Capture.start(`udp src portrange ${h.rtpRange[0]}-${h.rtpRange[1]}`);
  const wav = (f: number) => {
    const file = join(dir, `mic-${f}.wav`);
    writeToneWav(file, 300, f);
    return file;
  };
  [agentBrowser, supBrowser] = await Promise.all([
    launchBrowser({ fakeAudioWav: wav(TONES.agent), rawAudio: true }),
    launchBrowser({ fakeAudioWav: wav(TONES.supervisor), rawAudio: true }),
  ]);
  agent = await agentBrowser.newPage(h.baseUrl);
  sup = await supBrowser.newPage(h.baseUrl);
}, 120_000);

afterAll(async () => {
  await agentBrowser?.close();
  await supBrowser?.close();
  await cap?.close();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function login(page: Page, username: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('pw');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Presence Available on the Agent desktop page, and the browser phone registered. */
async function availableWithPhone(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Agent desktop' }).click();
  await page.getByRole('heading', { name: 'Agent desktop' }).waitFor();
  await page.getByLabel('Presence').selectOption('AVAILABLE');
  await expect.poll(() => page.getByLabel('Presence').inputValue()).toBe('AVAILABLE');
  const phone = page.getByRole('status', { name: 'Browser phone' });
  await expect.poll(() => phone.textContent(), { timeout: 10_000 }).toContain('Phone ready');
}

/** The browser phone's call state (`web/README.md` test hooks). */
const phoneCall = (page: Page): Promise<string | undefined> =>
  page.evaluate('window.__earshotPhone ? window.__earshotPhone.dump().call : undefined');
/** Fraction of the page's received phone audio at `f` Hz (-1 without the probe). */
const tone = (page: Page, f: number): Promise<number> =>
  page.evaluate(`window.__earshotAudio ? window.__earshotAudio.tonePower(${Number(f)}) : -1`);

describe('console against the real server: login and navigation', () => {
  it('says so on a wrong password, and shows Performance › Interactions to a supervisor and not to an agent', async () => {
    const { context, page, errors } = await agentBrowser.newPage(h.baseUrl);
    try {
      await page.goto('/');
      await page.getByLabel('Username').fill('sam');
      await page.getByLabel('Password').fill('nope');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
      await page.getByLabel('Password').fill('pw');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Performance › Interactions' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Username').fill('bob');
      await page.getByLabel('Password').fill('pw');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Agent desktop' }).waitFor();
      expect(await page.getByRole('link', { name: 'Performance › Interactions' }).count()).toBe(0);
      // The wrong password's 401 is the only console error Chromium logs (a failed resource load).
      expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('console against the real server and real phones', () => {
  it('monitor hears customer and agent, coach is heard by the agent only, stop leaves both sessions on the timeline', async () => {
    // Agent: Available + On Queue in the page, browser phone ready.
    await login(agent.page, 'alice');
    await availableWithPhone(agent.page);
    await agent.page.getByRole('button', { name: 'Off Queue' }).click();
    await agent.page.getByRole('button', { name: 'On Queue' }).waitFor();
    await expect
      .poll(() => agent.page.getByRole('status', { name: 'Routing status' }).textContent())
      .toBe('idle');

    // Supervisor: Available, phone ready, watching Performance › Interactions (subscribed live).
    const subscribed: string[] = [];
    sup.page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string' && f.payload.includes('"subscribe"')) subscribed.push(f.payload);
      }),
    );
    await login(sup.page, 'sam');
    await availableWithPhone(sup.page);
    await sup.page.getByRole('link', { name: 'Performance › Interactions' }).click();
    const table = sup.page.getByRole('table', { name: 'In-progress interactions' });
    await table.getByText('No interactions in progress.').waitFor();
    await expect.poll(() => subscribed.some((s) => s.includes('v2.routing.queues.'))).toBe(true);

    // The customer calls the queue; the list shows the call within 1 s, without reload or polling.
    const listFetches: string[] = [];
    sup.page.on('request', (r) => {
      if (r.url().includes('/api/v2/conversations/calls?')) listFetches.push(r.url());
    });
    customer = await h.phone('carol', TONES.customer);
    const fetchesBeforeCall = listFetches.length;
    await customer.command('dial', `sip:5000@${HOST}:${h.sipPort}`);
    const cid = await h.liveConversationId();
    const open = sup.page.getByRole('link', { name: 'Open interaction with carol' });
    await open.waitFor({ timeout: 3000 });
    const shown = Date.now();
    expect(shown - firstChange.get(cid)!, 'listed within 1 s of the call starting').toBeLessThan(1000);
    expect(listFetches.length, 'the new call came as an event, not a refetch').toBe(fetchesBeforeCall);

    // The agent's browser phone auto-answers the offer (WebRTC leg through the gateway).
    await expect.poll(() => phoneCall(agent.page), { timeout: 15_000 }).toBe('connected');
    const agentP = await h.participant(cid, (p) => p.purpose === 'agent' && p.state === 'connected');
    const customerP = (await h.conversation(cid)).participants.find((p) => p.purpose === 'customer')!;
    await table.getByRole('cell', { name: 'Alice Agent' }).waitFor({ timeout: 3000 });
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await sup.page.screenshot({ path: join(SHOTS, 'supervisor-interactions.png') });
    }

    // Monitor the customer from the details page; the supervisor's phone auto-answers.
    await open.click();
    await sup.page.getByRole('heading', { name: 'Internal' }).waitFor();
    await sup.page.getByRole('button', { name: 'Supervise carol' }).click();
    await sup.page.getByRole('menuitem', { name: 'Monitor' }).click();
    await sup.page.getByText('You are monitoring carol').waitFor({ timeout: 10_000 });
    await expect.poll(() => phoneCall(sup.page), { timeout: 15_000 }).toBe('connected');
    await h.participant(cid, (p) => p.purpose === 'monitor' && p.state === 'connected', 10_000, 'monitor');
    const heard = async () => ({
      customer: await tone(sup.page, TONES.customer),
      agent: await tone(sup.page, TONES.agent),
      supervisor: await tone(sup.page, TONES.supervisor),
    });
    let last = await heard();
    await expect
      .poll(
        async () => {
          last = await heard();
          return last.customer > HEARD && last.agent > HEARD && last.supervisor < NOT_HEARD;
        },
        { timeout: 15_000, message: 'the supervisor page hears 440 and 1000, not 1800' },
      )
      .toBe(true)
      .catch(async (err) => {
        // What the page heard last, and the gateway's counters, for the failure report.
        console.log(JSON.stringify({ last, gateway: h.webrtc?.dump() }));
        throw err;
      });
    if (SHOTS) await sup.page.screenshot({ path: join(SHOTS, 'supervisor-details.png'), fullPage: true });

    // Coach: the agent's page hears the supervisor; the customer's received RTP does not.
    await sup.page.getByRole('radio', { name: 'Coach' }).click();
    await sup.page.getByText('You are coaching Alice Agent').waitFor({ timeout: 10_000 });
    await h.participant(cid, (p) => p.purpose === 'coach' && p.state === 'connected', 15_000, 'coach');
    await expect
      .poll(() => tone(agent.page, TONES.supervisor), {
        timeout: 15_000,
        message: 'the agent page hears 1800',
      })
      .toBeGreaterThan(HEARD);
    const coachedFrom = Date.now();
    const customerPort = await h.rtpPortOf(customerP.id);
    const atCustomer = await cap.heard(customerPort, coachedFrom, [
      TONES.customer,
      TONES.agent,
      TONES.supervisor,
    ]);
    expect(atCustomer.power[TONES.agent], 'the customer hears the agent').toBeGreaterThan(HEARD);
    expect(atCustomer.power[TONES.supervisor], 'the customer never hears the coach').toBeLessThan(NOT_HEARD);
    expect(atCustomer.power[TONES.customer], 'nobody hears their own voice').toBeLessThan(NOT_HEARD);

    // Stop: both sessions on the page's timeline.
    await sup.page.getByRole('button', { name: 'Stop Coaching' }).click();
    await expect.poll(() => sup.page.getByText('You are coaching').count()).toBe(0);
    const sessions = sup.page.getByRole('table', { name: 'Supervision sessions' }).locator('tbody tr');
    await expect.poll(() => sessions.count(), { timeout: 5000 }).toBe(2);
    expect(await sessions.nth(0).getAttribute('data-mode')).toBe('monitor');
    expect(await sessions.nth(1).getAttribute('data-mode')).toBe('coach');
    expect(await sessions.nth(1).textContent()).toContain('stopped');
    const timeline = await h.timeline(cid);
    expect(
      timeline.filter((e) => e.type.startsWith('monitor.') || e.type.startsWith('coach.')).map((e) => e.type),
    ).toEqual(['monitor.started', 'monitor.ended', 'coach.started', 'coach.ended']);
    expect(timeline.find((e) => e.type === 'coach.started')?.targetParticipantId).toBe(agentP.id);
    await expect.poll(() => phoneCall(sup.page), { timeout: 5000 }).toBe('none');

    // The customer hangs up: the list drops the call within 1 s, without reload.
    await sup.page.getByRole('link', { name: 'Performance › Interactions' }).click();
    await open.waitFor();
    const fetchesBeforeHangup = listFetches.length;
    await customer.command('hangup');
    await table.getByText('No interactions in progress.').waitFor({ timeout: 5000 });
    const gone = Date.now();
    await until(() => endedAt.get(cid), 5000, 'the conversation ended');
    expect(gone - endedAt.get(cid)!, 'dropped within 1 s of the call ending').toBeLessThan(1000);
    await expect.poll(() => phoneCall(agent.page), { timeout: 5000 }).toBe('none');
    expect(listFetches.length, 'the end came as an event, not a refetch').toBe(fetchesBeforeHangup);

    // Nothing left: legs, media legs, WebRTC endpoints; no console errors in either page.
    await expect.poll(async () => (await h.leftovers()).legs.length, { timeout: 5000 }).toBe(0);
    expect(h.webrtc?.dump().endpoints).toEqual([]);
    expect(agent.errors).toEqual([]);
    expect(sup.errors).toEqual([]);
  }, 120_000);
});
