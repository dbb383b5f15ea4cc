import type {
  ConsultTarget,
  SupervisionFailure,
  SupervisionMode,
  TransferTarget,
} from './conversation-types.js';
import type { Presence } from './org-types.js';

/**
 * What the supervision rules need to know about the supervisor (R1–R5). Cross-conversation facts
 * (is a session already running on their phone anywhere?) are computed by the caller.
 */
export interface SupervisorContext {
  readonly userId: string;
  readonly name: string;
  readonly permissions: readonly string[];
  readonly presence: Presence;
  /** The selected phone, if any (R2). */
  readonly selectedPhone?: { readonly id: string; readonly kind: 'sip' | 'webrtc' | 'remote' };
  /** True when a session already runs on this supervisor's phone in any conversation (R5). */
  readonly busy: boolean;
}

/** The default cap of simultaneous monitors on one call (R7). */
export const DEFAULT_MONITOR_CAP = 5;

/** Commands on an existing conversation: a discriminated union on `type`. */
export type ConversationCommand =
  // ── calls (SPEC §4) ──────────────────────────────────────────────────────────────
  /** Offer the waiting customer to an agent (chosen by `pickAgent`): a new `agent` participant, alerting. */
  | { readonly type: 'offer'; readonly userId: string; readonly name: string }
  /** An alerting agent or external party answered. */
  | { readonly type: 'answer'; readonly participantId: string }
  /**
   * An alerting agent or external party did not answer in time (agent → `NOT_RESPONDING`), or
   * could not be reached: `reason` (default `no-answer`) is its `participant.left` reason, e.g.
   * `declined` for a busy number, `phone-unreachable` for a trunk that refused the call.
   */
  | { readonly type: 'no-answer'; readonly participantId: string; readonly reason?: SupervisionFailure }
  /** Hold: on an agent, holds the other parties of its island (they hear music). */
  | { readonly type: 'hold'; readonly participantId: string }
  /** Resume: on an agent, resumes the parties it holds; on a held party, resumes that party. */
  | { readonly type: 'resume'; readonly participantId: string }
  | { readonly type: 'mute'; readonly participantId: string; readonly muted: boolean }
  /** Blind transfer: the agent's island is handed to the target; the agent is detached (its leg ends with `disconnect`). */
  | { readonly type: 'transfer'; readonly participantId: string; readonly target: TransferTarget }
  /** Consult: on the party to be transferred (held); the consulting agent defaults to the one in its island. */
  | {
      readonly type: 'consult.start';
      readonly participantId: string;
      readonly agentParticipantId?: string;
      readonly target: ConsultTarget;
    }
  | { readonly type: 'consult.complete' }
  | { readonly type: 'consult.cancel' }
  /** Conference: ends the consult with all three parties connected together. */
  | { readonly type: 'conference' }
  /** Any party's leg ended (on a supervisor: stops the session, reason `stopped`). */
  | { readonly type: 'disconnect'; readonly participantId: string }
  | { readonly type: 'conversation.end' }
  // ── supervision (R1–R13) ─────────────────────────────────────────────────────────
  | {
      readonly type: 'supervision.start';
      readonly mode: SupervisionMode;
      readonly targetParticipantId: string;
      readonly supervisor: SupervisorContext;
      /** Default `DEFAULT_MONITOR_CAP`. */
      readonly monitorCap?: number;
    }
  /** The supervisor's phone answered: the session starts. */
  | { readonly type: 'supervision.answered'; readonly participantId: string }
  /** The supervisor's phone did not answer, declined, or could not be reached. */
  | {
      readonly type: 'supervision.failed';
      readonly participantId: string;
      readonly reason: SupervisionFailure;
    }
  /** Stop from the details page. */
  | { readonly type: 'supervision.stop'; readonly participantId: string }
  /** The supervisor hung up their phone. */
  | { readonly type: 'supervision.hung-up'; readonly participantId: string }
  /** R12: atomic switch monitor ⇄ coach on the same leg. */
  | {
      readonly type: 'supervision.switch';
      readonly participantId: string;
      readonly mode: SupervisionMode;
      readonly permissions: readonly string[];
      readonly monitorCap?: number;
    };

export type ConversationCommandType = ConversationCommand['type'];

/** Starts an inbound conversation: a customer arrives on a queue and waits (music). */
export interface InboundCall {
  readonly orgId: string;
  readonly customer: { readonly name: string; readonly address?: string };
  readonly queue: { readonly id: string; readonly name: string };
}

/** Starts an outbound conversation: an agent places a call to a number through the trunk. */
export interface OutboundCall {
  readonly orgId: string;
  readonly agent: { readonly userId: string; readonly name: string };
  readonly address: string;
  readonly name?: string;
}
