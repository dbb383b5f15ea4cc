import {
  addParticipant,
  type Draft,
  type DraftParticipant,
  endConversation,
  find,
  invalid,
  isLive,
  isParty,
  isSupervisor,
  leave,
  participantRef,
  rejoin,
  requireActive,
  requireUserAbsent,
  setParticipantState,
} from './conversation-draft.js';
import {
  participantAlerting,
  participantConnected,
  participantHeld,
  participantMuted,
  participantNotResponding,
} from './conversation-events.js';
import type { SupervisionFailure } from './conversation-types.js';
import { stopSession } from './supervision-decisions.js';
import { cancelConsult, completeConsult } from './transfer-decisions.js';

/**
 * The call decisions of SPEC §4: offer, answer, no answer, hold / resume, mute, disconnect, end.
 * Each works on a draft (see `conversation-draft.ts`) and throws a catalogued error when the command
 * makes no sense, before changing anything that matters.
 */

/** The customer waiting in queue: a connected acd with nobody else in its island yet. */
function waitingAcd(d: Draft): DraftParticipant | undefined {
  return d.participants.find((p) => p.purpose === 'acd' && p.state === 'connected');
}

/** SPEC §4: "the longest-idle on-queue member is offered the call" (the caller picks; see `pickAgent`). */
export function offer(d: Draft, userId: string, name: string): void {
  requireActive(d);
  const acd = waitingAcd(d);
  if (!acd) invalid('no customer is waiting in a queue');
  if (d.participants.some((p) => p.state === 'alerting' && p.island === acd.island && isParty(p))) {
    invalid('an offer is already alerting');
  }
  requireUserAbsent(d, userId);
  const p = addParticipant(d, { purpose: 'agent', userId, name, state: 'alerting', island: acd.island });
  d.events.push(participantAlerting(d.env.now, d.id, participantRef(p)));
}

/** An alerting agent or external party answered: it joins the island it was alerting for. */
export function answer(d: Draft, participantId: string): void {
  requireActive(d);
  const p = find(d, participantId);
  if (!isParty(p)) invalid(`answer applies to customers and agents; ${p.purpose} given`);
  if (p.state !== 'alerting') invalid(`participant ${p.id} is ${p.state}, not alerting`);
  setParticipantState(d, p, 'connected');
  d.events.push(participantConnected(d.env.now, d.id, participantRef(p)));
  // The customer leaves the queue once an agent answers.
  for (const q of d.participants) {
    if (q.purpose === 'acd' && q.state === 'connected' && q.island === p.island) leave(d, q, 'answered');
  }
}

/**
 * SPEC §4: "if they don't answer in time they go NOT_RESPONDING and the next agent is tried."
 * The participant leaves; the user's routing status is the caller's (`routingStatusAfter`).
 */
export function noAnswer(d: Draft, participantId: string, reason: SupervisionFailure = 'no-answer'): void {
  requireActive(d);
  const p = find(d, participantId);
  if (!isParty(p) || p.state !== 'alerting') invalid(`participant ${p.id} is not an alerting party`);
  if (p.purpose === 'agent') d.events.push(participantNotResponding(d.env.now, d.id, participantRef(p)));
  if (d.consult?.consultedId === p.id) cancelConsult(d, 'no-answer');
  else leave(d, p, reason);
}

/** The other connected parties of an agent's island. */
function islandPartners(d: Draft, a: DraftParticipant): DraftParticipant[] {
  return d.participants.filter(
    (q) => q !== a && isParty(q) && q.state === 'connected' && q.island === a.island,
  );
}

function requireConnectedAgent(d: Draft, participantId: string): DraftParticipant {
  const a = find(d, participantId);
  if (a.purpose !== 'agent' || a.state !== 'connected')
    invalid(`participant ${a.id} is not a connected agent`);
  return a;
}

function inConsult(d: Draft, p: DraftParticipant): boolean {
  const c = d.consult;
  return c !== undefined && (c.agentId === p.id || c.consultedId === p.id || c.customerId === p.id);
}

/**
 * CONTRACT.md §4: holds "the call from that agent (the other parties of the agent's island are held
 * and hear music)". SPEC §3: "A held participant is alone in its own island."
 */
export function hold(d: Draft, participantId: string): void {
  requireActive(d);
  const a = requireConnectedAgent(d, participantId);
  if (inConsult(d, a)) invalid('hold during a consult: complete, cancel or conference it first');
  const partners = islandPartners(d, a);
  if (partners.length === 0) invalid(`agent ${a.id} has nobody to hold`);
  for (const q of partners) {
    setParticipantState(d, q, 'held');
    q.heldBy = a.id;
    q.island = d.nextIsland++;
    d.events.push(participantHeld(d.env.now, d.id, { ...participantRef(q), byParticipantId: a.id }));
  }
}

/** Resume: on an agent, the parties it holds rejoin it; on a held party, that party rejoins its holder. */
export function resume(d: Draft, participantId: string): void {
  requireActive(d);
  const p = find(d, participantId);
  if (inConsult(d, p)) invalid('resume during a consult: complete, cancel or conference it first');
  if (p.state === 'held') {
    rejoin(d, p);
    return;
  }
  const held =
    p.purpose === 'agent' ? d.participants.filter((q) => q.state === 'held' && q.heldBy === p.id) : [];
  if (held.length === 0) invalid(`participant ${p.id} is not held and holds nobody`);
  for (const q of held) rejoin(d, q);
}

/** Mute: a muted participant's voice is heard by nobody. Muting twice is a no-op (idempotent PATCH). */
export function mute(d: Draft, participantId: string, muted: boolean): void {
  requireActive(d);
  const p = find(d, participantId);
  if (p.purpose === 'acd' || !isLive(p) || p.state === 'alerting') {
    invalid(`participant ${p.id} (${p.purpose}, ${p.state}) cannot be muted`);
  }
  if (p.muted === muted) return;
  p.muted = muted;
  d.events.push(participantMuted(d.env.now, d.id, { ...participantRef(p), muted }));
}

/**
 * A leg ended. On a supervisor it stops the session (CONTRACT.md §4); on the consulting agent it
 * completes the consult and on the consulted party it cancels it ("complete by disconnecting the
 * consulting agent, cancel by disconnecting the consulted party").
 */
export function disconnect(d: Draft, participantId: string): void {
  requireActive(d);
  const p = find(d, participantId);
  if (!isLive(p)) invalid(`participant ${p.id} is already disconnected`);
  if (isSupervisor(p)) {
    stopSession(d, p.id);
    return;
  }
  const c = d.consult;
  if (c?.agentId === p.id) {
    if (find(d, c.consultedId).state === 'connected') {
      completeConsult(d);
      return;
    }
    // The consulting agent hangs up while the consulted party still rings: the consult is cancelled.
    cancelConsult(d, 'consult-cancelled');
  } else if (c?.consultedId === p.id) {
    cancelConsult(d, 'hung-up');
    return;
  }
  leave(d, p, 'hung-up');
}

export function endCall(d: Draft): void {
  requireActive(d);
  endConversation(d);
}
