import type pino from 'pino';
import type { ConversationEvent } from '../../center/index.js';
import { appendAudit } from '../../store/audit.repository.js';
import type { Db } from '../../store/database.js';
import type { Clock } from '../../util/clock.js';
import type { ConversationChanged, NotificationBus } from './notification-bus.js';

export interface SessionEndAuditDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly bus: NotificationBus;
  readonly log: pino.Logger;
}

/**
 * Sessions that end by themselves are audited from the domain events: `monitor.ended` /
 * `coach.ended` with reason `supervisor-hung-up`, `target-left` or `conversation-ended` become an
 * audit record `{action: "monitor.end" | "coach.end", outcome: "ended", reason}` whose actor is the
 * supervisor of the session (no source address: nobody asked for it). The two reasons an API
 * caller causes — `stopped` and `switched` — are audited by `SupervisionService.stop/switchMode`
 * with that caller (who may be an admin) and their address, so they are skipped here.
 */
export class SessionEndAudit {
  private readonly pending = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly deps: SessionEndAuditDeps) {
    this.unsubscribe = deps.bus.subscribe((change) => this.onChange(change));
  }

  private onChange(change: ConversationChanged): void {
    for (const e of change.events) {
      if (e.type !== 'monitor.ended' && e.type !== 'coach.ended') continue;
      if (e.reason === 'stopped' || e.reason === 'switched') continue;
      this.track(this.write(change.conversation.orgId, e));
    }
  }

  private async write(
    orgId: string,
    e: Extract<ConversationEvent, { type: 'monitor.ended' | 'coach.ended' }>,
  ): Promise<void> {
    await appendAudit(this.deps.db, {
      orgId,
      at: new Date(e.at).toISOString(),
      actorUserId: e.userId,
      action: e.type === 'monitor.ended' ? 'monitor.end' : 'coach.end',
      outcome: 'ended',
      conversationId: e.conversationId,
      participantId: e.participantId,
      targetParticipantId: e.targetParticipantId,
      reason: e.reason,
    });
    this.deps.log.info({ event: e.type, reason: e.reason, userId: e.userId }, 'supervision audit');
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err) => this.deps.log.error({ err }, 'session end not audited'));
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }

  /** Settles once every audit write started so far has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  dump(): { pendingWrites: number; closed: boolean } {
    return { pendingWrites: this.pending.size, closed: this.closed };
  }

  /** Stops listening and waits for the writes in flight. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.unsubscribe();
    }
    await this.idle();
  }
}
