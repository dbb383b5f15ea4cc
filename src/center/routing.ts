import { centerError } from './center-errors.js';
import type { Queue, User } from './org-types.js';

/**
 * SPEC §4: "the longest-idle on-queue member is offered the call". A member is routable when on
 * queue and `IDLE`, `AVAILABLE`, and not busy elsewhere (offered or talking in another conversation,
 * which only the caller knows). Longest idle = earliest `routingStatusSince`; ties by user id, so the
 * choice is deterministic.
 */
export function isRoutable(user: User, busyUserIds: ReadonlySet<string>): boolean {
  return user.routingStatus === 'IDLE' && user.presence === 'AVAILABLE' && !busyUserIds.has(user.id);
}

export function pickAgent(
  queue: Queue,
  users: readonly User[],
  busyUserIds: ReadonlySet<string> = new Set(),
): User | undefined {
  let best: User | undefined;
  for (const u of users) {
    if (u.orgId !== queue.orgId || !queue.memberIds.includes(u.id) || !isRoutable(u, busyUserIds)) continue;
    if (
      !best ||
      u.routingStatusSince < best.routingStatusSince ||
      (u.routingStatusSince === best.routingStatusSince && u.id < best.id)
    ) {
      best = u;
    }
  }
  return best;
}

/** `pickAgent`, or `NO_AGENT_AVAILABLE`. */
export function requireAgent(queue: Queue, users: readonly User[], busyUserIds?: ReadonlySet<string>): User {
  const u = pickAgent(queue, users, busyUserIds);
  if (!u) throw centerError('NO_AGENT_AVAILABLE', `no member of queue ${queue.name} can take the call`);
  return u;
}

/** A conversation waiting in a queue. */
export interface WaitingEntry {
  readonly conversationId: string;
  readonly queueId: string;
  /** Epoch ms the customer entered the queue. */
  readonly since: number;
}

/**
 * Queue waiting order: first come, first served. Sorted by `since`; equal times keep their input
 * (arrival) order. Returns a new array.
 */
export function waitingOrder(entries: readonly WaitingEntry[], queueId?: string): WaitingEntry[] {
  const list = queueId === undefined ? [...entries] : entries.filter((e) => e.queueId === queueId);
  return list.sort((a, b) => a.since - b.since);
}

/** The conversation to serve next in a queue, if any. */
export function nextWaiting(entries: readonly WaitingEntry[], queueId: string): WaitingEntry | undefined {
  let best: WaitingEntry | undefined;
  for (const e of entries) if (e.queueId === queueId && (!best || e.since < best.since)) best = e;
  return best;
}
