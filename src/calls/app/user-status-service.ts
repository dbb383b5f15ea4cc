import type pino from 'pino';
import type { Presence, RoutingStatus } from '../../center/index.js';
import type { Db } from '../../store/database.js';
import { setPresence, setRoutingStatus } from '../../store/user.repository.js';
import type { Clock } from '../../util/clock.js';
import { TypedEmitter } from '../../util/typed-emitter.js';

/** A user's presence or routing status changed (written to the store before this is emitted). */
export interface UserStatusChanged {
  readonly orgId: string;
  readonly userId: string;
  readonly presence?: Presence;
  readonly routingStatus?: RoutingStatus;
}

export interface UserStatusServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: pino.Logger;
}

/**
 * Presence and routing status changes made through the API (an agent going on queue, becoming
 * AVAILABLE again after NOT_RESPONDING). The change is persisted, then announced on `onChange`:
 * call control's offer loop listens, so a waiting customer is offered at once instead of on a poll.
 */
export class UserStatusService {
  private readonly emitter = new TypedEmitter<{ change: [UserStatusChanged] }>();
  private changes = 0;

  constructor(private readonly deps: UserStatusServiceDeps) {
    this.emitter.onListenerError = (_event, err) =>
      this.deps.log.error({ err }, 'user status listener failed');
  }

  /** false when the user is not in `orgId` (nothing written, nothing announced). */
  async setPresence(orgId: string, userId: string, presence: Presence): Promise<boolean> {
    if (!(await setPresence(this.deps.db, orgId, userId, presence))) return false;
    this.announce({ orgId, userId, presence });
    return true;
  }

  /** false when the user is not in `orgId` (nothing written, nothing announced). */
  async setRoutingStatus(orgId: string, userId: string, status: RoutingStatus): Promise<boolean> {
    const at = new Date(this.deps.clock.now()).toISOString();
    if (!(await setRoutingStatus(this.deps.db, orgId, userId, status, at))) return false;
    this.announce({ orgId, userId, routingStatus: status });
    return true;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(fn: (change: UserStatusChanged) => void): () => void {
    this.emitter.on('change', fn);
    return () => this.emitter.off('change', fn);
  }

  private announce(change: UserStatusChanged): void {
    this.changes++;
    // TypedEmitter never lets a listener's exception reach us: a committed change stays a success.
    this.emitter.emit('change', change);
  }

  dump(): { changes: number; listeners: number } {
    return { changes: this.changes, listeners: this.emitter.listenerCount('change') };
  }
}
