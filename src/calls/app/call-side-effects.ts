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
  /** End a participant's leg (BYE or CANCEL). */
  releaseLeg(conversationId: string, participantId: string): void;
  /** Apply a new hearing plan to the media engine (from the next 20 ms frame). */
  applyHearingPlan(plan: HearingPlan): void;
}

export class NoopCallSideEffects implements CallSideEffects {
  readonly calls: string[] = [];
  placeSupervisorLeg(leg: { conversationId: string; participantId: string }): void {
    this.calls.push(`place ${leg.conversationId} ${leg.participantId}`);
    if (this.calls.length > 1000) this.calls.splice(0, 500);
  }
  releaseLeg(conversationId: string, participantId: string): void {
    this.calls.push(`release ${conversationId} ${participantId}`);
    if (this.calls.length > 1000) this.calls.splice(0, 500);
  }
  applyHearingPlan(): void {}
}
