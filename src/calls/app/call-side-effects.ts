import type { HearingPlan, PhoneKind, SupervisionMode } from '../../center/index.js';

/**
 * The port through which the application services drive SIP and media. The call-control engineer
 * plugs the real B2BUA in here; until then `NoopCallSideEffects` does nothing, so a supervisor's
 * participant stays `alerting` until a test (or the demo) reports the answer through
 * `SupervisionService.supervisorAnswered`.
 */
export interface CallSideEffects {
  /** R8: call the supervisor's selected phone (auto-answer for sip/webrtc, ringing for remote). */
  placeSupervisorLeg(leg: {
    readonly conversationId: string;
    readonly participantId: string;
    readonly userId: string;
    readonly mode: SupervisionMode;
    readonly phone: {
      readonly id: string;
      readonly kind: PhoneKind;
      readonly sipUser?: string;
      readonly number?: string;
    };
  }): void;
  /**
   * An agent's outbound call (SPEC §4 "an agent can place a call to a number through the trunk"):
   * the conversation `call.conversationId` is being committed (agent `connected`, customer
   * `alerting`); `committed` settles when it is stored (rejects if it was not). Call control calls
   * the agent's phone first, then the number through the trunk (docs/calls.md "Outbound").
   * Optional: without it the conversation only exists in the domain (tests, demo).
   */
  placeOutboundCall?(call: OutboundCallLegs, committed: Promise<void>): void;
  /** End a participant's leg (BYE or CANCEL). */
  releaseLeg(conversationId: string, participantId: string): void;
  /** Apply a new hearing plan to the media engine (from the next 20 ms frame). */
  applyHearingPlan(plan: HearingPlan): void;
}

/** The two legs of an agent's outbound call. */
export interface OutboundCallLegs {
  readonly orgId: string;
  readonly conversationId: string;
  readonly agentParticipantId: string;
  readonly customerParticipantId: string;
  readonly userId: string;
  /** The number to call (E.164-ish digits, optional leading +). */
  readonly number: string;
}

export class NoopCallSideEffects implements CallSideEffects {
  readonly calls: string[] = [];
  placeSupervisorLeg(leg: { conversationId: string; participantId: string }): void {
    this.calls.push(`place ${leg.conversationId} ${leg.participantId}`);
    if (this.calls.length > 1000) this.calls.splice(0, 500);
  }
  placeOutboundCall(call: OutboundCallLegs): void {
    this.calls.push(`outbound ${call.conversationId} ${call.agentParticipantId} ${call.number}`);
    if (this.calls.length > 1000) this.calls.splice(0, 500);
  }
  releaseLeg(conversationId: string, participantId: string): void {
    this.calls.push(`release ${conversationId} ${participantId}`);
    if (this.calls.length > 1000) this.calls.splice(0, 500);
  }
  applyHearingPlan(): void {}
}
