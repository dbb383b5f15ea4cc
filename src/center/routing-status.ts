import { centerError } from './center-errors.js';
import type { Presence, RoutingStatus, User } from './org-types.js';

/** What happens to a user, as far as routing is concerned. */
export type RoutingEvent = 'go-on-queue' | 'go-off-queue' | 'answered' | 'not-responding' | 'call-ended';

/**
 * A user's routing status (SPEC §1, §4). Self-loops change nothing (idempotent API calls).
 * ```
 *              go-on-queue               answered
 *  OFF_QUEUE ──────────────► IDLE ─────────────────► INTERACTING
 *   ▲  │ answered,             ▲ │ ▲    call-ended        │
 *   │  └ call-ended (loop)     │ │ └──────────────────────┘
 *   │                          │ │ not-responding (offer not answered in time)
 *   │              go-on-queue │ ▼
 *   └─── go-off-queue ──── NOT_RESPONDING          (go-off-queue from any state)
 * ```
 * An agent off queue may still take direct calls (outbound, consult): their status stays OFF_QUEUE.
 */
const TABLE: Readonly<Record<RoutingStatus, Partial<Record<RoutingEvent, RoutingStatus>>>> = {
  OFF_QUEUE: {
    'go-on-queue': 'IDLE',
    'go-off-queue': 'OFF_QUEUE',
    answered: 'OFF_QUEUE',
    'call-ended': 'OFF_QUEUE',
  },
  IDLE: {
    'go-on-queue': 'IDLE',
    'go-off-queue': 'OFF_QUEUE',
    answered: 'INTERACTING',
    'not-responding': 'NOT_RESPONDING',
  },
  INTERACTING: { 'go-off-queue': 'OFF_QUEUE', 'call-ended': 'IDLE' },
  NOT_RESPONDING: { 'go-on-queue': 'IDLE', 'go-off-queue': 'OFF_QUEUE' },
};

/** The routing status a user reaches on `event`, or undefined when the transition is illegal. */
export function nextRoutingStatus(status: RoutingStatus, event: RoutingEvent): RoutingStatus | undefined {
  return TABLE[status][event];
}

/**
 * The one place that assigns a user's routing status. `routingStatusSince` moves only when the status
 * changes (longest-idle routing orders by it). Illegal transitions throw `INVALID_STATE`.
 */
export function routingStatusAfter(user: User, event: RoutingEvent, now: number): User {
  const next = nextRoutingStatus(user.routingStatus, event);
  if (next === undefined) {
    throw centerError('INVALID_STATE', `user ${user.id} is ${user.routingStatus}: cannot ${event}`, {
      userId: user.id,
    });
  }
  if (next === user.routingStatus) return user;
  return { ...user, routingStatus: next, routingStatusSince: now };
}

/** Presence is the user's own choice: any value may follow any other. */
export function presenceAfter(user: User, presence: Presence): User {
  return user.presence === presence ? user : { ...user, presence };
}
