import { describe, expect, it } from 'vitest';
import { CataloguedError } from '../util/catalogued-error.js';
import type { Queue, User } from './org-types.js';
import { phoneAutoAnswers } from './org-types.js';
import { permissionsForRoles } from './permissions.js';
import { nextWaiting, pickAgent, requireAgent, waitingOrder } from './routing.js';
import { nextRoutingStatus, presenceAfter, routingStatusAfter } from './routing-status.js';

function user(id: string, since: number, over: Partial<User> = {}): User {
  return {
    id,
    orgId: 'o',
    username: id,
    name: id,
    roles: ['agent'],
    presence: 'AVAILABLE',
    routingStatus: 'IDLE',
    routingStatusSince: since,
    ...over,
  };
}

const queue: Queue = {
  id: 'q',
  orgId: 'o',
  name: 'Support',
  number: '5000',
  memberIds: ['a', 'b', 'c', 'd', 'x'],
};

describe('routing: longest-idle, on-queue, idle, available member', () => {
  it('picks the member idle the longest', () => {
    expect(pickAgent(queue, [user('a', 30), user('b', 10), user('c', 20)])?.id).toBe('b');
  });

  it('skips members not IDLE, not AVAILABLE, busy elsewhere, of another org, or not members', () => {
    const users = [
      user('a', 1, { routingStatus: 'INTERACTING' }),
      user('b', 2, { presence: 'BREAK' }),
      user('c', 3),
      user('d', 4),
      user('x', 0, { orgId: 'other' }),
      user('z', 0),
    ];
    expect(pickAgent(queue, users, new Set(['c']))?.id).toBe('d');
    expect(pickAgent(queue, users, new Set(['c', 'd']))).toBeUndefined();
  });

  it('breaks ties by user id, and requireAgent refuses NO_AGENT_AVAILABLE', () => {
    expect(pickAgent(queue, [user('c', 5), user('b', 5)])?.id).toBe('b');
    expect(() => requireAgent(queue, [user('a', 1, { routingStatus: 'OFF_QUEUE' })])).toThrow(
      expect.objectContaining({ code: 'NO_AGENT_AVAILABLE' }),
    );
  });

  it('queue waiting order is first come, first served (stable on equal times)', () => {
    const entries = [
      { conversationId: 'c3', queueId: 'q', since: 30 },
      { conversationId: 'c1', queueId: 'q', since: 10 },
      { conversationId: 'cx', queueId: 'other', since: 5 },
      { conversationId: 'c2', queueId: 'q', since: 10 },
    ];
    expect(waitingOrder(entries, 'q').map((e) => e.conversationId)).toEqual(['c1', 'c2', 'c3']);
    expect(nextWaiting(entries, 'q')?.conversationId).toBe('c1');
    expect(nextWaiting(entries, 'none')).toBeUndefined();
    expect(waitingOrder(entries)[0]?.conversationId).toBe('cx');
  });
});

describe('routing status transitions', () => {
  it('IDLE → INTERACTING on answer → IDLE on call end, moving routingStatusSince', () => {
    const u = user('a', 0);
    const talking = routingStatusAfter(u, 'answered', 100);
    expect(talking).toMatchObject({ routingStatus: 'INTERACTING', routingStatusSince: 100 });
    expect(routingStatusAfter(talking, 'call-ended', 200)).toMatchObject({
      routingStatus: 'IDLE',
      routingStatusSince: 200,
    });
  });

  it('IDLE → NOT_RESPONDING on no answer; back on queue → IDLE; off queue from anywhere', () => {
    const nr = routingStatusAfter(user('a', 0), 'not-responding', 5);
    expect(nr.routingStatus).toBe('NOT_RESPONDING');
    expect(routingStatusAfter(nr, 'go-on-queue', 6).routingStatus).toBe('IDLE');
    for (const s of ['IDLE', 'INTERACTING', 'NOT_RESPONDING', 'OFF_QUEUE'] as const) {
      expect(nextRoutingStatus(s, 'go-off-queue')).toBe('OFF_QUEUE');
    }
  });

  it('self-loops return the same user; illegal transitions throw INVALID_STATE', () => {
    const u = user('a', 0);
    expect(routingStatusAfter(u, 'go-on-queue', 9)).toBe(u);
    let err: unknown;
    try {
      routingStatusAfter(u, 'call-ended', 9);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CataloguedError);
    expect((err as CataloguedError).code).toBe('INVALID_STATE');
    expect(nextRoutingStatus('INTERACTING', 'answered')).toBeUndefined();
  });

  it('presence is free; roles grant permissions; remote phones ring', () => {
    const u = user('a', 0);
    expect(presenceAfter(u, 'AVAILABLE')).toBe(u);
    expect(presenceAfter(u, 'MEAL').presence).toBe('MEAL');
    expect(permissionsForRoles(['agent'])).not.toContain('conversation:call:monitor');
    expect(permissionsForRoles(['supervisor'])).toEqual(
      expect.arrayContaining([
        'conversation:call:monitor',
        'conversation:call:coach',
        'analytics:conversation:view',
      ]),
    );
    expect(permissionsForRoles(['admin'])).toContain('admin:provision');
    expect([phoneAutoAnswers('sip'), phoneAutoAnswers('webrtc'), phoneAutoAnswers('remote')]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
