/**
 * The persisted view of a conversation (CONTRACT.md §4 shapes): what the store keeps and the API
 * returns. The live truth is center state held by `src/calls/app`; this is its projection.
 */
export const PARTICIPANT_PURPOSES = ['customer', 'agent', 'acd', 'monitor', 'coach'] as const;
export type ParticipantPurpose = (typeof PARTICIPANT_PURPOSES)[number];

export const PARTICIPANT_STATES = ['alerting', 'connected', 'held', 'disconnected'] as const;
export type ParticipantState = (typeof PARTICIPANT_STATES)[number];

export type ConversationState = 'active' | 'ended';

export interface ParticipantView {
  readonly id: string;
  readonly purpose: ParticipantPurpose;
  readonly userId?: string;
  readonly name: string;
  readonly address?: string;
  readonly state: ParticipantState;
  readonly held: boolean;
  readonly muted: boolean;
  readonly monitoredParticipantId?: string;
  readonly coachedParticipantId?: string;
  readonly connectedTime?: string;
  readonly endTime?: string;
}

export interface ConversationView {
  readonly id: string;
  readonly orgId: string;
  readonly state: ConversationState;
  readonly queueId?: string;
  readonly startTime: string;
  readonly endTime?: string;
  readonly participants: readonly ParticipantView[];
}

/** The timeline entry types are the domain's event types (`src/center/conversation-events.ts`). */
export type TimelineType = string;

export interface TimelineEntry {
  readonly type: TimelineType;
  readonly at: string;
  readonly userId?: string;
  readonly participantId?: string;
  readonly targetParticipantId?: string;
  readonly reason?: string;
}
