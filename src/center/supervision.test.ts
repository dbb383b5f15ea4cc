import { describe, expect, it } from 'vitest';
import { CataloguedError } from '../util/catalogued-error.js';
import type { ConversationCommand, SupervisorContext } from './conversation-commands.js';
import { ConversationScenario, supervisorContext } from './conversation-scenario.js';
import { decide } from './decide.js';
import { PERMISSIONS } from './permissions.js';
import { agentScopedEvents, agentScopedView, toConversation } from './scoped-view.js';
import { checkSupervisionStart } from './supervision-rules.js';

function activeCall() {
  return new ConversationScenario().agentAnswers('alice');
}

/** Applies a command that must be refused with `code`, and checks that the state is exactly as it was. */
function expectRefused(s: ConversationScenario, command: ConversationCommand, code: string): void {
  const before = structuredClone(s.state);
  const env = { now: 1, newId: () => 'x' };
  let thrown: unknown;
  try {
    decide(s.state, command, env);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CataloguedError);
  expect((thrown as CataloguedError).code).toBe(code);
  expect(s.state).toEqual(before);
}

function start(
  s: ConversationScenario,
  target: string,
  sup: Partial<SupervisorContext> = {},
  mode: 'monitor' | 'coach' = 'monitor',
  monitorCap?: number,
): ConversationCommand {
  return {
    type: 'supervision.start',
    mode,
    targetParticipantId: s.id(target),
    supervisor: supervisorContext('sam', sup),
    ...(monitorCap === undefined ? {} : { monitorCap }),
  };
}

describe('supervision rules R1–R7 refuse with the codes of CONTRACT.md §4', () => {
  it('R1: a monitor needs conversation:call:monitor, a coach needs conversation:call:coach', () => {
    const s = activeCall();
    expectRefused(s, start(s, 'alice', { permissions: [PERMISSIONS.coach] }), 'PERMISSION_DENIED');
    expectRefused(s, start(s, 'alice', { permissions: [PERMISSIONS.monitor] }, 'coach'), 'PERMISSION_DENIED');
    s.do(start(s, 'alice', { permissions: [PERMISSIONS.monitor] }), 'sam');
    expect(s.participant('sam').purpose).toBe('monitor');
  });

  it('R2: the supervisor must have a selected phone', () => {
    const s = activeCall();
    expectRefused(s, start(s, 'alice', { selectedPhone: undefined }), 'NO_SELECTED_PHONE');
  });

  it('R3: the supervisor must be AVAILABLE', () => {
    const s = activeCall();
    expectRefused(s, start(s, 'alice', { presence: 'BUSY' }), 'SUPERVISOR_NOT_AVAILABLE');
  });

  it('R4: an ended conversation cannot be monitored; the target must be connected or held', () => {
    const s = new ConversationScenario();
    s.do({ type: 'offer', userId: 'u-alice', name: 'alice' }, 'alice');
    expectRefused(s, start(s, 'alice'), 'TARGET_NOT_SUPERVISABLE'); // alerting
    s.do({ type: 'answer', participantId: s.id('alice') }).do({ type: 'hold', participantId: s.id('alice') });
    s.do(start(s, 'customer'), 'sam'); // held customer: allowed
    s.do({ type: 'conversation.end' });
    expectRefused(s, start(s, 'alice', { userId: 'u-other' }), 'CONVERSATION_NOT_IN_PROGRESS');
    expectRefused(
      s,
      { type: 'supervision.answered', participantId: s.id('sam') },
      'CONVERSATION_NOT_IN_PROGRESS',
    );
  });

  it('R4: an unknown target is PARTICIPANT_NOT_FOUND', () => {
    const s = activeCall();
    expectRefused(
      s,
      { ...start(s, 'alice'), targetParticipantId: 'nope' } as ConversationCommand,
      'PARTICIPANT_NOT_FOUND',
    );
  });

  it('R6: a coach targets an agent only; a monitor targets an agent or a customer, never acd or a supervisor', () => {
    const s = new ConversationScenario();
    expectRefused(s, start(s, 'queue'), 'TARGET_NOT_SUPERVISABLE');
    s.agentAnswers('alice');
    expectRefused(s, start(s, 'customer', {}, 'coach'), 'TARGET_NOT_SUPERVISABLE');
    s.supervise('sam', 'monitor', 'customer');
    expectRefused(
      s,
      {
        type: 'supervision.start',
        mode: 'monitor',
        targetParticipantId: s.id('sam'),
        supervisor: supervisorContext('mia'),
      },
      'TARGET_NOT_SUPERVISABLE',
    );
  });

  it('R5: a participant of the call cannot supervise it', () => {
    const s = activeCall();
    expectRefused(s, start(s, 'customer', { userId: 'u-alice' }), 'SUPERVISOR_IS_PARTICIPANT');
  });

  it('R5: a second session on the same phone is refused (here or in another conversation)', () => {
    const s = activeCall();
    expectRefused(s, start(s, 'alice', { busy: true }), 'SUPERVISOR_BUSY');
    s.supervise('sam', 'monitor', 'customer');
    expectRefused(s, start(s, 'alice'), 'SUPERVISOR_BUSY');
  });

  it('R5 from the other side: a supervisor of the call cannot be offered or consulted into it', () => {
    const s = activeCall().supervise('sam', 'monitor', 'customer');
    expectRefused(
      s,
      {
        type: 'consult.start',
        participantId: s.id('customer'),
        target: { kind: 'user', userId: 'u-sam', name: 'sam' },
      },
      'USER_ALREADY_IN_CONVERSATION',
    );
  });

  it('R7: at most one coach per agent per call, even while the first coach is still ringing', () => {
    const s = activeCall().supervise('cora', 'coach', 'alice', false);
    expectRefused(s, start(s, 'alice', {}, 'coach'), 'AGENT_ALREADY_COACHED');
    s.do(start(s, 'alice'), 'sam'); // a monitor alongside is fine
  });

  it('R7: the monitor cap (default 5) refuses the next monitor', () => {
    const s = activeCall();
    for (let i = 0; i < 5; i++) s.supervise(`m${i}`, 'monitor', i % 2 ? 'alice' : 'customer');
    expectRefused(s, start(s, 'alice'), 'MONITOR_LIMIT_REACHED');
    const t = activeCall().supervise('m0', 'monitor', 'alice');
    expectRefused(t, start(t, 'alice', {}, 'monitor', 1), 'MONITOR_LIMIT_REACHED');
    expectRefused(t, start(t, 'alice', {}, 'monitor', -1), 'INVALID_COMMAND');
  });

  it('checkSupervisionStart pre-checks without changing anything and returns the target', () => {
    const s = activeCall();
    expect(checkSupervisionStart(s.state, 'coach', s.id('alice'), supervisorContext('sam')).id).toBe(
      s.id('alice'),
    );
  });
});

describe('session lifecycle R8, R10–R13', () => {
  it('R8: the supervisor participant is alerting until the phone answers; then the session starts', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice', false);
    expect(s.participant('sam').state).toBe('alerting');
    expect(s.eventTypes()).not.toContain('monitor.started');
    s.do({ type: 'supervision.answered', participantId: s.id('sam') });
    expect(s.machine.timeline.at(-1)).toMatchObject({
      type: 'monitor.started',
      participantId: s.id('sam'),
      targetParticipantId: s.id('alice'),
      userId: 'u-sam',
    });
  });

  it.each(['no-answer', 'declined', 'phone-unreachable'] as const)(
    'R8: a %s phone ends the attempt on the timeline',
    (reason) => {
      const s = activeCall().supervise('sam', 'coach', 'alice', false);
      s.do({ type: 'supervision.failed', participantId: s.id('sam'), reason });
      expect(s.participant('sam').state).toBe('disconnected');
      expect(s.machine.timeline.find((e) => e.type === 'supervision.failed')).toMatchObject({
        reason,
        mode: 'coach',
      });
      expect(s.eventTypes()).not.toContain('coach.started');
    },
  );

  it('R9: agent- and customer-scoped views and events never reveal a monitor or coach', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice').supervise('cora', 'coach', 'alice');
    s.do({ type: 'supervision.hung-up', participantId: s.id('cora') });
    s.do({
      type: 'supervision.switch',
      participantId: s.id('sam'),
      mode: 'coach',
      permissions: [PERMISSIONS.coach],
    });
    s.supervise('mia', 'monitor', 'customer', false);
    const view = agentScopedView(s.state);
    expect(view.participants.map((p) => p.purpose).sort()).toEqual(['acd', 'agent', 'customer']);
    const events = agentScopedEvents(s.machine.timeline);
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain(s.id('sam'));
    expect(JSON.stringify(events)).not.toContain(s.id('cora'));
    expect(JSON.stringify(view)).not.toMatch(/monitor|coach/);
  });

  it('R9: monitoring changes nothing for the agent or the customer (same plan legs for them)', () => {
    const a = activeCall();
    const b = activeCall().supervise('sam', 'monitor', 'alice');
    expect(b.hears('alice')).toEqual(a.hears('alice'));
    expect(b.hears('customer')).toEqual(a.hears('customer'));
  });

  it('R10: the supervisor shows in the full view as an internal participant with a monitor/coach marker', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice');
    const sam = toConversation(s.state).participants.find((p) => p.id === s.id('sam'));
    expect(sam).toMatchObject({
      purpose: 'monitor',
      userId: 'u-sam',
      name: 'sam',
      monitoredParticipantId: s.id('alice'),
      state: 'connected',
    });
    expect(sam).not.toHaveProperty('island');
  });

  it('R11: stop ends the session "stopped"; hang up ends it "supervisor-hung-up"', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice').supervise('cora', 'coach', 'alice');
    s.do({ type: 'disconnect', participantId: s.id('sam') });
    s.do({ type: 'supervision.hung-up', participantId: s.id('cora') });
    expect(
      s.machine.timeline
        .filter((e) => e.type.endsWith('.ended'))
        .map((e) => [e.type, 'reason' in e && e.reason]),
    ).toEqual([
      ['monitor.ended', 'stopped'],
      ['coach.ended', 'supervisor-hung-up'],
    ]);
  });

  it('R11: a coach session ends "target-left" when the coached agent leaves', () => {
    const s = activeCall().supervise('cora', 'coach', 'alice');
    s.do(
      {
        type: 'consult.start',
        participantId: s.id('customer'),
        target: { kind: 'user', userId: 'u-bob', name: 'bob' },
      },
      'bob',
    );
    s.do({ type: 'answer', participantId: s.id('bob') }).do({ type: 'consult.complete' });
    expect(s.machine.timeline.find((e) => e.type === 'coach.ended')).toMatchObject({ reason: 'target-left' });
    expect(s.state.state).toBe('active');
  });

  it('R11: every session ends "conversation-ended" when the conversation ends', () => {
    const s = activeCall().supervise('sam', 'monitor', 'customer').supervise('cora', 'coach', 'alice');
    s.do({ type: 'disconnect', participantId: s.id('customer') });
    s.do({ type: 'disconnect', participantId: s.id('alice') });
    const ends = s.machine.timeline.filter(
      (e) => e.type.endsWith('.ended') && e.type !== 'conversation.ended',
    );
    expect(ends.map((e) => 'reason' in e && e.reason)).toEqual(['target-left', 'conversation-ended']);
    expect(s.state.state).toBe('ended');
    expect(s.eventTypes().at(-1)).toBe('conversation.ended');
  });

  it('R12: an atomic switch monitor ⇄ coach keeps the leg and records one end and one start', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice');
    const n = s.machine.timeline.length;
    s.do({
      type: 'supervision.switch',
      participantId: s.id('sam'),
      mode: 'coach',
      permissions: [PERMISSIONS.coach],
    });
    expect(s.machine.timeline.slice(n).map((e) => e.type)).toEqual(['monitor.ended', 'coach.started']);
    expect(s.participant('sam')).toMatchObject({
      purpose: 'coach',
      coachedParticipantId: s.id('alice'),
      state: 'connected',
    });
    expect(s.participant('sam').monitoredParticipantId).toBeUndefined();
    expect(s.hears('alice')).toEqual(['customer', 'sam']);
    s.do({
      type: 'supervision.switch',
      participantId: s.id('sam'),
      mode: 'monitor',
      permissions: [PERMISSIONS.monitor],
    });
    expect(s.hears('alice')).toEqual(['customer']);
    expect(
      s.machine.timeline.slice(n).map((e) => ('reason' in e ? `${e.type}:${e.reason}` : e.type)),
    ).toEqual(['monitor.ended:switched', 'coach.started', 'coach.ended:switched', 'monitor.started']);
  });

  it('R12: a switch is checked like a start (permission, coach target, one coach per agent, cap, same mode)', () => {
    const s = activeCall()
      .supervise('sam', 'monitor', 'customer')
      .supervise('mia', 'monitor', 'alice')
      .supervise('cora', 'coach', 'alice');
    const sw = (
      who: string,
      mode: 'monitor' | 'coach',
      permissions: string[] = [PERMISSIONS.monitor, PERMISSIONS.coach],
      monitorCap?: number,
    ): ConversationCommand => ({
      type: 'supervision.switch',
      participantId: s.id(who),
      mode,
      permissions,
      ...(monitorCap === undefined ? {} : { monitorCap }),
    });
    expectRefused(s, sw('sam', 'coach'), 'TARGET_NOT_SUPERVISABLE');
    expectRefused(s, sw('mia', 'coach'), 'AGENT_ALREADY_COACHED');
    expectRefused(s, sw('mia', 'coach', [PERMISSIONS.monitor]), 'PERMISSION_DENIED');
    expectRefused(s, sw('cora', 'monitor', undefined, 2), 'MONITOR_LIMIT_REACHED');
    expectRefused(s, sw('sam', 'monitor'), 'INVALID_STATE');
  });

  it('R13: the timeline records who, mode, target, start, end and end reason of every session', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice');
    const startedAt = s.clock.now();
    s.do({ type: 'supervision.stop', participantId: s.id('sam') });
    const started = s.machine.timeline.find((e) => e.type === 'monitor.started');
    const ended = s.machine.timeline.find((e) => e.type === 'monitor.ended');
    expect(started).toMatchObject({ userId: 'u-sam', targetParticipantId: s.id('alice'), at: startedAt });
    expect(ended).toMatchObject({ userId: 'u-sam', reason: 'stopped', at: s.clock.now() });
    expect(s.participant('sam').endTime).toBe(s.clock.now());
  });
});

describe('bad supervision input leaves the state exactly as it was', () => {
  it('answering, failing or hanging up in the wrong state, stopping twice, a non-supervisor', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice', false);
    expectRefused(s, { type: 'supervision.hung-up', participantId: s.id('sam') }, 'INVALID_STATE');
    expectRefused(
      s,
      {
        type: 'supervision.switch',
        participantId: s.id('sam'),
        mode: 'coach',
        permissions: [PERMISSIONS.coach],
      },
      'INVALID_STATE',
    );
    expectRefused(s, { type: 'supervision.answered', participantId: s.id('alice') }, 'INVALID_STATE');
    s.do({ type: 'supervision.answered', participantId: s.id('sam') });
    expectRefused(s, { type: 'supervision.answered', participantId: s.id('sam') }, 'INVALID_STATE');
    expectRefused(
      s,
      { type: 'supervision.failed', participantId: s.id('sam'), reason: 'declined' },
      'INVALID_STATE',
    );
    s.do({ type: 'supervision.stop', participantId: s.id('sam') });
    expectRefused(s, { type: 'supervision.stop', participantId: s.id('sam') }, 'INVALID_STATE');
    expectRefused(s, { type: 'supervision.stop', participantId: 'ghost' }, 'PARTICIPANT_NOT_FOUND');
  });

  it('stopping a still-ringing attempt cancels it without any session event', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice', false);
    s.do({ type: 'supervision.stop', participantId: s.id('sam') });
    expect(s.participant('sam')).toMatchObject({ state: 'disconnected' });
    expect(s.eventTypes().filter((t) => t.startsWith('monitor.'))).toEqual([]);
  });
});
