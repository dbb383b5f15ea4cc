import type pino from 'pino';
import type { Db } from '../../store/database.js';
import type { Clock } from '../../util/clock.js';
import { AuthService } from './auth-service.js';
import { type CallSideEffects, NoopCallSideEffects } from './call-side-effects.js';
import { ConversationService } from './conversation-service.js';
import { InProcessNotificationBus, type NotificationBus } from './notification-bus.js';
import { SessionEndAudit } from './session-end-audit.js';
import { SupervisionService } from './supervision-service.js';
import { UserStatusService } from './user-status-service.js';

export interface AppServices {
  readonly db: Db;
  readonly clock: Clock;
  readonly bus: NotificationBus;
  readonly effects: CallSideEffects;
  readonly auth: AuthService;
  readonly conversations: ConversationService;
  readonly supervision: SupervisionService;
  /** Presence / routing status changes (announced: the offer loop reacts to agents going on queue). */
  readonly users: UserStatusService;
  /** Audits sessions that end by themselves (from the domain events). */
  readonly sessionAudit: SessionEndAudit;
  close(): Promise<void>;
}

export interface AppServicesOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: pino.Logger;
  readonly monitorCap: number;
  readonly tokenTtlS: number;
  readonly effects?: CallSideEffects;
  readonly bus?: NotificationBus;
}

/** Wires the application services (no Fastify here). */
export function createAppServices(o: AppServicesOptions): AppServices {
  const bus = o.bus ?? new InProcessNotificationBus();
  const effects = o.effects ?? new NoopCallSideEffects();
  const conversations = new ConversationService({
    db: o.db,
    clock: o.clock,
    bus,
    effects,
    log: o.log.child({ module: 'calls.conversations' }),
  });
  const supervision = new SupervisionService({
    db: o.db,
    clock: o.clock,
    conversations,
    effects,
    monitorCap: o.monitorCap,
    log: o.log.child({ module: 'calls.supervision' }),
  });
  const users = new UserStatusService({
    db: o.db,
    clock: o.clock,
    log: o.log.child({ module: 'calls.users' }),
  });
  const auth = new AuthService({ db: o.db, clock: o.clock, tokenTtlS: o.tokenTtlS });
  const sessionAudit = new SessionEndAudit({
    db: o.db,
    clock: o.clock,
    bus,
    log: o.log.child({ module: 'calls.session-audit' }),
  });
  return {
    db: o.db,
    clock: o.clock,
    bus,
    effects,
    auth,
    conversations,
    supervision,
    users,
    sessionAudit,
    async close() {
      await conversations.close();
      await sessionAudit.close();
    },
  };
}
