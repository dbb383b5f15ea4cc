import { centerError } from './center-errors.js';
import { DEFAULT_MONITOR_CAP, type SupervisorContext } from './conversation-commands.js';
import type { ConversationRecord, ParticipantRecord, SupervisionMode } from './conversation-types.js';
import { hasPermission, PERMISSIONS } from './permissions.js';

type Conv = Pick<ConversationRecord, 'id' | 'state' | 'participants'>;

const live = (p: ParticipantRecord) => p.state !== 'disconnected';

export function validCap(cap: number | undefined): number {
  const c = cap ?? DEFAULT_MONITOR_CAP;
  if (!Number.isInteger(c) || c < 0)
    throw centerError('INVALID_COMMAND', `monitor cap must be a whole number ≥ 0`);
  return c;
}

/** R1: "Starting a monitor needs the permission conversation:call:monitor; a coach needs conversation:call:coach." */
export function checkPermission(permissions: readonly string[], mode: SupervisionMode): void {
  const needed = mode === 'monitor' ? PERMISSIONS.monitor : PERMISSIONS.coach;
  if (!hasPermission(permissions, needed)) throw centerError('PERMISSION_DENIED', `${mode} needs ${needed}`);
}

/**
 * R4: "the target participant must be connected or held". R6: "Monitor target: any internal (agent)
 * or external (customer) participant. Coach target: an internal (agent) participant only."
 */
export function checkTarget(t: ParticipantRecord, mode: SupervisionMode): void {
  if (t.state !== 'connected' && t.state !== 'held') {
    throw centerError('TARGET_NOT_SUPERVISABLE', `target ${t.id} is ${t.state}`);
  }
  const ok = mode === 'coach' ? t.purpose === 'agent' : t.purpose === 'agent' || t.purpose === 'customer';
  if (!ok) throw centerError('TARGET_NOT_SUPERVISABLE', `a ${mode} cannot target a ${t.purpose}`);
}

/** R7: "At most one coaching session per agent per call". `except`: the participant being switched. */
export function checkNotCoached(c: Conv, targetId: string, except?: string): void {
  if (
    c.participants.some(
      (p) => p.id !== except && live(p) && p.purpose === 'coach' && p.coachedParticipantId === targetId,
    )
  ) {
    throw centerError('AGENT_ALREADY_COACHED', `agent ${targetId} is already coached`);
  }
}

/** R7: "Several monitors may listen at once (configurable cap, default 5)." */
export function checkMonitorCap(c: Conv, cap: number, except?: string): void {
  let n = 0;
  for (const p of c.participants) if (p.id !== except && live(p) && p.purpose === 'monitor') n++;
  if (n >= cap) throw centerError('MONITOR_LIMIT_REACHED', `${n} monitors already listen (cap ${cap})`);
}

/**
 * Every rule of R1–R7 for starting a session, in a fixed order; throws the first refusal
 * (CONTRACT.md §4 codes). Pure: the API may call it to pre-check before ringing a phone.
 * Returns the target participant.
 */
export function checkSupervisionStart(
  c: Conv,
  mode: SupervisionMode,
  targetParticipantId: string,
  sup: SupervisorContext,
  monitorCap?: number,
): ParticipantRecord {
  const cap = validCap(monitorCap);
  checkPermission(sup.permissions, mode);
  // R2: "The supervisor must have a selected phone."
  if (!sup.selectedPhone) throw centerError('NO_SELECTED_PHONE', `${sup.userId} has no selected phone`);
  // R3: "The supervisor's presence must be AVAILABLE."
  if (sup.presence !== 'AVAILABLE') {
    throw centerError('SUPERVISOR_NOT_AVAILABLE', `${sup.userId} is ${sup.presence}, not AVAILABLE`);
  }
  // R4: "Only in-progress conversations can be monitored or coached".
  if (c.state !== 'active')
    throw centerError('CONVERSATION_NOT_IN_PROGRESS', `conversation ${c.id} has ended`);
  const t = c.participants.find((p) => p.id === targetParticipantId);
  if (!t) throw centerError('PARTICIPANT_NOT_FOUND', `no participant ${targetParticipantId} in ${c.id}`);
  checkTarget(t, mode);
  // R5: "A user cannot monitor or coach a conversation in which they participate (as
  // customer/agent/consult party), and cannot start a second session while one is running on their phone."
  if (
    c.participants.some(
      (p) => live(p) && (p.purpose === 'customer' || p.purpose === 'agent') && p.userId === sup.userId,
    )
  ) {
    throw centerError('SUPERVISOR_IS_PARTICIPANT', `${sup.userId} takes part in ${c.id}`);
  }
  if (sup.busy || c.participants.some((p) => live(p) && p.userId === sup.userId)) {
    throw centerError('SUPERVISOR_BUSY', `a session already runs on ${sup.userId}'s phone`);
  }
  if (mode === 'coach') checkNotCoached(c, t.id);
  else checkMonitorCap(c, cap);
  return t;
}
