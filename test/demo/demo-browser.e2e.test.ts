/**
 * Issue 8's browser acceptance: "A Chromium test logs in as the demo supervisor, monitors a demo
 * call, and detects speech energy (not silence) in the browser phone's received audio."
 *
 * All real: `earshot serve --demo` as a child process (the command `npm start` runs; free ports, a
 * temp database, the console from `web/dist`, rebuilt first if older than `web/src`), its simulated
 * agents and customers (SIP UAs talking with recorded voices), and headless Chromium (fake
 * microphone: silence) logged in as `supervisor`/`supervisor`, whose browser phone (`webrtc`, the
 * demo org's) registers over SIP/WebSocket and auto-answers.
 *
 * Through the page only: presence Available (Agent desktop), Performance › Interactions, a live call
 * with an agent, Monitor beside the customer; then the received audio (`window.__earshotAudio.rms()`,
 * web/README.md test hooks) is sampled in 16 windows 250 ms apart and most (≥ 10) must carry speech (well
 * above the silence floor) while the phone is on the call; Stop Monitoring leaves one ended monitor
 * session on the page's timeline and the phone idle; no console errors; SIGINT exits 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavFile } from '../support/audio.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { type DemoProcess, ensureWebDist, startDemoProcess } from './demo-process.js';

/** −45 dBFS as a linear RMS (full scale 1.0): the demo-traffic suites' speech threshold. */
const SPEECH_RMS = 10 ** (-45 / 20);
const WINDOWS = 16;
const WINDOW_SPACING_MS = 250;
/** Windows that must carry speech. */
const MOST = 10;

let dir: string;
let server: DemoProcess | undefined;
let browser: TestBrowser | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'earshot-demo-browser-'));
  await ensureWebDist();
  // The supervisor's fake microphone: 10 s of silence (Chromium loops it).
  const mic = join(dir, 'quiet.wav');
  writeFileSync(mic, wavFile(new Int16Array(8000 * 10)));
  [server, browser] = await Promise.all([
    startDemoProcess(join(dir, 'demo.db')),
    launchBrowser({ fakeAudioWav: mic }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The browser phone's call state (`web/README.md` test hooks); undefined before the phone starts. */
const phoneCall = (page: Page): Promise<string | undefined> =>
  page.evaluate('window.__earshotPhone ? window.__earshotPhone.dump().call : undefined');
const audioAttached = (page: Page): Promise<boolean> =>
  page.evaluate('window.__earshotAudio ? window.__earshotAudio.attached() : false');
const receivedRms = (page: Page): Promise<number> =>
  page.evaluate('window.__earshotAudio ? window.__earshotAudio.rms() : -1');

/**
 * `count` RMS readings of the received audio (each over its last ~500 ms), `spacingMs` apart,
 * timed inside the page (a measurement cadence, not a wait for something to happen).
 */
function sampleRms(page: Page, count: number, spacingMs: number): Promise<number[]> {
  const n = Math.trunc(count);
  const ms = Math.trunc(spacingMs);
  return page.evaluate(`new Promise((resolve) => {
    const out = [];
    const id = setInterval(() => {
      out.push(window.__earshotAudio ? window.__earshotAudio.rms() : -1);
      if (out.length >= ${n}) {
        clearInterval(id);
        resolve(out);
      }
    }, ${ms});
  })`);
}

const dbfs = (rms: number) => (rms > 0 ? Math.max(-120, Math.round(20 * Math.log10(rms) * 10) / 10) : -120);

describe('earshot serve --demo in Chromium (issue 8)', () => {
  it('the demo supervisor monitors a live demo call from the console and the browser phone hears speech; Stop ends the session; SIGINT exits 0', async () => {
    const srv = server as DemoProcess;
    const { page, errors } = await (browser as TestBrowser).newPage(srv.url);
    const failure = (what: string) => `${what}\n── earshot output (tail) ──\n${srv.output().slice(-3000)}`;

    // Log in as the demo supervisor.
    await page.goto('/');
    await page.getByLabel('Username').fill('supervisor');
    await page.getByLabel('Password').fill('supervisor');
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Available, through the Agent desktop page; the browser phone registers.
    await page.getByRole('link', { name: 'Agent desktop' }).click();
    await page.getByRole('heading', { name: 'Agent desktop' }).waitFor();
    await page.getByLabel('Presence').selectOption('AVAILABLE');
    await expect.poll(() => page.getByLabel('Presence').inputValue()).toBe('AVAILABLE');
    await expect
      .poll(() => page.getByRole('status', { name: 'Browser phone' }).textContent(), {
        timeout: 15_000,
        message: 'the browser phone registers',
      })
      .toContain('Phone ready');

    // Performance › Interactions: a live call an agent is on (the demo's first calls start ~2 s in).
    await page.getByRole('link', { name: 'Performance › Interactions' }).click();
    const table = page.getByRole('table', { name: 'In-progress interactions' });
    const withAgent = table
      .locator('tbody tr')
      .filter({ has: page.getByRole('cell', { name: /^Agent \d/ }) });
    await withAgent.first().waitFor({ timeout: 30_000 });
    const open = withAgent.first().getByRole('link', { name: /^Open interaction with / });
    const label = (await open.getAttribute('aria-label')) ?? '';
    const customer = label.replace(/^Open interaction with /, '');
    expect(customer, 'the list names the customer').not.toBe('');
    await open.click();

    // Monitor beside the customer (External participants). The phone is idle until then.
    expect(await phoneCall(page)).toBe('none');
    await page.getByRole('heading', { name: 'External' }).waitFor();
    const external = page.getByRole('list', { name: 'External participants' });
    await external.getByRole('button', { name: `Supervise ${customer}` }).click();
    await page.getByRole('menuitem', { name: 'Monitor' }).click();
    await page.getByText(`You are monitoring ${customer}`).waitFor({ timeout: 10_000 });

    // The browser phone auto-answers the monitor leg; its received stream reaches the analyser.
    await expect
      .poll(() => phoneCall(page), { timeout: 15_000, message: failure('the browser phone answers') })
      .toBe('connected');
    await expect.poll(() => audioAttached(page), { timeout: 5000 }).toBe(true);
    // The first audio through the WebRTC leg (jitter buffers fill): any window above the floor.
    await expect
      .poll(() => receivedRms(page), { timeout: 10_000, message: failure('any received audio') })
      .toBeGreaterThan(SPEECH_RMS);

    // Speech energy: most of 16 windows 250 ms apart well above silence, while on the call.
    const rms = await sampleRms(page, WINDOWS, WINDOW_SPACING_MS);
    const levels = rms.map(dbfs);
    console.log(JSON.stringify({ customer, receivedDbfs: levels }));
    expect(await phoneCall(page), 'still on the monitor call').toBe('connected');
    // The demo's voices pause between phrases and turns (up to ~1 s of digital silence): most, not all.
    expect(
      rms.filter((r) => r > SPEECH_RMS).length,
      `received levels (dBFS) ${levels.join(' ')}`,
    ).toBeGreaterThanOrEqual(MOST);
    // Speech, not a steady signal: the level moves between windows (words and gaps).
    expect(Math.max(...levels) - Math.min(...levels), 'the level varies like speech').toBeGreaterThan(3);

    // Stop: the session ends; the page's timeline shows it ended (stopped); the phone hangs up.
    await page.getByRole('button', { name: 'Stop Monitoring' }).click();
    await expect.poll(() => page.getByText('You are monitoring').count(), { timeout: 5000 }).toBe(0);
    const sessions = page.getByRole('table', { name: 'Supervision sessions' }).locator('tbody tr');
    await expect.poll(() => sessions.count(), { timeout: 5000 }).toBe(1);
    const session = sessions.first();
    expect(await session.getAttribute('data-mode')).toBe('monitor');
    await expect
      .poll(() => session.locator('td').nth(4).textContent(), { timeout: 5000 })
      .not.toBe('running');
    expect(await session.locator('td').nth(5).textContent()).toBe('stopped');
    expect(await session.locator('td').nth(2).textContent()).toBe(customer);
    await expect.poll(() => phoneCall(page), { timeout: 5000 }).toBe('none');

    expect(errors).toEqual([]);

    // SIGINT: the demo hangs up, the server stops, exit code 0.
    await browser?.close();
    expect(await srv.interrupt(), failure('exit code after SIGINT')).toBe(0);
  }, 120_000);
});
