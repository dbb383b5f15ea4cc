import { describe, expect, it } from 'vitest';
import { ConversationScenario } from './conversation-scenario.js';
import { hearingPlan, hears } from './hearing-plan.js';

/** An active call: customer talking with agent `alice`. */
function activeCall() {
  return new ConversationScenario().agentAnswers('alice');
}

describe('the seed table (SPEC §3), cell by cell', () => {
  it('active: the agent-monitor hears agent and customer', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice');
    expect(s.hears('sam')).toEqual(['alice', 'customer']);
  });

  it('active: the customer-monitor hears agent and customer', () => {
    const s = activeCall().supervise('sam', 'monitor', 'customer');
    expect(s.hears('sam')).toEqual(['alice', 'customer']);
  });

  it('customer on hold: the agent-monitor hears the agent only', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice');
    s.do({ type: 'hold', participantId: s.id('alice') });
    expect(s.participant('customer').state).toBe('held');
    expect(s.hears('sam')).toEqual(['alice']);
  });

  it('customer on hold: the customer-monitor hears the customer only', () => {
    const s = activeCall().supervise('sam', 'monitor', 'customer');
    s.do({ type: 'hold', participantId: s.id('alice') });
    expect(s.hears('sam')).toEqual(['customer']);
    expect(s.system('customer')).toBe('music');
    expect(s.system('sam')).toBe('none');
  });

  it('transfer: the agent-monitor hears the original agent only while its leg remains, then ends target-left', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice');
    s.do(
      {
        type: 'transfer',
        participantId: s.id('alice'),
        target: { kind: 'user', userId: 'u-bob', name: 'bob' },
      },
      'bob',
    );
    expect(s.hears('sam')).toEqual(['alice']);
    s.do({ type: 'answer', participantId: s.id('bob') });
    expect(s.hears('sam')).toEqual(['alice']);
    s.do({ type: 'disconnect', participantId: s.id('alice') });
    expect(s.participant('sam').state).toBe('disconnected');
    const ended = s.machine.timeline.find((e) => e.type === 'monitor.ended');
    expect(ended).toMatchObject({
      reason: 'target-left',
      participantId: s.id('sam'),
      targetParticipantId: s.id('alice'),
    });
  });

  it('transfer: the customer-monitor hears the customer, and the new agent once they answer', () => {
    const s = activeCall().supervise('sam', 'monitor', 'customer');
    s.do(
      {
        type: 'transfer',
        participantId: s.id('alice'),
        target: { kind: 'user', userId: 'u-bob', name: 'bob' },
      },
      'bob',
    );
    expect(s.hears('sam')).toEqual(['customer']);
    expect(s.system('customer')).toBe('ringback');
    s.do({ type: 'answer', participantId: s.id('bob') });
    expect(s.hears('sam')).toEqual(['bob', 'customer']);
    s.do({ type: 'disconnect', participantId: s.id('alice') });
    expect(s.hears('sam')).toEqual(['bob', 'customer']);
    expect(s.participant('sam').state).toBe('connected');
  });
});

describe('coaching (SPEC §3)', () => {
  it('coach of A on an active call: customer hears A only; A hears customer and coach; coach hears A and customer', () => {
    const s = activeCall().supervise('cora', 'coach', 'alice');
    expect(s.hears('customer')).toEqual(['alice']);
    expect(s.hears('alice')).toEqual(['cora', 'customer']);
    expect(s.hears('cora')).toEqual(['alice', 'customer']);
  });

  it('coach during hold: A hears the coach, the coach hears A, the held customer hears music only', () => {
    const s = activeCall().supervise('cora', 'coach', 'alice');
    s.do({ type: 'hold', participantId: s.id('alice') });
    expect(s.hears('alice')).toEqual(['cora']);
    expect(s.hears('cora')).toEqual(['alice']);
    expect(s.hears('customer')).toEqual([]);
    expect(s.system('customer')).toBe('music');
  });
});

describe('consult, conference, several supervisors', () => {
  function consult() {
    const s = activeCall();
    s.do(
      {
        type: 'consult.start',
        participantId: s.id('customer'),
        target: { kind: 'user', userId: 'u-bob', name: 'bob' },
      },
      'bob',
    );
    return s;
  }

  it('consult phase: agent and consulted party form an island while the customer is held', () => {
    const s = consult().supervise('sam', 'monitor', 'alice').supervise('mia', 'monitor', 'customer');
    expect(s.system('alice')).toBe('ringback');
    s.do({ type: 'answer', participantId: s.id('bob') });
    expect(s.hears('alice')).toEqual(['bob']);
    expect(s.hears('bob')).toEqual(['alice']);
    expect(s.hears('customer')).toEqual([]);
    expect(s.system('customer')).toBe('music');
    expect(s.hears('sam')).toEqual(['alice', 'bob']);
    expect(s.hears('mia')).toEqual(['customer']);
  });

  it('conference with two agents: everyone hears everyone else; the supervisor picks one agent (Multiple list)', () => {
    const s = consult();
    s.do({ type: 'answer', participantId: s.id('bob') }).do({ type: 'conference' });
    expect(s.hears('customer')).toEqual(['alice', 'bob']);
    expect(s.hears('alice')).toEqual(['bob', 'customer']);
    expect(s.hears('bob')).toEqual(['alice', 'customer']);
    s.supervise('cora', 'coach', 'bob');
    expect(s.hears('bob')).toEqual(['alice', 'cora', 'customer']);
    expect(s.hears('alice')).toEqual(['bob', 'customer']);
    expect(s.hears('customer')).toEqual(['alice', 'bob']);
    expect(s.hears('cora')).toEqual(['alice', 'bob', 'customer']);
  });

  it('two monitors at once: both hear the call, nobody hears either', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice').supervise('mia', 'monitor', 'customer');
    expect(s.hears('sam')).toEqual(['alice', 'customer']);
    expect(s.hears('mia')).toEqual(['alice', 'customer']);
    expect(s.hears('alice')).toEqual(['customer']);
    expect(s.hears('customer')).toEqual(['alice']);
  });

  it('a monitor and a coach at once: the monitor does not hear the coach; only the agent does', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice').supervise('cora', 'coach', 'alice');
    expect(s.hears('sam')).toEqual(['alice', 'customer']);
    expect(s.hears('cora')).toEqual(['alice', 'customer']);
    expect(s.hears('alice')).toEqual(['cora', 'customer']);
    expect(s.hears('customer')).toEqual(['alice']);
  });
});

describe('system audio and mute', () => {
  it('a waiting customer hears music; ringback while an agent is alerting; nothing once answered', () => {
    const s = new ConversationScenario();
    expect(s.system('customer')).toBe('music');
    s.do({ type: 'offer', userId: 'u-alice', name: 'alice' }, 'alice');
    expect(s.system('customer')).toBe('ringback');
    expect(s.hears('alice')).toBeUndefined();
    s.do({ type: 'answer', participantId: s.id('alice') });
    expect(s.system('customer')).toBe('none');
  });

  it('a muted participant is heard by nobody, monitors included', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice');
    s.do({ type: 'mute', participantId: s.id('alice'), muted: true });
    expect(s.hears('customer')).toEqual([]);
    expect(s.hears('sam')).toEqual(['customer']);
    expect(s.system('customer')).toBe('none');
  });

  it('a ringing supervisor hears nothing yet (no leg)', () => {
    const s = activeCall().supervise('sam', 'monitor', 'alice', false);
    expect(s.hears('sam')).toBeUndefined();
  });

  it('an ended conversation has no legs; hears() is false for unknown listeners', () => {
    const s = activeCall().do({ type: 'conversation.end' });
    const plan = hearingPlan(s.state);
    expect(plan.legs).toEqual([]);
    expect(hears(plan, 'nobody', s.id('alice'))).toBe(false);
  });
});
