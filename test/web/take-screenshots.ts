/**
 * Screenshots of the supervisor's pages against the stand-in server (sample data: several calls,
 * one held), written to web/screenshots/. Run: `node --import tsx test/web/take-screenshots.ts`.
 * The screenshots of the real server (docs/screenshots/) come from the acceptance test:
 * `EARSHOT_SCREENSHOTS=docs/screenshots npx vitest run test/web/console-real.e2e.test.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { launchBrowser } from '../support/browser.js';
import { FakeEarshot } from './fake-earshot.js';

const root = join(import.meta.dirname, '..', '..');
const out = join(root, 'web', 'screenshots');
const dist = mkdtempSync(join(tmpdir(), 'earshot-web-'));
await build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'silent', build: { outDir: dist } });
const server = new FakeEarshot(dist);
const perms = ['conversation:call:monitor', 'conversation:call:coach', 'analytics:conversation:view'];
server.addUser({
  password: 'supervisor',
  me: {
    id: 'sam',
    username: 'sam',
    name: 'Sam Supervisor',
    presence: 'AVAILABLE',
    routingStatus: 'OFF_QUEUE',
    permissions: perms,
    roles: ['supervisor'],
    phone: { kind: 'sip' },
  },
});
const agents = ['Alice Agent', 'Bob Agent', 'Dana Agent', 'Eli Agent'];
agents.forEach((name, i) => {
  const id = `a${i}`;
  server.addUser({
    password: 'agent',
    me: {
      id,
      username: id,
      name,
      presence: 'AVAILABLE',
      routingStatus: i < 3 ? 'INTERACTING' : 'IDLE',
      permissions: [],
      roles: ['agent'],
    },
  });
});
const customers = ['+1 555 0101', '+1 555 0177', '+1 555 0142'];
customers.forEach((num, i) => {
  const id = `conv-${i}`;
  server.upsert(
    {
      id,
      state: 'connected',
      startTime: new Date(Date.now() - (i + 1) * 97_000).toISOString(),
      participants: [
        {
          id: `${id}-c`,
          purpose: 'customer',
          name: `Customer ${num}`,
          address: `tel:${num}`,
          state: i === 1 ? 'held' : 'connected',
          held: i === 1,
        },
        { id: `${id}-a`, purpose: 'agent', userId: `a${i}`, name: agents[i]!, state: 'connected' },
      ],
    },
    'q1',
    false,
  );
});
server.addTimeline('conv-0', { type: 'participant.joined', participantId: 'conv-0-c' });
server.addTimeline('conv-0', { type: 'participant.joined', participantId: 'conv-0-a' });
const base = await server.listen();
const b = await launchBrowser();
const { page } = await b.newPage(base);
await page.goto('/');
await page.getByLabel('Username').fill('sam');
await page.getByLabel('Password').fill('supervisor');
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByRole('link', { name: 'Performance › Interactions' }).click();
await page.getByRole('link', { name: "Open Alice Agent's interaction" }).waitFor();
mkdirSync(out, { recursive: true });
await page.screenshot({ path: join(out, 'supervisor-interactions.png'), fullPage: true });
await page.getByRole('link', { name: 'Open interaction with Customer +1 555 0101' }).click();
await page.getByRole('button', { name: 'Supervise Customer +1 555 0101' }).click();
await page.getByRole('menuitem', { name: 'Monitor' }).click();
await page.getByText('You are monitoring').waitFor();
await page.getByRole('button', { name: 'Supervise Customer +1 555 0101' }).click();
await page.screenshot({ path: join(out, 'supervisor-details.png'), fullPage: true });
await b.close();
await server.close();
rmSync(dist, { recursive: true, force: true });
console.log(`screenshots in ${out}`);
