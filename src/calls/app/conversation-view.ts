import {
  type ConversationEvent,
  type ConversationRecord,
  isSupervisionParticipant,
  toParticipant,
} from '../../center/index.js';
import type { ConversationView, ParticipantView, TimelineEntry } from '../../store/conversation-types.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The full (supervisor-scoped) view of a live conversation, with ISO times (CONTRACT.md §4). */
export function toConversationView(c: ConversationRecord, queueId?: string): ConversationView {
  const participants: ParticipantView[] = c.participants.map((r) => {
    const p = toParticipant(r);
    const { connectedTime, endTime, ...rest } = p;
    return {
      ...rest,
      ...(connectedTime !== undefined ? { connectedTime: iso(connectedTime) } : {}),
      ...(endTime !== undefined ? { endTime: iso(endTime) } : {}),
    };
  });
  return {
    id: c.id,
    orgId: c.orgId,
    state: c.state,
    ...(queueId ? { queueId } : {}),
    startTime: iso(c.startTime),
    ...(c.endTime !== undefined ? { endTime: iso(c.endTime) } : {}),
    participants,
  };
}

/**
 * R9: "No agent- or customer-scoped API view or event ever reveals a monitor or coach participant."
 * The agent-scoped view drops them.
 */
export function agentScoped(v: ConversationView): ConversationView {
  return { ...v, participants: v.participants.filter((p) => !isSupervisionParticipant(p)) };
}

/** A domain event as a timeline entry (CONTRACT.md §4 fields). */
export function toTimelineEntry(e: ConversationEvent): TimelineEntry {
  const f = e as ConversationEvent & {
    userId?: string;
    participantId?: string;
    targetParticipantId?: string;
    reason?: string;
  };
  return {
    type: e.type,
    at: iso(e.at),
    ...(f.userId !== undefined ? { userId: f.userId } : {}),
    ...(f.participantId !== undefined ? { participantId: f.participantId } : {}),
    ...(f.targetParticipantId !== undefined ? { targetParticipantId: f.targetParticipantId } : {}),
    ...(f.reason !== undefined ? { reason: f.reason } : {}),
  };
}
