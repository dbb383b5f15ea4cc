import type { Clock } from '../util/clock.js';
import type { ConversationCommand, InboundCall, OutboundCall } from './conversation-commands.js';
import type { ConversationEvent } from './conversation-events.js';
import { startInboundConversation, startOutboundConversation } from './conversation-start.js';
import type { ConversationRecord, DecisionEnv } from './conversation-types.js';
import { type Decision, decide } from './decide.js';
import { type HearingPlan, hearingPlan } from './hearing-plan.js';

/**
 * A convenience holder for one conversation's live state: applies commands through `decide` with
 * time from the injected `Clock`, keeps the timeline, and caches the hearing plan (recomputed once
 * per change). Still no I/O: the `calls/` layer persists events and hands plans to media.
 */
export class ConversationMachine {
  private current: ConversationRecord;
  private cachedPlan: HearingPlan | undefined;
  private readonly events: ConversationEvent[] = [];

  constructor(
    initial: Decision,
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {
    this.current = initial.conversation;
    this.events.push(...initial.events);
  }

  static inbound(call: InboundCall, clock: Clock, newId: () => string): ConversationMachine {
    return new ConversationMachine(startInboundConversation(call, { now: clock.now(), newId }), clock, newId);
  }

  static outbound(call: OutboundCall, clock: Clock, newId: () => string): ConversationMachine {
    return new ConversationMachine(
      startOutboundConversation(call, { now: clock.now(), newId }),
      clock,
      newId,
    );
  }

  get state(): ConversationRecord {
    return this.current;
  }

  get timeline(): readonly ConversationEvent[] {
    return this.events;
  }

  /** Applies a command; on a catalogued error nothing changes and the error is thrown. */
  apply(command: ConversationCommand): Decision {
    const env: DecisionEnv = { now: this.clock.now(), newId: this.newId };
    const decision = decide(this.current, command, env);
    this.current = decision.conversation;
    this.cachedPlan = undefined;
    this.events.push(...decision.events);
    return decision;
  }

  /** The hearing plan of the current state (cached until the next change). */
  plan(): HearingPlan {
    this.cachedPlan ??= hearingPlan(this.current);
    return this.cachedPlan;
  }

  dump() {
    return { ...dumpConversation(this.current, this.plan()), timelineLength: this.events.length };
  }
}

/** A compact, readable picture of a conversation record and its hearing plan (tests, ops, logs). */
export function dumpConversation(c: ConversationRecord, plan: HearingPlan = hearingPlan(c)) {
  return {
    id: c.id,
    state: c.state,
    consult: c.consult,
    participants: c.participants.map((p) => ({
      id: p.id,
      purpose: p.purpose,
      state: p.state,
      island: p.island,
      muted: p.muted,
      heldBy: p.heldBy,
      target: p.monitoredParticipantId ?? p.coachedParticipantId,
    })),
    plan: plan.legs.map((l) => `${l.participantId} hears [${l.hears.join(',')}] + ${l.system}`),
  };
}
