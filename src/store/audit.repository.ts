import type { Db } from './database.js';
import type { AuditRecord } from './directory-types.js';

export type AuditInput = Omit<AuditRecord, 'id'>;

export async function appendAudit(db: Db, rec: AuditInput): Promise<void> {
  await db
    .insertInto('audit_records')
    .values({
      org_id: rec.orgId,
      at: rec.at,
      actor_user_id: rec.actorUserId,
      action: rec.action,
      outcome: rec.outcome,
      code: rec.code ?? null,
      conversation_id: rec.conversationId ?? null,
      target_participant_id: rec.targetParticipantId ?? null,
      participant_id: rec.participantId ?? null,
      source_address: rec.sourceAddress ?? null,
      reason: rec.reason ?? null,
    })
    .execute();
}

/** The org's audit records, newest first. */
export async function listAudit(db: Db, orgId: string, limit = 100): Promise<AuditRecord[]> {
  const rows = await db
    .selectFrom('audit_records')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    orgId: r.org_id,
    at: r.at,
    actorUserId: r.actor_user_id,
    action: r.action,
    outcome: r.outcome as AuditRecord['outcome'],
    ...(r.code ? { code: r.code } : {}),
    ...(r.conversation_id ? { conversationId: r.conversation_id } : {}),
    ...(r.target_participant_id ? { targetParticipantId: r.target_participant_id } : {}),
    ...(r.participant_id ? { participantId: r.participant_id } : {}),
    ...(r.source_address ? { sourceAddress: r.source_address } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
  }));
}
