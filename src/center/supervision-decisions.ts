import type { SupervisorContext } from './conversation-commands.js';
import {
  addParticipant,
  type Draft,
  type DraftParticipant,
  endSupervisor,
  find,
  invalid,
  isSupervisor,
  participantRef,
  requireActive,
  setParticipantState,
} from './conversation-draft.js';
import {
  participantAlerting,
  participantConnected,
  participantLeft,
  sessionEnded,
  sessionStarted,
  supervisionFailed,
} from './conversation-events.js';
import type { SupervisionFailure, SupervisionMode } from './conversation-types.js';
import {
  checkMonitorCap,
  checkNotCoached,
  checkPermission,
  checkSupervisionStart,
  checkTarget,
  validCap,
} from './supervision-rules.js';

/**
 * Supervision sessions (R1–R13). A session's participant:
 * ```
 *  alerting ──answered──► connected ──stop / hung up / target left / conversation ended──► disconnected
 *     │                      │ ▲                                                             ▲
 *     │                      └─┘ switch (R12: same leg, monitor ⇄ coach)                     │
 *     └──── no answer / declined / unreachable (supervision.failed), stop, target left ──────┘
 * ```
 * Supervisors are in no island: nobody hears a monitor; only the coached agent hears a coach (SPEC §3).
 */

const NO_ISLAND = 0;

function modeOf(p: DraftParticipant): SupervisionMode {
  return p.purpose === 'coach' ? 'coach' : 'monitor';
}

function targetOf(p: DraftParticipant): string {
  return (p.monitoredParticipantId ?? p.coachedParticipantId)!;
}

function requireSupervisor(d: Draft, participantId: string): DraftParticipant {
  const s = find(d, participantId);
  if (!isSupervisor(s)) invalid(`participant ${s.id} is a ${s.purpose}, not a supervisor`);
  return s;
}

/** R8: "The server calls the supervisor's phone": the participant is alerting until it answers. */
export function startSession(
  d: Draft,
  mode: SupervisionMode,
  targetParticipantId: string,
  sup: SupervisorContext,
  monitorCap: number | undefined,
): string {
  const t = checkSupervisionStart(d, mode, targetParticipantId, sup, monitorCap);
  const p = addParticipant(d, {
    purpose: mode,
    userId: sup.userId,
    name: sup.name,
    state: 'alerting',
    island: NO_ISLAND,
    ...(mode === 'monitor' ? { monitoredParticipantId: t.id } : { coachedParticipantId: t.id }),
  });
  d.events.push(participantAlerting(d.env.now, d.id, participantRef(p)));
  return p.id;
}

/** The supervisor's phone answered (auto-answer or picked up): the session starts (R13: start). */
export function sessionAnswered(d: Draft, participantId: string): void {
  requireActive(d);
  const s = requireSupervisor(d, participantId);
  if (s.state !== 'alerting') invalid(`supervisor ${s.id} is ${s.state}, not alerting`);
  setParticipantState(d, s, 'connected');
  d.events.push(participantConnected(d.env.now, d.id, participantRef(s)));
  d.events.push(
    sessionStarted(d.env.now, d.id, modeOf(s), {
      participantId: s.id,
      targetParticipantId: targetOf(s),
      userId: s.userId!,
    }),
  );
}

/** R8: "no answer within the ring timeout (default 30 s) or a decline ends the attempt, recorded on the timeline." */
export function sessionFailed(d: Draft, participantId: string, reason: SupervisionFailure): void {
  requireActive(d);
  const s = requireSupervisor(d, participantId);
  if (s.state !== 'alerting') invalid(`supervisor ${s.id} is ${s.state}, not alerting`);
  setParticipantState(d, s, 'disconnected');
  s.endReason = reason;
  d.events.push(
    supervisionFailed(d.env.now, d.id, {
      participantId: s.id,
      targetParticipantId: targetOf(s),
      userId: s.userId!,
      mode: modeOf(s),
      reason,
    }),
  );
  d.events.push(participantLeft(d.env.now, d.id, { ...participantRef(s), reason }));
}

/** R11: "the supervisor stops from the details page". Stopping a still-ringing attempt cancels it. */
export function stopSession(d: Draft, participantId: string): void {
  requireActive(d);
  const s = requireSupervisor(d, participantId);
  if (s.state === 'disconnected') invalid(`supervisor ${s.id} has already left`);
  endSupervisor(d, s, 'stopped');
}

/** R11: "(or hangs up their phone)". */
export function sessionHungUp(d: Draft, participantId: string): void {
  requireActive(d);
  const s = requireSupervisor(d, participantId);
  if (s.state !== 'connected') invalid(`supervisor ${s.id} is ${s.state}, not connected`);
  endSupervisor(d, s, 'supervisor-hung-up');
}

/**
 * R12: "Earshot also offers an atomic switch on the same phone leg with no audio gap, recorded on
 * the timeline as one session ending and the next starting." CONTRACT.md §4: "coach keeps the same
 * target, which must be an agent".
 */
export function switchSession(
  d: Draft,
  participantId: string,
  mode: SupervisionMode,
  permissions: readonly string[],
  monitorCap: number | undefined,
): void {
  const cap = validCap(monitorCap);
  requireActive(d);
  const s = requireSupervisor(d, participantId);
  if (s.state !== 'connected') invalid(`supervisor ${s.id} is ${s.state}, not connected`);
  const from = modeOf(s);
  if (from === mode) invalid(`supervisor ${s.id} is already in ${mode} mode`);
  checkPermission(permissions, mode);
  const targetId = targetOf(s);
  checkTarget(find(d, targetId), mode);
  if (mode === 'coach') checkNotCoached(d, targetId, s.id);
  else checkMonitorCap(d, cap, s.id);
  const session = { participantId: s.id, targetParticipantId: targetId, userId: s.userId! };
  d.events.push(sessionEnded(d.env.now, d.id, from, { ...session, reason: 'switched' }));
  s.purpose = mode;
  if (mode === 'coach') {
    s.coachedParticipantId = targetId;
    s.monitoredParticipantId = undefined;
  } else {
    s.monitoredParticipantId = targetId;
    s.coachedParticipantId = undefined;
  }
  d.events.push(sessionStarted(d.env.now, d.id, mode, session));
}
