/**
 * Conversations and participants: the public shapes of CONTRACT.md §4 and the internal state the
 * decisions and the hearing rule work on (islands, who holds whom, the consult in progress).
 */

/**
 * A participant's purpose (SPEC §1): `customer` (external), `agent` (internal), `acd` (queue/system),
 * `monitor` and `coach` (the supervisor; internal).
 */
export type ParticipantPurpose = 'customer' | 'agent' | 'acd' | 'monitor' | 'coach';

/**
 * A participant's state. One place assigns it (`setParticipantState` in `conversation-draft.ts`).
 *
 * ```
 *            answer                 hold (by an agent of its island)
 *  alerting ────────► connected ◄──────────────────────────────────► held
 *     │                   │                 resume / complete / conference
 *     │ no answer,        │ disconnect, transfer complete, target left, conversation end
 *     │ decline, cancel   ▼                                            │
 *     └──────────────► disconnected ◄────────────────────────────────────┘
 * ```
 * `disconnected` is final. `acd` participants are created `connected` (a customer waiting in queue).
 */
export type ParticipantState = 'alerting' | 'connected' | 'held' | 'disconnected';

/**
 * A conversation's state.
 * ```
 *  active ──(last customer/agent leg ends, or end command)──► ended
 * ```
 * `ended` is final: every command on it is refused.
 */
export type ConversationState = 'active' | 'ended';

/** CONTRACT.md §4: a participant as the API shows it. */
export interface Participant {
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
  /** Epoch ms. */
  readonly connectedTime?: number;
  /** Epoch ms. */
  readonly endTime?: number;
}

/** CONTRACT.md §4: a conversation as the API shows it. */
export interface Conversation {
  readonly id: string;
  readonly orgId: string;
  readonly state: ConversationState;
  /** Epoch ms. */
  readonly startTime: number;
  readonly endTime?: number;
  readonly participants: readonly Participant[];
}

/** Why a participant left (recorded on `participant.left`). */
export type LeaveReason =
  | 'hung-up'
  | 'no-answer'
  | 'declined'
  | 'phone-unreachable'
  | 'answered'
  | 'transferred'
  | 'consult-cancelled'
  | 'conversation-ended'
  | 'stopped'
  | 'supervisor-hung-up'
  | 'target-left';

/**
 * The internal state of a participant: the public shape plus what the hearing rule needs.
 * `island`: participants that are `connected` with the same island hear each other (SPEC §3);
 * an `alerting` participant carries the island it joins on answer; a `held` one is alone in its own.
 */
export interface ParticipantRecord extends Participant {
  readonly island: number;
  /** For `held` participants: the participant that put them on hold. */
  readonly heldBy?: string;
  /** For `acd` participants: the queue the customer waits in. */
  readonly queueId?: string;
  readonly endReason?: LeaveReason;
}

/** A consult in progress: `customerId` is held while `agentId` talks with `consultedId`. */
export interface ConsultRecord {
  readonly customerId: string;
  readonly agentId: string;
  readonly consultedId: string;
}

/** The full domain state of one conversation: what `decide` takes and returns. Never mutated. */
export interface ConversationRecord {
  readonly id: string;
  readonly orgId: string;
  readonly state: ConversationState;
  readonly direction: 'inbound' | 'outbound';
  readonly startTime: number;
  readonly endTime?: number;
  readonly participants: readonly ParticipantRecord[];
  readonly consult?: ConsultRecord;
  /** The next free island number. */
  readonly nextIsland: number;
}

/** A transfer target (CONTRACT.md §4 `replace`/`consult` bodies). */
export type TransferTarget =
  | { readonly kind: 'user'; readonly userId: string; readonly name: string }
  | { readonly kind: 'queue'; readonly queueId: string; readonly name: string }
  | { readonly kind: 'address'; readonly address: string; readonly name?: string };

/** A consult goes to a user or a number; a queue is resolved to a user by the caller (`pickAgent`). */
export type ConsultTarget = Extract<TransferTarget, { kind: 'user' } | { kind: 'address' }>;

/** Supervision modes. */
export type SupervisionMode = 'monitor' | 'coach';

/** CONTRACT.md §4: `reason` on `monitor.ended` / `coach.ended`. */
export type SessionEndReason =
  | 'stopped'
  | 'supervisor-hung-up'
  | 'target-left'
  | 'conversation-ended'
  | 'switched';

/** CONTRACT.md §4: `reason` on `supervision.failed`. */
export type SupervisionFailure = 'no-answer' | 'declined' | 'phone-unreachable';

/** The environment of a decision: time and ids come from outside (pure core). */
export interface DecisionEnv {
  /** Epoch ms, from the injected `Clock`. */
  readonly now: number;
  /** Returns a fresh unique id (participants, conversations). */
  readonly newId: () => string;
}
