import { describe, expect, it } from 'vitest';
import { toMediaPlan } from './media-plan.js';

describe('toMediaPlan', () => {
  it('maps each listening participant to a media leg of the same id', () => {
    expect(
      toMediaPlan({
        conversationId: 'c',
        legs: [
          { participantId: 'cust', hears: ['agent'], system: 'none' },
          { participantId: 'agent', hears: ['cust', 'coach'], system: 'none' },
          { participantId: 'mon', hears: [], system: 'none' },
          { participantId: 'held', hears: [], system: 'music' },
        ],
      }),
    ).toEqual({
      cust: { hears: ['agent'], system: 'none' },
      agent: { hears: ['cust', 'coach'], system: 'none' },
      mon: { hears: [], system: 'none' },
      held: { hears: [], system: 'music' },
    });
  });

  it('gives an empty plan for an ended conversation', () => {
    expect(toMediaPlan({ conversationId: 'c', legs: [] })).toEqual({});
  });
});
