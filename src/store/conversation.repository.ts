import type {
  ConversationState,
  ConversationView,
  ParticipantPurpose,
  ParticipantState,
  ParticipantView,
  TimelineEntry,
  TimelineType,
} from './conversation-types.js';
import type { Db } from './database.js';
import type { ParticipantsTable } from './tables.js';

function participantRow(
  orgId: string,
  conversationId: string,
  p: ParticipantView,
  seq: number,
): ParticipantsTable {
  return {
    id: p.id,
    conversation_id: conversationId,
    org_id: orgId,
    seq,
    purpose: p.purpose,
    user_id: p.userId ?? null,
    name: p.name,
    address: p.address ?? null,
    state: p.state,
    held: p.held ? 1 : 0,
    muted: p.muted ? 1 : 0,
    monitored_participant_id: p.monitoredParticipantId ?? null,
    coached_participant_id: p.coachedParticipantId ?? null,
    connected_time: p.connectedTime ?? null,
    end_time: p.endTime ?? null,
  };
}

/**
 * Writes the conversation and its participants (insert or update). Call inside a transaction
 * with the timeline events of the same change, so a change is persisted whole.
 */
export async function saveConversation(db: Db, c: ConversationView): Promise<void> {
  const conv = {
    state: c.state,
    queue_id: c.queueId ?? null,
    start_time: c.startTime,
    end_time: c.endTime ?? null,
  };
  await db
    .insertInto('conversations')
    .values({ id: c.id, org_id: c.orgId, ...conv })
    .onConflict((oc) => oc.column('id').doUpdateSet(conv))
    .execute();
  for (let i = 0; i < c.participants.length; i++) {
    const row = participantRow(c.orgId, c.id, c.participants[i] as ParticipantView, i);
    const { id: _id, conversation_id: _c, org_id: _o, ...update } = row;
    await db
      .insertInto('participants')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(update))
      .execute();
  }
}

function toParticipant(r: ParticipantsTable): ParticipantView {
  return {
    id: r.id,
    purpose: r.purpose as ParticipantPurpose,
    ...(r.user_id ? { userId: r.user_id } : {}),
    name: r.name,
    ...(r.address ? { address: r.address } : {}),
    state: r.state as ParticipantState,
    held: Number(r.held) === 1,
    muted: Number(r.muted) === 1,
    ...(r.monitored_participant_id ? { monitoredParticipantId: r.monitored_participant_id } : {}),
    ...(r.coached_participant_id ? { coachedParticipantId: r.coached_participant_id } : {}),
    ...(r.connected_time ? { connectedTime: r.connected_time } : {}),
    ...(r.end_time ? { endTime: r.end_time } : {}),
  };
}

async function load(
  db: Db,
  orgId: string,
  where: { id?: string; state?: ConversationState },
): Promise<ConversationView[]> {
  let q = db.selectFrom('conversations').selectAll().where('org_id', '=', orgId);
  if (where.id) q = q.where('id', '=', where.id);
  if (where.state) q = q.where('state', '=', where.state);
  const convs = await q.orderBy('start_time').orderBy('id').execute();
  if (convs.length === 0) return [];
  let pq = db.selectFrom('participants').selectAll().where('org_id', '=', orgId);
  if (where.id) pq = pq.where('conversation_id', '=', where.id);
  else
    pq = pq.where(
      'conversation_id',
      'in',
      db
        .selectFrom('conversations')
        .select('id')
        .where('org_id', '=', orgId)
        .where('state', '=', where.state ?? 'active'),
    );
  const parts = await pq.orderBy('conversation_id').orderBy('seq').execute();
  const byConv = new Map<string, ParticipantView[]>();
  for (const p of parts) {
    const list = byConv.get(p.conversation_id) ?? [];
    list.push(toParticipant(p));
    byConv.set(p.conversation_id, list);
  }
  return convs.map((c) => ({
    id: c.id,
    orgId: c.org_id,
    state: c.state as ConversationState,
    ...(c.queue_id ? { queueId: c.queue_id } : {}),
    startTime: c.start_time,
    ...(c.end_time ? { endTime: c.end_time } : {}),
    participants: byConv.get(c.id) ?? [],
  }));
}

/** The conversation `id` if it belongs to `orgId`. */
export async function findConversation(
  db: Db,
  orgId: string,
  id: string,
): Promise<ConversationView | undefined> {
  return (await load(db, orgId, { id }))[0];
}

export async function listConversations(
  db: Db,
  orgId: string,
  state: ConversationState,
): Promise<ConversationView[]> {
  return load(db, orgId, { state });
}

export async function appendTimeline(
  db: Db,
  orgId: string,
  conversationId: string,
  e: TimelineEntry,
): Promise<void> {
  await db
    .insertInto('timeline_events')
    .values({
      conversation_id: conversationId,
      org_id: orgId,
      type: e.type,
      at: e.at,
      user_id: e.userId ?? null,
      participant_id: e.participantId ?? null,
      target_participant_id: e.targetParticipantId ?? null,
      reason: e.reason ?? null,
    })
    .execute();
}

/** The conversation's timeline in order, or undefined if the conversation is not in `orgId`. */
export async function listTimeline(
  db: Db,
  orgId: string,
  conversationId: string,
): Promise<TimelineEntry[] | undefined> {
  const conv = await db
    .selectFrom('conversations')
    .select('id')
    .where('id', '=', conversationId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (!conv) return undefined;
  const rows = await db
    .selectFrom('timeline_events')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    type: r.type as TimelineType,
    at: r.at,
    ...(r.user_id ? { userId: r.user_id } : {}),
    ...(r.participant_id ? { participantId: r.participant_id } : {}),
    ...(r.target_participant_id ? { targetParticipantId: r.target_participant_id } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
  }));
}

/**
 * Crash recovery (ARCHITECTURE.md): ends every conversation still `active`, disconnecting its
 * participants, with a `conversation.ended` timeline entry. Returns the ids closed.
 */
export async function closeOpenConversations(db: Db, now: string, reason: string): Promise<string[]> {
  const open = await db
    .selectFrom('conversations')
    .select(['id', 'org_id'])
    .where('state', '=', 'active')
    .execute();
  for (const c of open) {
    await db
      .updateTable('conversations')
      .set({ state: 'ended', end_time: now })
      .where('id', '=', c.id)
      .execute();
    await db
      .updateTable('participants')
      .set({ state: 'disconnected', end_time: now })
      .where('conversation_id', '=', c.id)
      .where('state', '!=', 'disconnected')
      .execute();
    await appendTimeline(db, c.org_id, c.id, { type: 'conversation.ended', at: now, reason });
  }
  return open.map((c) => c.id);
}
