import { describe, expect, it } from 'vitest';
import { CataloguedError } from '../util/catalogued-error.js';
import { errorCatalogue } from './center-errors.js';
import type { ConversationCommand } from './conversation-commands.js';
import { ConversationScenario, supervisorContext } from './conversation-scenario.js';
import { decide } from './decide.js';
import { currentInteractionOf, inProgressInteractions } from './interactions.js';
import { requireAgent } from './routing.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CataloguedError) return err.code;
    throw err;
  }
  return 'none';
}

describe('the domain error catalogue', () => {
  it('every code is produced by some command, with its HTTP status', () => {
    const s = new ConversationScenario().agentAnswers('alice').supervise('cora', 'coach', 'alice');
    const ended = new ConversationScenario().agentAnswers('alice').do({ type: 'conversation.end' });
    const env = { now: 0, newId: () => 'n' };
    const on = (c: ConversationScenario, cmd: ConversationCommand) => () => decide(c.state, cmd, env);
    const start = (
      over: Parameters<typeof supervisorContext>[1],
      mode: 'monitor' | 'coach' = 'monitor',
      target = 'alice',
      cap?: number,
    ) =>
      on(s, {
        type: 'supervision.start',
        mode,
        targetParticipantId: s.id(target),
        supervisor: supervisorContext('sam', over),
        ...(cap === undefined ? {} : { monitorCap: cap }),
      });
    const produced = new Map<string, number | undefined>();
    const cases = [
      start({ permissions: [] }),
      start({ selectedPhone: undefined }),
      start({ presence: 'OFFLINE' }),
      on(ended, { type: 'conversation.end' }),
      start({}, 'coach', 'customer'),
      start({ userId: 'u-alice' }),
      start({ busy: true }),
      start({}, 'coach'),
      start({}, 'monitor', 'alice', 0),
      on(s, { type: 'resume', participantId: s.id('customer') }),
      on(s, { type: 'mute', participantId: 'ghost', muted: true }),
      on(s, {
        type: 'transfer',
        participantId: s.id('alice'),
        target: { kind: 'user', userId: 'u-cora', name: 'c' },
      }),
      () => requireAgent({ id: 'q', orgId: 'o', name: 'Q', number: '1', memberIds: [] }, []),
      on(s, { type: 'nonsense' } as unknown as ConversationCommand),
    ];
    for (const fn of cases) {
      try {
        fn();
      } catch (err) {
        if (err instanceof CataloguedError) produced.set(err.code, err.http);
        else throw err;
      }
    }
    expect([...produced.keys()].sort()).toEqual(Object.keys(errorCatalogue).sort());
    for (const [code, http] of produced)
      expect(http).toBe(errorCatalogue[code as keyof typeof errorCatalogue].http);
  });
});

describe('R14: the views supervisors reach conversations from', () => {
  it('Performance > Interactions lists in-progress conversations; each on-queue agent shows their current one', () => {
    const a = new ConversationScenario().agentAnswers('alice');
    const b = new ConversationScenario('other customer').agentAnswers('bob');
    const done = new ConversationScenario().agentAnswers('carl').do({ type: 'conversation.end' });
    const all = [done.state, b.state, a.state];
    const list = inProgressInteractions(all);
    expect(list).toHaveLength(2);
    expect(list).toContain(a.state);
    expect(list).toContain(b.state);
    expect(list).not.toContain(done.state);
    expect(currentInteractionOf('u-alice', all)).toBe(a.state);
    expect(currentInteractionOf('u-carl', all)).toBeUndefined();
    expect(codeOf(() => decide(done.state, { type: 'conversation.end' }, { now: 0, newId: () => 'x' }))).toBe(
      'CONVERSATION_NOT_IN_PROGRESS',
    );
  });
});
