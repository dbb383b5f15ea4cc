import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listTimeline } from '../../src/store/conversation.repository.js';
import { listOrgs } from '../../src/store/org.repository.js';
import { acme, CallsHarness, HOST, TONES } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'earshot-crash-'));
const pids: number[] = [];
let h: CallsHarness | undefined;

afterAll(async () => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('graceful shutdown', () => {
  it('stops taking calls, ends every session and conversation on the timeline, hangs up every phone', async () => {
    const g = await CallsHarness.start();
    try {
      await g.provision(acme(9));
      const [alice, sam] = await Promise.all([
        g.phone('alice', TONES.agent, { sipUser: 'alice' }),
        g.phone('sam', TONES.supervisor, { sipUser: 'sam' }),
      ]);
      await g.available('alice', true);
      await g.available('sam');
      const customer = await g.phone('customer', TONES.customer);
      await customer.command('dial', `sip:5000@${HOST}:${g.sipPort}`);
      const cid = await g.liveConversationId();
      const agent = await g.participant(cid, (p) => p.purpose === 'agent' && p.state === 'connected', 15_000);
      const r = await g.api<{ participantId: string }>(
        'sam',
        'POST',
        `/conversations/calls/${cid}/participants/${agent.id}/monitor`,
        {},
      );
      await g.participant(cid, (p) => p.id === r.body.participantId && p.state === 'connected', 10_000);
      await g.calls.close();
      for (const phone of [alice, sam, customer])
        await phone.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, 'CALL_CLOSED');
      const tl = await g.timeline(cid);
      expect(tl.find((e) => e.type === 'monitor.ended')?.reason).toBe('conversation-ended');
      expect(tl.at(-1)?.type).toBe('conversation.ended');
      expect(await g.leftovers()).toEqual({ legs: [], mediaLegs: 0, live: 0 });
      // A new call is refused while stopping.
      const late = await g.phone('late', TONES.customer);
      await late.command('dial', `sip:5000@${HOST}:${g.sipPort}`);
      await late.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, 'refused');
      expect(String(late.events.find((e) => e.type === 'CALL_CLOSED')?.param ?? '')).toMatch(/503/);
    } finally {
      await g.close();
    }
  }, 60_000);
});

describe('crash recovery', () => {
  it('crash-recovery: after kill -9 during a monitored call, the restart closes the conversation and the session on the timeline', async () => {
    const dbFile = join(dir, 'earshot.db');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), dbFile],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child not ready in 45 s\n${err.slice(-4000)}`)), 45_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(t);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`child exited ${code}\n${err.slice(-4000)}`));
      });
    });
    const ready = JSON.parse(line) as { conversationId: string; monitorId: string; pids: number[] };
    pids.push(...ready.pids);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    for (const pid of ready.pids) process.kill(pid, 'SIGKILL');

    h = await CallsHarness.start({ dbFile });
    const orgId = await orgOf(h);
    const tl = await listTimeline(h.store.db, orgId, ready.conversationId);
    const types = (tl ?? []).map((e) => `${e.type}${e.reason ? `:${e.reason}` : ''}`);
    expect(types).toContain('monitor.started');
    const ended = (tl ?? []).find((e) => e.type === 'monitor.ended' && e.participantId === ready.monitorId);
    expect(ended?.reason, types.join(', ')).toBe('conversation-ended');
    expect(types.at(-1)).toMatch(/^conversation\.ended/);
    const admin = await h.services.conversations.get(orgId, ready.conversationId);
    expect(admin?.state).toBe('ended');
    expect(admin?.participants.every((p) => p.state === 'disconnected')).toBe(true);
  }, 90_000);
});

async function orgOf(h: CallsHarness): Promise<string> {
  return (await listOrgs(h.store.db))[0]!.id;
}
