/**
 * Headless Chromium for end-to-end tests (TESTING.md): the Debian binary through playwright-core,
 * a fresh profile per launch, no network beyond what the page asks for, and optionally a fake
 * microphone playing a 16-bit PCM WAV plus loopback ICE candidates for WebRTC on 127.0.0.1.
 * Console errors and page errors are collected so tests can assert there are none.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.EARSHOT_CHROMIUM ?? '/usr/bin/chromium';

export interface LaunchOptions {
  /** A 16-bit PCM WAV (8 or 48 kHz) played as the microphone; omit for no fake capture file. */
  fakeAudioWav?: string;
  /** Playwright's per-action timeout (default 5 s: a UI that takes longer is a failure). */
  actionTimeoutMs?: number;
  /** Extra Chromium flags. */
  args?: string[];
  /**
   * Turn the browser phone's voice processing off in every page (`earshot.audioProcessing` in
   * localStorage, web/README.md): noise suppression and gain control would bend test tones.
   */
  rawAudio?: boolean;
}

export interface TestBrowser {
  browser: Browser;
  /** A new context and page; its console errors and uncaught exceptions land in `errors`. */
  newPage(baseURL: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/**
 * The flags of TESTING.md. `userDataDir` is for launching the binary directly; through playwright
 * (below) leave it out: playwright gives every launch a fresh temporary profile of its own.
 */
export function chromiumArgs(userDataDir: string | null, opts: LaunchOptions = {}): string[] {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
  ];
  if (userDataDir) args.push(`--user-data-dir=${userDataDir}`);
  if (opts.fakeAudioWav) args.push(`--use-file-for-fake-audio-capture=${opts.fakeAudioWav}`);
  return [...args, ...(opts.args ?? [])];
}

export async function launchBrowser(opts: LaunchOptions = {}): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: chromiumArgs(null, opts),
    timeout: 30_000,
  });
  let closed = false;
  return {
    browser,
    async newPage(baseURL) {
      const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
      await context.grantPermissions(['microphone'], { origin: new URL(baseURL).origin }).catch(() => {});
      if (opts.rawAudio) {
        await context.addInitScript("localStorage.setItem('earshot.audioProcessing', 'off')");
      }
      const page = await context.newPage();
      page.setDefaultTimeout(opts.actionTimeoutMs ?? 5000);
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      return { context, page, errors };
    },
    async close() {
      if (closed) return;
      closed = true;
      await browser.close().catch(() => {});
    },
  };
}
