import type pino from 'pino';
import {
  type ConversationRecord,
  centerError,
  PERMISSIONS,
  type SupervisionMode,
  type SupervisorContext,
} from '../../center/index.js';
import { appendAudit } from '../../store/audit.repository.js';
import type { Db } from '../../store/database.js';
import { findPhoneOfUser } from '../../store/phone.repository.js';
import { findUser } from '../../store/user.repository.js';
import { CataloguedError } from '../../util/catalogued-error.js';
import type { Clock } from '../../util/clock.js';
import { appError } from './app-errors.js';
import type { CallSideEffects } from './call-side-effects.js';
import type { ConversationService } from './conversation-service.js';
import { can, type Principal } from './principal.js';

export interface SupervisionServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly conversations: ConversationService;
  readonly effects: CallSideEffects;
  readonly monitorCap: number;
  readonly log: pino.Logger;
}

const live = (p: { state: string }) => p.state !== 'disconnected';
const isSession = (p: { purpose: string }) => p.purpose === 'monitor' || p.purpose === 'coach';

/**
 * Monitor and coach (R1–R13) on top of the conversation service: builds the supervisor's context
 * (presence, selected phone, busy anywhere), lets the domain decide, calls the supervisor's phone
 * through the `CallSideEffects` port, and audits every attempt — started, refused (with its code),
 * ended — with who, when, from where and why.
 */
export class SupervisionService {
  constructor(private readonly deps: SupervisionServiceDeps) {}

  async start(
    who: Principal,
    conversationId: string,
    targetParticipantId: string,
    mode: SupervisionMode,
    reason?: string,
  ): Promise<{ participantId: string; state: string }> {
    const base = { action: `${mode}.start`, conversationId, targetParticipantId, reason };
    try {
      // R1: function-level check first, so a caller without the permission learns nothing about ids.
      if (!can(who, mode === 'monitor' ? PERMISSIONS.monitor : PERMISSIONS.coach)) {
        throw centerError('PERMISSION_DENIED', `${who.username} may not ${mode}`);
      }
      const supervisor = await this.context(who);
      const d = await this.deps.conversations.apply(who.orgId, conversationId, {
        type: 'supervision.start',
        mode,
        targetParticipantId,
        supervisor,
        monitorCap: this.deps.monitorCap,
      });
      const participant = d.conversation.participants.find((p) => p.id === d.participantId);
      if (!participant || !supervisor.selectedPhone)
        throw new Error('supervision.start created no participant');
      // The supervisor's phone is called before the audit write (a transaction): click to audio.
      const phone = await findPhoneOfUser(this.deps.db, who.orgId, who.userId);
      if (phone) {
        this.deps.effects.placeSupervisorLeg({
          conversationId,
          participantId: participant.id,
          userId: who.userId,
          mode,
          phone,
        });
      }
      await this.audit(who, { ...base, outcome: 'started', participantId: participant.id });
      return { participantId: participant.id, state: participant.state };
    } catch (err) {
      const code = err instanceof CataloguedError ? err.code : 'INTERNAL';
      await this.audit(who, { ...base, outcome: 'refused', code });
      throw err;
    }
  }

  /** The supervisor's phone answered (reported by call control; tests drive it directly until then). */
  async supervisorAnswered(orgId: string, conversationId: string, participantId: string): Promise<void> {
    await this.deps.conversations.apply(orgId, conversationId, {
      type: 'supervision.answered',
      participantId,
    });
  }

  /** Stop from the details page (`PATCH … {"state":"disconnected"}` on the supervisor's participant). */
  async stop(who: Principal, conversationId: string, participantId: string, reason?: string): Promise<void> {
    const target = this.sessionParticipant(who, conversationId, participantId);
    await this.deps.conversations.apply(who.orgId, conversationId, {
      type: 'supervision.stop',
      participantId,
    });
    this.deps.effects.releaseLeg(conversationId, participantId);
    await this.audit(who, {
      action: `${target.purpose}.stop`,
      outcome: 'ended',
      conversationId,
      participantId,
      targetParticipantId: target.monitoredParticipantId ?? target.coachedParticipantId,
      reason: reason ?? 'stopped',
    });
  }

  /** R12: atomic switch on the same leg. */
  async switchMode(
    who: Principal,
    conversationId: string,
    participantId: string,
    mode: SupervisionMode,
  ): Promise<void> {
    const target = this.sessionParticipant(who, conversationId, participantId);
    const base = {
      action: `${mode}.switch`,
      conversationId,
      participantId,
      targetParticipantId: target.monitoredParticipantId ?? target.coachedParticipantId,
    };
    try {
      await this.deps.conversations.apply(who.orgId, conversationId, {
        type: 'supervision.switch',
        participantId,
        mode,
        permissions: who.permissions,
        monitorCap: this.deps.monitorCap,
      });
    } catch (err) {
      await this.audit(who, {
        ...base,
        outcome: 'refused',
        code: err instanceof CataloguedError ? err.code : 'INTERNAL',
      });
      throw err;
    }
    await this.audit(who, { ...base, outcome: 'ended', reason: 'switched' });
    await this.audit(who, { ...base, outcome: 'started' });
  }

  private sessionParticipant(who: Principal, conversationId: string, participantId: string) {
    const c = this.deps.conversations.record(who.orgId, conversationId);
    const p = c?.participants.find((x) => x.id === participantId);
    if (!c || !p) throw appError('NOT_FOUND', `no participant ${participantId}`);
    if (!isSession(p))
      throw centerError('INVALID_COMMAND', `${participantId} is not a supervisor participant`);
    if (p.userId !== who.userId && !can(who, PERMISSIONS.provision)) {
      throw centerError('PERMISSION_DENIED', 'only the supervisor or an admin stops or switches a session');
    }
    return p;
  }

  private async context(who: Principal): Promise<SupervisorContext> {
    const user = await findUser(this.deps.db, who.orgId, who.userId);
    if (!user) throw appError('UNAUTHENTICATED', 'the caller no longer exists');
    const phone = await findPhoneOfUser(this.deps.db, who.orgId, who.userId);
    return {
      userId: user.id,
      name: user.name,
      permissions: who.permissions,
      presence: user.presence,
      ...(phone ? { selectedPhone: { id: phone.id, kind: phone.kind } } : {}),
      busy: this.busy(who.userId),
    };
  }

  /** R5: a session already runs on this supervisor's phone in any live conversation. */
  private busy(userId: string): boolean {
    for (const c of this.deps.conversations.records() as Iterable<ConversationRecord>) {
      if (c.participants.some((p) => isSession(p) && live(p) && p.userId === userId)) return true;
    }
    return false;
  }

  private async audit(
    who: Principal,
    r: {
      action: string;
      outcome: 'started' | 'refused' | 'ended';
      code?: string | undefined;
      conversationId?: string | undefined;
      participantId?: string | undefined;
      targetParticipantId?: string | undefined;
      reason?: string | undefined;
    },
  ): Promise<void> {
    await appendAudit(this.deps.db, {
      orgId: who.orgId,
      at: new Date(this.deps.clock.now()).toISOString(),
      actorUserId: who.userId,
      sourceAddress: who.sourceAddress,
      action: r.action,
      outcome: r.outcome,
      ...(r.code ? { code: r.code } : {}),
      ...(r.conversationId ? { conversationId: r.conversationId } : {}),
      ...(r.participantId ? { participantId: r.participantId } : {}),
      ...(r.targetParticipantId ? { targetParticipantId: r.targetParticipantId } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
    });
    this.deps.log.info({ audit: r, userId: who.userId, from: who.sourceAddress }, 'supervision audit');
  }
}
