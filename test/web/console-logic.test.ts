import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../web/src/lib/backoff.js';
import { agentView, isInProgress, otherListeners, sections } from '../../web/src/lib/conversation-view.js';
import { parseRoute, routeHref } from '../../web/src/lib/route.js';
import { supervisionMenu, switchOption } from '../../web/src/lib/supervision-menu.js';
import { sessionsFromTimeline } from '../../web/src/lib/timeline-sessions.js';
import { tonePower } from '../../web/src/lib/tone-power.js';
import type { Conversation, Me, Participant } from '../../web/src/lib/types.js';

const sup = (over: Partial<Me> = {}): Me => ({
  id: 'sup',
  name: 'Sam',
  presence: 'AVAILABLE',
  routingStatus: 'OFF_QUEUE',
  permissions: ['conversation:call:monitor', 'conversation:call:coach', 'analytics:conversation:view'],
  phone: { kind: 'webrtc', sipUser: 'sam' },
  ...over,
});
const cust: Participant = { id: 'c', purpose: 'customer', name: 'Carol', state: 'connected' };
const agent = (id: string, state: Participant['state'] = 'connected'): Participant => ({
  id,
  purpose: 'agent',
  userId: `u-${id}`,
  name: `Agent ${id}`,
  state,
});
const conv = (...participants: Participant[]): Conversation => ({
  id: 'k',
  state: 'connected',
  participants,
});
const labels = (items: ReturnType<typeof supervisionMenu>) =>
  items.map((i) => (i.disabledReason ? `${i.label} [${i.disabledReason}]` : i.label));

describe('supervision menu (R1–R7 as the console previews them)', () => {
  it('offers Monitor on the customer and Monitor and Coach on an agent', () => {
    const c = conv(cust, agent('a'));
    expect(labels(supervisionMenu(sup(), c, cust, false))).toEqual(['Monitor']);
    expect(labels(supervisionMenu(sup(), c, agent('a'), false))).toEqual(['Monitor', 'Coach']);
  });

  it('disables with the reason: not Available, no phone, own call, already coached, no permission', () => {
    const a = agent('a');
    expect(labels(supervisionMenu(sup({ presence: 'BUSY' }), conv(cust, a), a, false))).toEqual([
      'Monitor [You are not Available]',
      'Coach [You are not Available]',
    ]);
    expect(labels(supervisionMenu(sup({ phone: null }), conv(cust, a), cust, false))).toEqual([
      'Monitor [No phone selected]',
    ]);
    const own = { ...agent('me'), userId: 'sup' };
    expect(labels(supervisionMenu(sup(), conv(cust, own), cust, false))).toEqual(['Monitor [Your own call]']);
    const other: Participant = {
      id: 'x',
      purpose: 'coach',
      userId: 'sup2',
      name: 'Zed',
      state: 'connected',
      coachedParticipantId: 'a',
    };
    expect(labels(supervisionMenu(sup(), conv(cust, a, other), a, false))).toEqual([
      'Monitor',
      'Coach [Agent already coached]',
    ]);
    expect(labels(supervisionMenu(sup({ permissions: [] }), conv(cust, a), cust, false))).toEqual([
      'Monitor [No permission]',
    ]);
    expect(
      labels(supervisionMenu(sup(), conv(cust, agent('b', 'alerting')), agent('b', 'alerting'), false))[0],
    ).toBe('Monitor [Participant not connected]');
    expect(labels(supervisionMenu(sup(), conv(cust, a), cust, true))).toEqual([
      'Monitor [Interaction has ended]',
    ]);
  });

  it('offers only Stop on my session target, nothing on other participants', () => {
    const mine: Participant = {
      id: 'm',
      purpose: 'monitor',
      userId: 'sup',
      name: 'Sam',
      state: 'connected',
      monitoredParticipantId: 'c',
    };
    const c = conv(cust, agent('a'), mine);
    expect(labels(supervisionMenu(sup(), c, cust, false))).toEqual(['Stop Monitoring']);
    expect(supervisionMenu(sup(), c, agent('a'), false)).toEqual([]);
    const coach: Participant = {
      ...mine,
      purpose: 'coach',
      monitoredParticipantId: undefined,
      coachedParticipantId: 'a',
    } as Participant;
    expect(labels(supervisionMenu(sup(), conv(cust, agent('a'), coach), agent('a'), false))).toEqual([
      'Stop Coaching',
    ]);
  });

  it('switches atomically on an agent target and restarts on the agent when monitoring the customer', () => {
    const onAgent: Participant = {
      id: 'm',
      purpose: 'monitor',
      userId: 'sup',
      name: 'Sam',
      state: 'connected',
      monitoredParticipantId: 'a',
    };
    expect(switchOption(sup(), conv(cust, agent('a'), onAgent))).toEqual({ to: 'coach' });
    const onCust = { ...onAgent, monitoredParticipantId: 'c' };
    expect(switchOption(sup(), conv(cust, agent('a'), agent('b'), onCust), 'b')).toEqual({
      to: 'coach',
      restartOn: 'b',
    });
    expect(switchOption(sup(), conv(cust, onCust))?.disabledReason).toBe('No agent to coach');
    expect(switchOption(sup(), conv(cust, agent('a')))).toBeUndefined();
  });
});

describe('conversation views', () => {
  it('never shows monitor or coach participants on the agent view (R9)', () => {
    const m: Participant = { id: 'm', purpose: 'monitor', userId: 'sup', name: 'Sam', state: 'connected' };
    const k: Participant = { id: 'k', purpose: 'coach', userId: 'sup2', name: 'Zed', state: 'connected' };
    expect(agentView(conv(cust, agent('a'), m, k)).participants.map((p) => p.id)).toEqual(['c', 'a']);
  });

  it('splits Internal (agents and supervisors) from External and lists the other listeners', () => {
    const m: Participant = { id: 'm', purpose: 'monitor', userId: 'sup2', name: 'Zed', state: 'connected' };
    const acd: Participant = { id: 'q', purpose: 'acd', name: 'Support', state: 'connected' };
    const c = conv(cust, agent('a'), acd, m, agent('gone', 'disconnected'));
    const s = sections(c);
    expect(s.internal.map((p) => p.id)).toEqual(['a', 'm']);
    expect(s.external.map((p) => p.id)).toEqual(['c']);
    expect(otherListeners(c, 'sup').map((p) => p.id)).toEqual(['m']);
    expect(otherListeners(c, 'sup2')).toEqual([]);
  });

  it('is in progress until the last customer or agent leg ends', () => {
    expect(isInProgress(conv(cust))).toBe(true);
    expect(
      isInProgress(
        conv(
          { ...cust, state: 'disconnected' },
          { id: 'm', purpose: 'monitor', name: 'S', state: 'connected' },
        ),
      ),
    ).toBe(false);
    expect(isInProgress({ ...conv(cust), state: 'disconnected' })).toBe(false);
  });
});

describe('timeline sessions (R13)', () => {
  it('pairs starts and ends, a switch ending one session and starting the next', () => {
    const s = sessionsFromTimeline([
      { type: 'participant.joined', at: 't0', participantId: 'c' },
      { type: 'monitor.started', at: 't1', participantId: 'm', targetParticipantId: 'c' },
      { type: 'monitor.ended', at: 't2', participantId: 'm', reason: 'switched' },
      { type: 'coach.started', at: 't2', participantId: 'm', targetParticipantId: 'a' },
      { type: 'coach.ended', at: 't3', participantId: 'm', reason: 'stopped' },
      { type: 'monitor.started', at: 't4', participantId: 'n', targetParticipantId: 'a' },
    ]);
    expect(s.map((x) => [x.mode, x.start, x.end, x.reason])).toEqual([
      ['monitor', 't1', 't2', 'switched'],
      ['coach', 't2', 't3', 'stopped'],
      ['monitor', 't4', undefined, undefined],
    ]);
  });
});

describe('tone power (the in-page hearing probe)', () => {
  const rate = 48_000;
  const tone = (n: number, ...parts: [number, number][]) =>
    Float32Array.from({ length: n }, (_, i) =>
      parts.reduce((s, [f, a]) => s + a * Math.sin((2 * Math.PI * f * i) / rate), 0),
    );

  it('gives ~1 for a pure tone, ~0.5 each for two equal tones, ~0 elsewhere and for silence', () => {
    const pure = tone(24_000, [440, 0.5]);
    expect(tonePower(pure, rate, 440)).toBeGreaterThan(0.9);
    expect(tonePower(pure, rate, 1000)).toBeLessThan(0.01);
    const two = tone(24_000, [440, 0.3], [1000, 0.3]);
    expect(tonePower(two, rate, 440)).toBeGreaterThan(0.4);
    expect(tonePower(two, rate, 440)).toBeLessThan(0.6);
    expect(tonePower(two, rate, 1000)).toBeGreaterThan(0.4);
    expect(tonePower(new Float32Array(24_000), rate, 440)).toBe(0);
  });

  it('finds a tone in noise but not noise alone', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return (seed / 2 ** 31) * 2 - 1;
    };
    const noise = Float32Array.from({ length: 24_000 }, () => 0.05 * rnd());
    expect(tonePower(noise, rate, 440)).toBeLessThan(0.01);
    const mixed = tone(24_000, [440, 0.5]).map((x, i) => x + (noise[i] ?? 0));
    expect(tonePower(mixed, rate, 440)).toBeGreaterThan(0.8);
  });
});

describe('routes and backoff', () => {
  it('round-trips the console routes through the hash', () => {
    for (const r of [
      { page: 'interactions' },
      { page: 'interaction', id: 'a b/c' },
      { page: 'admin', tab: 'phones' },
      { page: 'agent' },
    ] as const)
      expect(parseRoute(routeHref(r))).toEqual(r);
    expect(parseRoute('')).toEqual({ page: 'agent' });
    expect(parseRoute('#/nope')).toEqual({ page: 'not-found' });
  });

  it('backs off exponentially up to the cap', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 500, 15_000, 0.2, mid))).toEqual([
      500, 1000, 2000, 4000, 15_000,
    ]);
    expect(backoffDelay(0, 500, 15_000, 0.2, () => 0)).toBe(400);
  });
});
