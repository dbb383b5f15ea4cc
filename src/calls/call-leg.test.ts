import { describe, expect, it } from 'vitest';
import { FakeClock } from '../util/clock.js';
import { CallLeg, LegState } from './call-leg.js';

function leg(clock = new FakeClock(), state: LegState.Inviting | LegState.Up = LegState.Inviting) {
  return new CallLeg(
    {
      participantId: 'p1',
      conversationId: 'c1',
      orgId: 'o1',
      purpose: 'agent',
      direction: 'outbound',
      state,
      target: 'sip:alice@127.0.0.1',
    },
    clock,
  );
}

describe('CallLeg', () => {
  it('walks inviting → ringing → up → ended', () => {
    const l = leg();
    l.transition(LegState.Ringing);
    l.transition(LegState.Up);
    l.transition(LegState.Ended);
    expect(l.state).toBe(LegState.Ended);
    expect(l.ended).toBe(true);
  });

  it('rejects illegal transitions with CALLS_ILLEGAL_TRANSITION', () => {
    const l = leg(new FakeClock(), LegState.Up);
    expect(() => l.transition(LegState.Ringing)).toThrow(
      expect.objectContaining({ code: 'CALLS_ILLEGAL_TRANSITION' }),
    );
    l.transition(LegState.Ended);
    expect(() => l.transition(LegState.Up)).toThrow(
      expect.objectContaining({ code: 'CALLS_ILLEGAL_TRANSITION' }),
    );
  });

  it('fires the ring timer on fake time while ringing', () => {
    const clock = new FakeClock();
    const l = leg(clock);
    let fired = 0;
    l.armRingTimer(30_000, () => fired++);
    l.transition(LegState.Ringing);
    clock.advance(29_999);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
    expect(l.ringTimerPending).toBe(false);
  });

  it('clears the ring timer on answer and on end', () => {
    const clock = new FakeClock();
    const a = leg(clock);
    a.armRingTimer(1000, () => expect.unreachable('answered legs do not time out'));
    a.transition(LegState.Up);
    const b = leg(clock);
    b.armRingTimer(1000, () => expect.unreachable('ended legs do not time out'));
    b.transition(LegState.Ended);
    expect(clock.pending).toBe(0);
    clock.advance(5000);
  });

  it('does not arm a ring timer on an answered leg', () => {
    const clock = new FakeClock();
    const l = leg(clock, LegState.Up);
    l.armRingTimer(1000, () => undefined);
    expect(clock.pending).toBe(0);
    expect(l.dump()).toMatchObject({ state: 'up', ringTimer: false });
  });
});
