import type {
  LeaveReason,
  ParticipantPurpose,
  SessionEndReason,
  SupervisionFailure,
  SupervisionMode,
  TransferTarget,
} from './conversation-types.js';

/**
 * The timeline (SPEC §1, R13): every state change is one event with a `type` literal, stamped with
 * the decision's `now` (epoch ms). Field names follow CONTRACT.md §4's timeline entries: in session
 * events `participantId` is the supervisor's participant and `targetParticipantId` the supervised one.
 */
interface Base<T extends string> {
  readonly type: T;
  readonly at: number;
  readonly conversationId: string;
}

interface About {
  readonly participantId: string;
  readonly purpose: ParticipantPurpose;
  readonly userId?: string;
}

export type ConversationStarted = Base<'conversation.started'> & {
  readonly direction: 'inbound' | 'outbound';
  readonly queueId?: string;
};
export type ConversationEnded = Base<'conversation.ended'>;
export type ParticipantAlerting = Base<'participant.alerting'> & About & { readonly address?: string };
export type ParticipantConnected = Base<'participant.connected'> & About;
export type ParticipantLeft = Base<'participant.left'> & About & { readonly reason: LeaveReason };
export type ParticipantNotResponding = Base<'participant.not-responding'> & About;
export type ParticipantHeld = Base<'participant.held'> & About & { readonly byParticipantId?: string };
export type ParticipantResumed = Base<'participant.resumed'> & About;
export type ParticipantMuted = Base<'participant.muted'> & About & { readonly muted: boolean };
export type QueueEntered = Base<'queue.entered'> & {
  readonly participantId: string;
  readonly queueId: string;
};
export type TransferStarted = Base<'transfer.blind'> & {
  readonly participantId: string;
  readonly target: TransferTarget;
  readonly transferredParticipantIds: readonly string[];
};
export type ConsultStarted = Base<'consult.started'> & {
  readonly participantId: string;
  readonly agentParticipantId: string;
  readonly consultedParticipantId: string;
};
export type ConsultCompleted = Base<'consult.completed'> & {
  readonly participantId: string;
  readonly consultedParticipantId: string;
};
export type ConsultCancelled = Base<'consult.cancelled'> & {
  readonly participantId: string;
  readonly consultedParticipantId: string;
};
export type ConferenceStarted = Base<'conference.started'> & { readonly participantIds: readonly string[] };

interface Session {
  readonly participantId: string;
  readonly targetParticipantId: string;
  readonly userId: string;
}
export type MonitorStarted = Base<'monitor.started'> & Session;
export type CoachStarted = Base<'coach.started'> & Session;
export type MonitorEnded = Base<'monitor.ended'> & Session & { readonly reason: SessionEndReason };
export type CoachEnded = Base<'coach.ended'> & Session & { readonly reason: SessionEndReason };
export type SupervisionFailed = Base<'supervision.failed'> &
  Session & { readonly mode: SupervisionMode; readonly reason: SupervisionFailure };

export type ConversationEvent =
  | ConversationStarted
  | ConversationEnded
  | ParticipantAlerting
  | ParticipantConnected
  | ParticipantLeft
  | ParticipantNotResponding
  | ParticipantHeld
  | ParticipantResumed
  | ParticipantMuted
  | QueueEntered
  | TransferStarted
  | ConsultStarted
  | ConsultCompleted
  | ConsultCancelled
  | ConferenceStarted
  | MonitorStarted
  | CoachStarted
  | MonitorEnded
  | CoachEnded
  | SupervisionFailed;

export type ConversationEventType = ConversationEvent['type'];

/** Session event types (monitor/coach lifecycle): never shown on agent- or customer-scoped views (R9). */
export const SESSION_EVENT_TYPES: ReadonlySet<ConversationEventType> = new Set<ConversationEventType>([
  'monitor.started',
  'monitor.ended',
  'coach.started',
  'coach.ended',
  'supervision.failed',
]);

type Fields<E extends ConversationEvent> = Omit<E, 'type' | 'at' | 'conversationId'>;

/** The small factories: `(at, conversationId, fields)` → event. */
function factory<E extends ConversationEvent>(type: E['type']) {
  return (at: number, conversationId: string, fields: Fields<E>): E =>
    ({ type, at, conversationId, ...fields }) as E;
}

export const conversationStarted = factory<ConversationStarted>('conversation.started');
export const conversationEnded = (at: number, conversationId: string): ConversationEnded => ({
  type: 'conversation.ended',
  at,
  conversationId,
});
export const participantAlerting = factory<ParticipantAlerting>('participant.alerting');
export const participantConnected = factory<ParticipantConnected>('participant.connected');
export const participantLeft = factory<ParticipantLeft>('participant.left');
export const participantNotResponding = factory<ParticipantNotResponding>('participant.not-responding');
export const participantHeld = factory<ParticipantHeld>('participant.held');
export const participantResumed = factory<ParticipantResumed>('participant.resumed');
export const participantMuted = factory<ParticipantMuted>('participant.muted');
export const queueEntered = factory<QueueEntered>('queue.entered');
export const transferStarted = factory<TransferStarted>('transfer.blind');
export const consultStarted = factory<ConsultStarted>('consult.started');
export const consultCompleted = factory<ConsultCompleted>('consult.completed');
export const consultCancelled = factory<ConsultCancelled>('consult.cancelled');
export const conferenceStarted = factory<ConferenceStarted>('conference.started');
export const monitorStarted = factory<MonitorStarted>('monitor.started');
export const coachStarted = factory<CoachStarted>('coach.started');
export const monitorEnded = factory<MonitorEnded>('monitor.ended');
export const coachEnded = factory<CoachEnded>('coach.ended');
export const supervisionFailed = factory<SupervisionFailed>('supervision.failed');

/** `monitor.started` or `coach.started`, by mode. */
export function sessionStarted(at: number, conversationId: string, mode: SupervisionMode, s: Session) {
  return mode === 'monitor' ? monitorStarted(at, conversationId, s) : coachStarted(at, conversationId, s);
}

/** `monitor.ended` or `coach.ended`, by mode. */
export function sessionEnded(
  at: number,
  conversationId: string,
  mode: SupervisionMode,
  s: Session & { readonly reason: SessionEndReason },
) {
  return mode === 'monitor' ? monitorEnded(at, conversationId, s) : coachEnded(at, conversationId, s);
}
