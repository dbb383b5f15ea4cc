import { describe, expect, it } from 'vitest';
import { ConversationScenario } from './conversation-scenario.js';

/**
 * A supervisor's phone still rings when the conversation ends (or the target leaves): the attempt
 * failed and the timeline says so (`supervision.failed`, reason `no-answer`: the phone had not
 * answered while there was something to supervise), not only `participant.left`.
 */
describe('a session attempt still ringing when the conversation ends or its target leaves', () => {
  it('conversation ends: supervision.failed no-answer, then participant.left conversation-ended', () => {
    const s = new ConversationScenario().agentAnswers('alice').supervise('sam', 'coach', 'alice', false);
    s.do({ type: 'conversation.end' });
    const sam = s.id('sam');
    const about = s.machine.timeline.filter((e) => 'participantId' in e && e.participantId === sam);
    expect(about.map((e) => e.type)).toEqual([
      'participant.alerting',
      'supervision.failed',
      'participant.left',
    ]);
    expect(about[1]).toMatchObject({
      type: 'supervision.failed',
      reason: 'no-answer',
      mode: 'coach',
      userId: 'u-sam',
      targetParticipantId: s.id('alice'),
    });
    expect(about[2]).toMatchObject({ reason: 'conversation-ended' });
    expect(s.participant('sam').state).toBe('disconnected');
    expect(s.eventTypes()).not.toContain('coach.ended');
  });

  it('the last party hangs up: same record', () => {
    const s = new ConversationScenario().agentAnswers('alice').supervise('sam', 'monitor', 'customer', false);
    s.do({ type: 'disconnect', participantId: s.id('customer') });
    s.do({ type: 'disconnect', participantId: s.id('alice') });
    expect(s.state.state).toBe('ended');
    expect(s.machine.timeline.filter((e) => e.type === 'supervision.failed')).toEqual([
      expect.objectContaining({ participantId: s.id('sam'), reason: 'no-answer', mode: 'monitor' }),
    ]);
  });

  it('the target leaves while the phone rings: supervision.failed no-answer, participant.left target-left', () => {
    const s = new ConversationScenario().agentAnswers('alice').supervise('sam', 'monitor', 'customer', false);
    s.do({ type: 'disconnect', participantId: s.id('customer') });
    const types = s.machine.timeline.filter((e) => 'participantId' in e && e.participantId === s.id('sam'));
    expect(types.map((e) => [e.type, 'reason' in e ? e.reason : undefined])).toEqual([
      ['participant.alerting', undefined],
      ['supervision.failed', 'no-answer'],
      ['participant.left', 'target-left'],
    ]);
  });

  it('a connected session still ends *.ended conversation-ended, with no supervision.failed', () => {
    const s = new ConversationScenario().agentAnswers('alice').supervise('sam', 'monitor', 'alice');
    s.do({ type: 'conversation.end' });
    expect(s.eventTypes()).toContain('monitor.ended');
    expect(s.eventTypes()).not.toContain('supervision.failed');
  });

  it('a ringing attempt stopped by the supervisor is a stop, not a failure', () => {
    const s = new ConversationScenario().agentAnswers('alice').supervise('sam', 'monitor', 'alice', false);
    s.do({ type: 'supervision.stop', participantId: s.id('sam') });
    expect(s.eventTypes()).not.toContain('supervision.failed');
    expect(s.participant('sam').endReason).toBe('stopped');
  });
});
