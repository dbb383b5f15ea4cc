import { centerError } from './center-errors.js';
import {
  type ConversationEvent,
  conversationEnded,
  participantLeft,
  participantResumed,
  sessionEnded,
  supervisionFailed,
} from './conversation-events.js';
import type {
  ConsultRecord,
  ConversationRecord,
  ConversationState,
  DecisionEnv,
  LeaveReason,
  ParticipantRecord,
  ParticipantState,
  SessionEndReason,
} from './conversation-types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type DraftParticipant = Mutable<ParticipantRecord>;

/**
 * A private working copy of a conversation for one decision. Decisions change the draft and append
 * events; `commit` turns it into a new record. If a decision throws, the draft is dropped and the
 * input record — never touched — stays exactly as it was.
 */
export interface Draft {
  readonly id: string;
  readonly orgId: string;
  readonly direction: ConversationRecord['direction'];
  readonly startTime: number;
  state: ConversationState;
  endTime: number | undefined;
  readonly participants: DraftParticipant[];
  consult: ConsultRecord | undefined;
  nextIsland: number;
  readonly events: ConversationEvent[];
  readonly env: DecisionEnv;
}

export function openDraft(c: ConversationRecord, env: DecisionEnv): Draft {
  const participants: DraftParticipant[] = new Array(c.participants.length);
  for (let i = 0; i < c.participants.length; i++) participants[i] = copyParticipant(c.participants[i]!);
  return {
    id: c.id,
    orgId: c.orgId,
    direction: c.direction,
    startTime: c.startTime,
    state: c.state,
    endTime: c.endTime,
    participants,
    consult: c.consult,
    nextIsland: c.nextIsland,
    events: [],
    env,
  };
}

/**
 * Every participant record has the same keys in the same order (absent ones `undefined`) and no key
 * is ever deleted: the hearing plan's loops then see one object shape (monomorphic property access),
 * which is what keeps a plan well under 2 µs.
 */
export function copyParticipant(p: ParticipantRecord): DraftParticipant {
  return {
    id: p.id,
    purpose: p.purpose,
    userId: p.userId,
    name: p.name,
    address: p.address,
    state: p.state,
    held: p.held,
    muted: p.muted,
    monitoredParticipantId: p.monitoredParticipantId,
    coachedParticipantId: p.coachedParticipantId,
    connectedTime: p.connectedTime,
    endTime: p.endTime,
    island: p.island,
    heldBy: p.heldBy,
    queueId: p.queueId,
    endReason: p.endReason,
  };
}

export function commit(d: Draft): ConversationRecord {
  const c: Mutable<ConversationRecord> = {
    id: d.id,
    orgId: d.orgId,
    state: d.state,
    direction: d.direction,
    startTime: d.startTime,
    participants: d.participants,
    nextIsland: d.nextIsland,
  };
  if (d.endTime !== undefined) c.endTime = d.endTime;
  if (d.consult !== undefined) c.consult = d.consult;
  return c;
}

/** R4 and every other command: nothing happens to an ended conversation. */
export function requireActive(d: Draft): void {
  if (d.state !== 'active')
    throw centerError('CONVERSATION_NOT_IN_PROGRESS', `conversation ${d.id} has ended`);
}

export function find(d: Draft, participantId: string): DraftParticipant {
  for (const p of d.participants) if (p.id === participantId) return p;
  throw centerError('PARTICIPANT_NOT_FOUND', `no participant ${participantId} in conversation ${d.id}`, {
    participantId,
  });
}

export function invalid(message: string, details?: Record<string, unknown>): never {
  throw centerError('INVALID_STATE', message, details);
}

export function freshIsland(d: Draft): number {
  return d.nextIsland++;
}

export function isParty(p: ParticipantRecord): boolean {
  return p.purpose === 'customer' || p.purpose === 'agent';
}

export function isSupervisor(p: ParticipantRecord): boolean {
  return p.purpose === 'monitor' || p.purpose === 'coach';
}

export function isLive(p: ParticipantRecord): boolean {
  return p.state !== 'disconnected';
}

/** The legal participant transitions (see the diagram on `ParticipantState`). */
const TRANSITIONS: Readonly<Record<ParticipantState, readonly ParticipantState[]>> = {
  alerting: ['connected', 'disconnected'],
  connected: ['held', 'disconnected', 'connected'],
  held: ['connected', 'disconnected'],
  disconnected: [],
};

/** The one place that assigns a participant's state. */
export function setParticipantState(d: Draft, p: DraftParticipant, next: ParticipantState): void {
  if (!TRANSITIONS[p.state].includes(next)) {
    invalid(`participant ${p.id} cannot go from ${p.state} to ${next}`, { participantId: p.id });
  }
  if (next === 'connected' && p.connectedTime === undefined) p.connectedTime = d.env.now;
  if (next === 'disconnected') p.endTime = d.env.now;
  if (next !== 'held') p.heldBy = undefined;
  p.held = next === 'held';
  p.state = next;
}

export function addParticipant(
  d: Draft,
  fields: Omit<ParticipantRecord, 'id' | 'held' | 'muted' | 'connectedTime' | 'endTime'>,
): DraftParticipant {
  const p = copyParticipant({ id: d.env.newId(), held: false, muted: false, ...fields });
  if (p.state === 'connected') p.connectedTime = d.env.now;
  d.participants.push(p);
  return p;
}

function about(p: ParticipantRecord) {
  return p.userId === undefined
    ? { participantId: p.id, purpose: p.purpose }
    : { participantId: p.id, purpose: p.purpose, userId: p.userId };
}

export { about as participantRef };

/**
 * Ends a supervisor's participant; a connected one also ends its session (R11, R13). An attempt
 * whose phone still rings when the conversation ends or its target leaves failed (R8: "recorded on
 * the timeline"): `supervision.failed` with reason `no-answer` — the phone had not answered while
 * there was something to supervise (CONTRACT.md §4 keeps its three reasons; the `participant.left`
 * that follows says why: `conversation-ended` or `target-left`). A stop while ringing is a stop.
 */
export function endSupervisor(d: Draft, s: DraftParticipant, reason: SessionEndReason | 'stopped'): void {
  if (s.state === 'alerting' && (reason === 'conversation-ended' || reason === 'target-left')) {
    d.events.push(
      supervisionFailed(d.env.now, d.id, {
        participantId: s.id,
        targetParticipantId: (s.monitoredParticipantId ?? s.coachedParticipantId)!,
        userId: s.userId!,
        mode: s.purpose === 'coach' ? 'coach' : 'monitor',
        reason: 'no-answer',
      }),
    );
  } else if (s.state === 'connected') {
    const mode = s.purpose === 'coach' ? 'coach' : 'monitor';
    d.events.push(
      sessionEnded(d.env.now, d.id, mode, {
        participantId: s.id,
        targetParticipantId: (s.monitoredParticipantId ?? s.coachedParticipantId)!,
        userId: s.userId!,
        reason,
      }),
    );
  }
  setParticipantState(d, s, 'disconnected');
  s.endReason = reason === 'switched' ? 'stopped' : reason;
  d.events.push(participantLeft(d.env.now, d.id, { ...about(s), reason: s.endReason }));
}

/**
 * A party's leg ends. Sessions on it end `target-left` (SPEC §3: "an agent-monitor stays with that
 * agent until the agent leaves the conversation"; R11: "a coach session ends when the coached agent
 * leaves"). SPEC §1: the conversation is "in progress until its last customer/agent leg ends".
 */
export function leave(d: Draft, p: DraftParticipant, reason: LeaveReason): void {
  setParticipantState(d, p, 'disconnected');
  p.endReason = reason;
  d.events.push(participantLeft(d.env.now, d.id, { ...about(p), reason }));
  if (isParty(p) && !d.participants.some((q) => isParty(q) && isLive(q))) {
    endConversation(d); // its sessions end `conversation-ended`, not `target-left`
    return;
  }
  for (const s of d.participants) {
    if (
      isSupervisor(s) &&
      isLive(s) &&
      (s.monitoredParticipantId === p.id || s.coachedParticipantId === p.id)
    ) {
      endSupervisor(d, s, 'target-left');
    }
  }
  if (
    d.consult &&
    (d.consult.customerId === p.id || d.consult.consultedId === p.id || d.consult.agentId === p.id)
  ) {
    d.consult = undefined;
  }
}

/** Ends the conversation: every remaining leg ends, sessions end `conversation-ended` (R11). */
export function endConversation(d: Draft): void {
  for (const p of d.participants) {
    if (!isLive(p)) continue;
    if (isSupervisor(p)) {
      endSupervisor(d, p, 'conversation-ended');
    } else {
      setParticipantState(d, p, 'disconnected');
      p.endReason = 'conversation-ended';
      d.events.push(participantLeft(d.env.now, d.id, { ...about(p), reason: 'conversation-ended' }));
    }
  }
  d.consult = undefined;
  d.state = 'ended';
  d.endTime = d.env.now;
  d.events.push(conversationEnded(d.env.now, d.id));
}

/** The user already takes part in this conversation (R5 seen from the other side). */
export function requireUserAbsent(d: Draft, userId: string): void {
  if (d.participants.some((p) => isLive(p) && p.userId === userId)) {
    throw centerError('USER_ALREADY_IN_CONVERSATION', `user ${userId} already takes part in ${d.id}`, {
      userId,
    });
  }
}

/** A held party is resumed: it rejoins its holder's island, or is alone if the holder is gone. */
export function rejoin(d: Draft, q: DraftParticipant): void {
  const holder = q.heldBy === undefined ? undefined : d.participants.find((x) => x.id === q.heldBy);
  q.island = holder && holder.state === 'connected' ? holder.island : d.nextIsland++;
  setParticipantState(d, q, 'connected');
  d.events.push(participantResumed(d.env.now, d.id, about(q)));
}
