import type { ParticipantPurpose } from '../center/index.js';
import type { Dialog } from '../sip/dialog/dialog.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { callsError } from './calls-errors.js';

/**
 * The state of one party's leg: its SIP dialog and its RTP leg in the media engine.
 *
 * ```
 *   Inviting ──1xx──▶ Ringing ──2xx──▶ Up ──BYE (either side) / release──▶ Ended
 *      │                 │
 *      └── 3xx-6xx, timeout, ring timer, CANCEL, release ──────────────▶ Ended
 * ```
 * Inbound legs (a customer's INVITE) are created `Up`: we answer as the customer enters the queue.
 * The ring timer is armed on entering `Inviting` (when the phone rings) and cleared on leaving
 * `Inviting`/`Ringing`. `Ended` is final.
 */
export enum LegState {
  Inviting = 'inviting',
  Ringing = 'ringing',
  Up = 'up',
  Ended = 'ended',
}

const TABLE: Readonly<Record<LegState, readonly LegState[]>> = {
  [LegState.Inviting]: [LegState.Ringing, LegState.Up, LegState.Ended],
  [LegState.Ringing]: [LegState.Up, LegState.Ended],
  [LegState.Up]: [LegState.Ended],
  [LegState.Ended]: [],
};

export interface CallLegInit {
  /** The participant id: also the media leg id. */
  readonly participantId: string;
  readonly conversationId: string;
  readonly orgId: string;
  readonly purpose: ParticipantPurpose;
  readonly direction: 'inbound' | 'outbound';
  readonly state: LegState.Inviting | LegState.Up;
  /** Where the INVITE went or came from (for logs and dumps). */
  readonly target: string;
}

/** One row of the leg table: participant ↔ SIP dialog ↔ media leg. */
export class CallLeg {
  readonly participantId: string;
  readonly conversationId: string;
  readonly orgId: string;
  readonly purpose: ParticipantPurpose;
  readonly direction: 'inbound' | 'outbound';
  readonly target: string;
  private current: LegState;
  dialog: Dialog | undefined;
  /** Aborting cancels an outgoing INVITE (RFC 3261 §9.1). */
  readonly abort = new AbortController();
  /** True once the media engine holds an RTP leg with id `participantId`. */
  mediaLeg = false;
  /** Local RTP port of the media leg. */
  rtpPort = 0;
  private ringTimer: TimerHandle | undefined;

  constructor(
    init: CallLegInit,
    private readonly clock: Clock,
  ) {
    this.participantId = init.participantId;
    this.conversationId = init.conversationId;
    this.orgId = init.orgId;
    this.purpose = init.purpose;
    this.direction = init.direction;
    this.target = init.target;
    this.current = init.state;
  }

  get state(): LegState {
    return this.current;
  }

  get ended(): boolean {
    return this.current === LegState.Ended;
  }

  /** The single place that assigns the state; illegal transitions throw CALLS_ILLEGAL_TRANSITION. */
  transition(to: LegState): void {
    if (to === this.current) return;
    if (!TABLE[this.current].includes(to)) {
      throw callsError('CALLS_ILLEGAL_TRANSITION', `leg ${this.participantId}: ${this.current} -> ${to}`);
    }
    const leaving = this.current;
    this.current = to;
    if ((leaving === LegState.Inviting || leaving === LegState.Ringing) && to !== LegState.Ringing) {
      this.clock.clearTimer(this.ringTimer);
      this.ringTimer = undefined;
    }
  }

  /** Arms the ring timer (only while inviting or ringing). */
  armRingTimer(ms: number, fn: () => void): void {
    if (this.current !== LegState.Inviting && this.current !== LegState.Ringing) return;
    this.clock.clearTimer(this.ringTimer);
    this.ringTimer = this.clock.setTimer(ms, () => {
      this.ringTimer = undefined;
      fn();
    });
  }

  get ringTimerPending(): boolean {
    return this.ringTimer !== undefined;
  }

  dump(): Record<string, unknown> {
    return {
      participantId: this.participantId,
      conversationId: this.conversationId,
      purpose: this.purpose,
      direction: this.direction,
      state: this.current,
      target: this.target,
      callId: this.dialog?.id.callId,
      dialogState: this.dialog?.state,
      mediaLeg: this.mediaLeg,
      rtpPort: this.rtpPort,
      ringTimer: this.ringTimer !== undefined,
    };
  }
}
