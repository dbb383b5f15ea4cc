import { FakeClock } from '../util/clock.js';
import type { ConversationCommand, SupervisorContext } from './conversation-commands.js';
import { ConversationMachine } from './conversation-machine.js';
import type { ConversationRecord, ParticipantRecord, SupervisionMode } from './conversation-types.js';
import { legPlan, type SystemAudio } from './hearing-plan.js';
import { PERMISSIONS } from './permissions.js';

/**
 * A readable way to drive one conversation by names (for tests, the demo and docs): each participant
 * gets a label (`customer`, `alice`, `sam`…) and the hearing plan reads back in labels.
 * Time is a `FakeClock`; ids are `p1`, `p2`, … in creation order.
 */
export class ConversationScenario {
  readonly clock = new FakeClock();
  readonly machine: ConversationMachine;
  private seq = 0;
  private readonly labels = new Map<string, string>();
  private readonly idsByLabel = new Map<string, string>();

  constructor(customer = 'customer', queue = { id: 'q1', name: 'Support' }) {
    this.machine = ConversationMachine.inbound(
      { orgId: 'org1', customer: { name: customer, address: 'sip:+15550001@trunk' }, queue },
      this.clock,
      () => `p${++this.seq}`,
    );
    const c = this.machine.state.participants.find((p) => p.purpose === 'customer')!;
    this.name(c.id, customer);
    this.name(this.machine.state.participants.find((p) => p.purpose === 'acd')!.id, 'queue');
  }

  private name(id: string, label: string): void {
    this.labels.set(id, label);
    this.idsByLabel.set(label, id);
  }

  get state(): ConversationRecord {
    return this.machine.state;
  }

  id(label: string): string {
    const id = this.idsByLabel.get(label);
    if (!id) throw new Error(`no participant labelled ${label}`);
    return id;
  }

  participant(label: string): ParticipantRecord {
    return this.state.participants.find((p) => p.id === this.id(label))!;
  }

  label(id: string): string {
    return this.labels.get(id) ?? id;
  }

  /** Applies a command; a participant it creates is labelled `label`. */
  do(command: ConversationCommand, label?: string): this {
    this.clock.advance(1000);
    const d = this.machine.apply(command);
    if (label && d.participantId) this.name(d.participantId, label);
    return this;
  }

  /** Offers the waiting customer to agent `label` (user id `u-<label>`) and answers. */
  agentAnswers(label: string): this {
    this.do({ type: 'offer', userId: `u-${label}`, name: label }, label);
    return this.do({ type: 'answer', participantId: this.id(label) });
  }

  /** Starts a session by supervisor `label` on `target` and answers their phone. */
  supervise(label: string, mode: SupervisionMode, target: string, answer = true): this {
    this.do(
      {
        type: 'supervision.start',
        mode,
        targetParticipantId: this.id(target),
        supervisor: supervisorContext(label),
      },
      label,
    );
    return answer ? this.do({ type: 'supervision.answered', participantId: this.id(label) }) : this;
  }

  /** The labels whose voices `listener` hears, sorted; undefined when it has no leg. */
  hears(listener: string): string[] | undefined {
    const leg = legPlan(this.machine.plan(), this.id(listener));
    return leg?.hears.map((id) => this.label(id)).sort();
  }

  system(listener: string): SystemAudio | undefined {
    return legPlan(this.machine.plan(), this.id(listener))?.system;
  }

  eventTypes(): string[] {
    return this.machine.timeline.map((e) => e.type);
  }
}

/** A supervisor who passes every rule (R1–R5), with overrides. */
export function supervisorContext(
  label: string,
  overrides: Partial<SupervisorContext> = {},
): SupervisorContext {
  return {
    userId: `u-${label}`,
    name: label,
    permissions: [PERMISSIONS.monitor, PERMISSIONS.coach],
    presence: 'AVAILABLE',
    selectedPhone: { id: `ph-${label}`, kind: 'webrtc' },
    busy: false,
    ...overrides,
  };
}
