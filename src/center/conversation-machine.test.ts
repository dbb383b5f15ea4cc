import { describe, expect, it } from 'vitest';
import { FakeClock } from '../util/clock.js';
import { ConversationMachine } from './conversation-machine.js';

function machine() {
  let n = 0;
  const clock = new FakeClock(1_000);
  const m = ConversationMachine.inbound(
    { orgId: 'o', customer: { name: 'c' }, queue: { id: 'q', name: 'Q' } },
    clock,
    () => `p${++n}`,
  );
  return { m, clock };
}

describe('ConversationMachine', () => {
  it('stamps events with the injected clock and keeps the timeline', () => {
    const { m, clock } = machine();
    clock.advance(5_000);
    const d = m.apply({ type: 'offer', userId: 'u1', name: 'Ann' });
    expect(d.events[0]).toMatchObject({ type: 'participant.alerting', at: 6_000, userId: 'u1' });
    expect(m.timeline.map((e) => e.type)).toEqual([
      'conversation.started',
      'participant.connected',
      'participant.connected',
      'queue.entered',
      'participant.alerting',
    ]);
    expect(m.state.startTime).toBe(1_000);
  });

  it('recomputes the cached plan after each change, and a refused command changes nothing', () => {
    const { m } = machine();
    const p1 = m.plan();
    expect(m.plan()).toBe(p1);
    const agent = m.apply({ type: 'offer', userId: 'u1', name: 'Ann' }).participantId!;
    expect(m.plan()).not.toBe(p1);
    expect(m.plan().legs[0]?.system).toBe('ringback');
    const before = m.state;
    const n = m.timeline.length;
    expect(() => m.apply({ type: 'resume', participantId: agent })).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE' }),
    );
    expect(m.state).toBe(before);
    expect(m.timeline.length).toBe(n);
  });

  it('dump() shows participants, islands and the plan', () => {
    const { m } = machine();
    const d = m.apply({ type: 'offer', userId: 'u1', name: 'Ann' });
    m.apply({ type: 'answer', participantId: d.participantId! });
    const dump = m.dump();
    expect(dump.state).toBe('active');
    expect(dump.participants.map((p) => p.purpose)).toEqual(['customer', 'acd', 'agent']);
    expect(dump.plan).toEqual([
      `p2 hears [${d.participantId}] + none`,
      `${d.participantId} hears [p2] + none`,
    ]);
    expect(dump.timelineLength).toBe(m.timeline.length);
  });

  it('an outbound machine starts with the agent connected and the number ringing', () => {
    const m = ConversationMachine.outbound(
      { orgId: 'o', agent: { userId: 'u1', name: 'Ann' }, address: '+1555' },
      new FakeClock(),
      (() => {
        let k = 0;
        return () => `x${++k}`;
      })(),
    );
    expect(m.state.participants.map((p) => `${p.purpose}:${p.state}`)).toEqual([
      'agent:connected',
      'customer:alerting',
    ]);
  });
});
