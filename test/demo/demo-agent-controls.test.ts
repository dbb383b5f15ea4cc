/**
 * The simulated agents' call controls through the real server: with certainty of a hold and of a
 * transfer, one customer's call is held and resumed by its first agent, blind-transferred to the other
 * agent, held again, and ended by the second agent — after which the customer hangs up too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/demo/demo-random.js';
import type { AgentCallEnded } from '../../src/demo/simulated-agent.js';
import { listTimeline } from '../../src/store/conversation.repository.js';
import { DEMO_AGENTS, type DemoServer, startDemoServer } from './demo-server.js';

const dir = mkdtempSync(join(tmpdir(), 'earshot-demo-controls-'));
let server: DemoServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('simulated agents on a real call', () => {
  it('hold and resume through the API, one blind transfer, then the last agent hangs up and the customer call ends', async () => {
    server = await startDemoServer({
      dbFile: join(dir, 'demo.db'),
      traffic: {
        agents: DEMO_AGENTS.slice(0, 2),
        maxConcurrentCalls: 1,
        callsPerMinute: 0.01,
        firstCallAfterMs: 200,
        patienceMs: 60_000,
        random: seededRandom(42),
        agentBehaviour: { talkMs: [2500, 2500], holdChance: 1, holdMs: [500, 500], transferChance: 1 },
      },
    });
    const ends: AgentCallEnded[] = [];
    for (const a of server.traffic.agents) a.on('ended', (e) => ends.push(e));
    const deadline = Date.now() + 20_000;
    // Both agents' calls end, and then the one customer's.
    while (
      (ends.length < 2 || server.traffic.dump().placed === 0 || server.traffic.customers.size > 0) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 50)); // a bounded condition poll
    expect(ends.map((e) => e.reason)).toEqual(['transferred', 'local-hangup']);
    expect(new Set(ends.map((e) => e.agent)).size).toBe(2);
    expect(ends[1]?.customerAddress).toMatch(/^sip:\+1555\d{6}@127\.0\.0\.1$/);
    expect(server.traffic.customers.size).toBe(0);

    const conv = await server.store.db
      .selectFrom('conversations')
      .select(['id', 'org_id'])
      .executeTakeFirstOrThrow();
    const timeline = (await listTimeline(server.store.db, conv.org_id, conv.id)) ?? [];
    const types = timeline.map((e) => e.type);
    expect(types.filter((t) => t === 'participant.held')).toHaveLength(2);
    expect(types.filter((t) => t === 'participant.resumed')).toHaveLength(2);
    expect(types.filter((t) => t === 'transfer.blind')).toHaveLength(1);
    expect(types.at(-1)).toBe('conversation.ended');
    // The queue's acd party left when the first agent answered; both agents hung up (their BYEs); the
    // customer's leg ended last — by its own BYE or by the server ending the call when no agent remains.
    const lefts = timeline.filter((e) => e.type === 'participant.left');
    expect(lefts.slice(0, 3).map((e) => e.reason)).toEqual(['answered', 'hung-up', 'hung-up']);
    expect(['hung-up', 'conversation-ended']).toContain(lefts[3]?.reason);
    expect(lefts).toHaveLength(4);
    // Order: the transferring agent, then the second agent, then the customer.
    const agentIds = timeline
      .filter((e) => e.type === 'participant.connected' && e.userId)
      .map((e) => e.participantId);
    expect(lefts.slice(1, 3).map((e) => e.participantId)).toEqual(agentIds);
  }, 40_000);
});
