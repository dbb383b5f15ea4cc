import { type ConversationEvent, SESSION_EVENT_TYPES } from './conversation-events.js';
import type {
  Conversation,
  ConversationRecord,
  Participant,
  ParticipantRecord,
} from './conversation-types.js';

/** The public participant of CONTRACT.md §4: internal fields (island, holder, queue) stripped. */
export function toParticipant(p: ParticipantRecord): Participant {
  const out: { -readonly [K in keyof Participant]: Participant[K] } = {
    id: p.id,
    purpose: p.purpose,
    name: p.name,
    state: p.state,
    held: p.held,
    muted: p.muted,
  };
  if (p.userId !== undefined) out.userId = p.userId;
  if (p.address !== undefined) out.address = p.address;
  if (p.monitoredParticipantId !== undefined) out.monitoredParticipantId = p.monitoredParticipantId;
  if (p.coachedParticipantId !== undefined) out.coachedParticipantId = p.coachedParticipantId;
  if (p.connectedTime !== undefined) out.connectedTime = p.connectedTime;
  if (p.endTime !== undefined) out.endTime = p.endTime;
  return out;
}

/**
 * The supervisor-scoped (full) view, R10: supervisors appear as internal participants with their
 * `monitor`/`coach` purpose as the marker.
 */
export function toConversation(c: ConversationRecord): Conversation {
  const out: { -readonly [K in keyof Conversation]: Conversation[K] } = {
    id: c.id,
    orgId: c.orgId,
    state: c.state,
    startTime: c.startTime,
    participants: c.participants.map(toParticipant),
  };
  if (c.endTime !== undefined) out.endTime = c.endTime;
  return out;
}

export function isSupervisionParticipant(p: Pick<Participant, 'purpose'>): boolean {
  return p.purpose === 'monitor' || p.purpose === 'coach';
}

/**
 * R9: "No agent- or customer-scoped API view or event ever reveals a monitor or coach participant."
 * The agent/customer-scoped view: the conversation with monitor and coach participants removed.
 */
export function agentScopedView(c: ConversationRecord | Conversation): Conversation {
  const full = 'nextIsland' in c ? toConversation(c) : c;
  return { ...full, participants: full.participants.filter((p) => !isSupervisionParticipant(p)) };
}

/** R9 for events: drops session events and every event about a monitor or coach participant. */
export function agentScopedEvents(events: readonly ConversationEvent[]): ConversationEvent[] {
  return events.filter(
    (e) =>
      !SESSION_EVENT_TYPES.has(e.type) &&
      !('purpose' in e && (e.purpose === 'monitor' || e.purpose === 'coach')),
  );
}
