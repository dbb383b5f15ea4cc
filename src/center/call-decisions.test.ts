import { describe, expect, it } from 'vitest';
import { CataloguedError } from '../util/catalogued-error.js';
import type { ConversationCommand } from './conversation-commands.js';
import { ConversationScenario } from './conversation-scenario.js';
import { startOutboundConversation } from './conversation-start.js';
import { decide } from './decide.js';
import { hearingPlan } from './hearing-plan.js';

function activeCall() {
  return new ConversationScenario().agentAnswers('alice');
}

function expectRefused(s: ConversationScenario, command: ConversationCommand, code: string): void {
  const before = structuredClone(s.state);
  let thrown: unknown;
  try {
    decide(s.state, command, { now: 1, newId: () => 'x' });
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CataloguedError);
  expect((thrown as CataloguedError).code).toBe(code);
  expect(s.state).toEqual(before);
}

const bob = { kind: 'user', userId: 'u-bob', name: 'bob' } as const;

describe('inbound call: queue, offer, answer, no answer', () => {
  it('a customer arriving on a queue waits with the acd participant and a timeline', () => {
    const s = new ConversationScenario();
    expect(s.state.participants.map((p) => [p.purpose, p.state])).toEqual([
      ['customer', 'connected'],
      ['acd', 'connected'],
    ]);
    expect(s.eventTypes()).toEqual([
      'conversation.started',
      'participant.connected',
      'participant.connected',
      'queue.entered',
    ]);
  });

  it('the agent answers: the acd leaves (answered), the agent is connected with a connectedTime', () => {
    const s = activeCall();
    expect(s.participant('queue')).toMatchObject({ state: 'disconnected', endReason: 'answered' });
    expect(s.participant('alice')).toMatchObject({ state: 'connected', connectedTime: s.clock.now() });
  });

  it('no answer: the agent leaves NOT_RESPONDING and the next agent is offered', () => {
    const s = new ConversationScenario();
    s.do({ type: 'offer', userId: 'u-alice', name: 'alice' }, 'alice');
    expectRefused(s, { type: 'offer', userId: 'u-bob', name: 'bob' }, 'INVALID_STATE'); // one offer at a time
    s.do({ type: 'no-answer', participantId: s.id('alice') });
    expect(s.eventTypes()).toContain('participant.not-responding');
    expect(s.participant('alice')).toMatchObject({ state: 'disconnected', endReason: 'no-answer' });
    expect(s.system('customer')).toBe('music');
    s.agentAnswers('bob');
    expect(s.hears('customer')).toEqual(['bob']);
  });

  it('an outbound call rings the number (agent hears ringback) until answered', () => {
    let n = 0;
    const r = startOutboundConversation(
      { orgId: 'o', agent: { userId: 'u-a', name: 'A' }, address: '+15550100' },
      { now: 5, newId: () => `id${++n}` },
    );
    const agent = r.conversation.participants[0]!;
    expect(hearingPlan(r.conversation).legs).toEqual([
      { participantId: agent.id, hears: [], system: 'ringback' },
    ]);
    const after = decide(
      r.conversation,
      { type: 'answer', participantId: r.participantId! },
      { now: 6, newId: () => 'z' },
    );
    expect(hearingPlan(after.conversation).legs.map((l) => l.hears)).toEqual([[r.participantId], [agent.id]]);
  });
});

describe('hold, resume, mute', () => {
  it('hold on the agent holds the customer; resume on the agent or on the customer brings it back', () => {
    const s = activeCall();
    s.do({ type: 'hold', participantId: s.id('alice') });
    expect(s.participant('customer')).toMatchObject({ state: 'held', held: true });
    s.do({ type: 'resume', participantId: s.id('alice') });
    expect(s.participant('customer')).toMatchObject({ state: 'connected', held: false });
    s.do({ type: 'hold', participantId: s.id('alice') }).do({
      type: 'resume',
      participantId: s.id('customer'),
    });
    expect(s.hears('customer')).toEqual(['alice']);
  });

  it('resume a party that is not held, hold with nobody to hold, hold a customer: refused, state unchanged', () => {
    const s = activeCall();
    expectRefused(s, { type: 'resume', participantId: s.id('customer') }, 'INVALID_STATE');
    expectRefused(s, { type: 'resume', participantId: s.id('alice') }, 'INVALID_STATE');
    expectRefused(s, { type: 'hold', participantId: s.id('customer') }, 'INVALID_STATE');
    s.do({ type: 'hold', participantId: s.id('alice') });
    expectRefused(s, { type: 'hold', participantId: s.id('alice') }, 'INVALID_STATE');
    expectRefused(s, { type: 'hold', participantId: 'ghost' }, 'PARTICIPANT_NOT_FOUND');
  });

  it('mute is idempotent and refused on the acd', () => {
    const s = activeCall();
    s.do({ type: 'mute', participantId: s.id('customer'), muted: true });
    const n = s.machine.timeline.length;
    s.do({ type: 'mute', participantId: s.id('customer'), muted: true });
    expect(s.machine.timeline.length).toBe(n);
    expect(s.hears('alice')).toEqual([]);
    s.do({ type: 'mute', participantId: s.id('customer'), muted: false });
    expect(s.hears('alice')).toEqual(['customer']);
    expectRefused(s, { type: 'mute', participantId: s.id('queue'), muted: true }, 'INVALID_STATE');
  });
});

describe('blind transfer', () => {
  it('to a queue: the customer waits with music again; the agent is detached until it disconnects', () => {
    const s = activeCall();
    s.do({
      type: 'transfer',
      participantId: s.id('alice'),
      target: { kind: 'queue', queueId: 'q2', name: 'Sales' },
    });
    expect(s.system('customer')).toBe('music');
    expect(s.hears('alice')).toEqual([]);
    expect(s.eventTypes().slice(-2)).toEqual(['transfer.blind', 'queue.entered']);
    s.do({ type: 'disconnect', participantId: s.id('alice') }).agentAnswers('bob');
    expect(s.hears('customer')).toEqual(['bob']);
  });

  it('to a number: an external party rings for the customer', () => {
    const s = activeCall();
    s.do(
      { type: 'transfer', participantId: s.id('alice'), target: { kind: 'address', address: '+15550199' } },
      'ext',
    );
    expect(s.participant('ext')).toMatchObject({
      purpose: 'customer',
      state: 'alerting',
      address: '+15550199',
    });
    s.do({ type: 'answer', participantId: s.id('ext') });
    expect(s.hears('customer')).toEqual(['ext']);
  });

  it('a held customer is transferred too; transferring to oneself or with nobody is refused', () => {
    const s = activeCall();
    expectRefused(
      s,
      {
        type: 'transfer',
        participantId: s.id('alice'),
        target: { kind: 'user', userId: 'u-alice', name: 'a' },
      },
      'USER_ALREADY_IN_CONVERSATION',
    );
    s.do({ type: 'hold', participantId: s.id('alice') });
    s.do({ type: 'transfer', participantId: s.id('alice'), target: bob }, 'bob');
    expect(s.participant('customer').state).toBe('connected');
    expect(s.system('customer')).toBe('ringback');
    expectRefused(
      s,
      { type: 'transfer', participantId: s.id('alice'), target: { kind: 'queue', queueId: 'q', name: 'Q' } },
      'INVALID_STATE',
    );
    s.do({ type: 'answer', participantId: s.id('bob') });
    expectRefused(
      s,
      {
        type: 'transfer',
        participantId: s.id('bob'),
        target: { kind: 'user', userId: 'u-alice', name: 'a' },
      },
      'USER_ALREADY_IN_CONVERSATION',
    );
  });
});

describe('consult transfer and conference', () => {
  function consult() {
    const s = activeCall();
    s.do({ type: 'consult.start', participantId: s.id('customer'), target: bob }, 'bob');
    return s;
  }

  it('complete: the consulting agent leaves (transferred) and the customer talks with the consulted agent', () => {
    const s = consult();
    expectRefused(s, { type: 'consult.complete' }, 'INVALID_STATE'); // bob still rings
    s.do({ type: 'answer', participantId: s.id('bob') }).do({
      type: 'disconnect',
      participantId: s.id('alice'),
    });
    expect(s.participant('alice')).toMatchObject({ state: 'disconnected', endReason: 'transferred' });
    expect(s.hears('customer')).toEqual(['bob']);
    expect(s.state.consult).toBeUndefined();
    expect(s.eventTypes()).toContain('consult.completed');
  });

  it('cancel: the consulted party leaves and the customer is back with the agent', () => {
    const s = consult();
    s.do({ type: 'answer', participantId: s.id('bob') }).do({
      type: 'disconnect',
      participantId: s.id('bob'),
    });
    expect(s.hears('customer')).toEqual(['alice']);
    expect(s.eventTypes()).toContain('consult.cancelled');
    const t = consult().do({ type: 'consult.cancel' });
    expect(t.participant('bob')).toMatchObject({ state: 'disconnected', endReason: 'consult-cancelled' });
    expect(t.hears('alice')).toEqual(['customer']);
  });

  it('the consulted agent not answering cancels the consult', () => {
    const s = consult();
    s.do({ type: 'no-answer', participantId: s.id('bob') });
    expect(s.hears('customer')).toEqual(['alice']);
  });

  it('the consulting agent hanging up while the consulted party rings cancels it; the customer stays', () => {
    const s = consult();
    s.do({ type: 'disconnect', participantId: s.id('alice') });
    expect(s.participant('bob').state).toBe('disconnected');
    expect(s.state.state).toBe('active');
    expect(s.participant('customer').state).toBe('connected');
  });

  it('a consult in progress refuses hold, resume, a second consult and a blind transfer', () => {
    const s = consult();
    expectRefused(s, { type: 'hold', participantId: s.id('alice') }, 'INVALID_STATE');
    expectRefused(s, { type: 'resume', participantId: s.id('customer') }, 'INVALID_STATE');
    expectRefused(
      s,
      { type: 'consult.start', participantId: s.id('customer'), target: { kind: 'address', address: '1' } },
      'INVALID_STATE',
    );
    expectRefused(s, { type: 'transfer', participantId: s.id('alice'), target: bob }, 'INVALID_STATE');
    expectRefused(s, { type: 'conference' }, 'INVALID_STATE');
  });

  it('no consult: complete, cancel and conference are refused', () => {
    const s = activeCall();
    expectRefused(s, { type: 'consult.complete' }, 'INVALID_STATE');
    expectRefused(s, { type: 'consult.cancel' }, 'INVALID_STATE');
    expectRefused(s, { type: 'conference' }, 'INVALID_STATE');
  });
});

describe('disconnect and conversation end', () => {
  it('the last customer/agent leg ending ends the conversation; every command is then refused', () => {
    const s = activeCall();
    s.do({ type: 'disconnect', participantId: s.id('customer') });
    expect(s.state.state).toBe('active');
    s.do({ type: 'disconnect', participantId: s.id('alice') });
    expect(s.state).toMatchObject({ state: 'ended', endTime: s.clock.now() });
    expectRefused(s, { type: 'conversation.end' }, 'CONVERSATION_NOT_IN_PROGRESS');
    expectRefused(s, { type: 'resume', participantId: s.id('customer') }, 'CONVERSATION_NOT_IN_PROGRESS');
  });

  it('disconnecting twice, answering a connected agent, an unknown command: refused', () => {
    const s = activeCall();
    expectRefused(s, { type: 'answer', participantId: s.id('alice') }, 'INVALID_STATE');
    expectRefused(s, { type: 'no-answer', participantId: s.id('alice') }, 'INVALID_STATE');
    expectRefused(s, { type: 'answer', participantId: s.id('queue') }, 'INVALID_STATE');
    expectRefused(s, { type: 'teleport' } as unknown as ConversationCommand, 'INVALID_COMMAND');
    s.do({ type: 'transfer', participantId: s.id('alice'), target: bob }, 'bob');
    s.do({ type: 'disconnect', participantId: s.id('alice') });
    expectRefused(s, { type: 'disconnect', participantId: s.id('alice') }, 'INVALID_STATE');
  });

  it('offer needs a waiting customer and a user not already on the call', () => {
    const s = activeCall();
    expectRefused(s, { type: 'offer', userId: 'u-bob', name: 'bob' }, 'INVALID_STATE');
    const t = new ConversationScenario();
    t.do({ type: 'offer', userId: 'u-alice', name: 'alice' }, 'alice').do({
      type: 'no-answer',
      participantId: t.id('alice'),
    });
    t.agentAnswers('bob').do({
      type: 'transfer',
      participantId: t.id('bob'),
      target: { kind: 'queue', queueId: 'q', name: 'Q' },
    });
    expectRefused(t, { type: 'offer', userId: 'u-bob', name: 'bob' }, 'USER_ALREADY_IN_CONVERSATION');
  });

  it('decide never modifies its input', () => {
    const s = activeCall();
    const frozen = structuredClone(s.state);
    decide(s.state, { type: 'hold', participantId: s.id('alice') }, { now: 9, newId: () => 'n' });
    expect(s.state).toEqual(frozen);
  });
});
