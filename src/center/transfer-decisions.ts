import {
  addParticipant,
  type Draft,
  type DraftParticipant,
  find,
  invalid,
  isParty,
  leave,
  participantRef,
  rejoin,
  requireActive,
  requireUserAbsent,
  setParticipantState,
} from './conversation-draft.js';
import {
  conferenceStarted,
  consultCancelled,
  consultCompleted,
  consultStarted,
  participantAlerting,
  participantHeld,
  queueEntered,
  transferStarted,
} from './conversation-events.js';
import type { ConsultTarget, LeaveReason, TransferTarget } from './conversation-types.js';

/**
 * Transfers (SPEC §4): blind transfer to a user, a queue or a number; consult transfer (start,
 * complete, cancel); conference.
 */

function requireConnectedAgent(d: Draft, participantId: string): DraftParticipant {
  const a = find(d, participantId);
  if (a.purpose !== 'agent' || a.state !== 'connected')
    invalid(`participant ${a.id} is not a connected agent`);
  return a;
}

/** Adds the party a transfer or consult rings, alerting for `island`. */
function addTarget(d: Draft, target: TransferTarget, island: number): DraftParticipant | undefined {
  if (target.kind === 'queue') {
    return addParticipant(d, {
      purpose: 'acd',
      name: target.name,
      state: 'connected',
      island,
      queueId: target.queueId,
    });
  }
  const p =
    target.kind === 'user'
      ? addParticipant(d, {
          purpose: 'agent',
          userId: target.userId,
          name: target.name,
          state: 'alerting',
          island,
        })
      : addParticipant(d, {
          purpose: 'customer',
          name: target.name ?? target.address,
          address: target.address,
          state: 'alerting',
          island,
        });
  d.events.push(
    participantAlerting(
      d.env.now,
      d.id,
      p.address ? { ...participantRef(p), address: p.address } : participantRef(p),
    ),
  );
  return p;
}

/**
 * Blind transfer (CONTRACT.md §4 `replace`): the agent's island (and the parties it holds) is handed
 * to the target. SPEC §3: "a customer waiting in a queue or being transferred is alone in its island
 * until an agent answers". The agent is detached into its own island; its leg remains until the
 * caller hangs it up and sends `disconnect` (the seed's "while that agent's leg remains").
 */
export function transfer(d: Draft, participantId: string, target: TransferTarget): string | undefined {
  requireActive(d);
  const a = requireConnectedAgent(d, participantId);
  if (d.consult) invalid('blind transfer during a consult: complete, cancel or conference it first');
  const moved = d.participants.filter(
    (q) =>
      q !== a &&
      isParty(q) &&
      ((q.state === 'connected' && q.island === a.island) || (q.state === 'held' && q.heldBy === a.id)),
  );
  if (moved.length === 0) invalid(`agent ${a.id} has nobody to transfer`);
  if (target.kind === 'user') requireUserAbsent(d, target.userId);
  const island = d.nextIsland++;
  for (const q of moved) {
    if (q.state === 'held') setParticipantState(d, q, 'connected');
    q.island = island;
  }
  a.island = d.nextIsland++;
  d.events.push(
    transferStarted(d.env.now, d.id, {
      participantId: a.id,
      target,
      transferredParticipantIds: moved.map((q) => q.id),
    }),
  );
  const p = addTarget(d, target, island);
  if (target.kind === 'queue') {
    for (const q of moved) {
      if (q.purpose === 'customer') {
        d.events.push(queueEntered(d.env.now, d.id, { participantId: q.id, queueId: target.queueId }));
      }
    }
    return undefined;
  }
  return p?.id;
}

/**
 * Consult (CONTRACT.md §4): on the party to be transferred, who is held while the consulting agent
 * talks with the target. SPEC §3: "in a consult, the agent and the consulted party form an island
 * while the customer is held."
 */
export function consultStart(
  d: Draft,
  participantId: string,
  agentParticipantId: string | undefined,
  target: ConsultTarget,
): string {
  requireActive(d);
  if (d.consult) invalid('a consult is already in progress');
  const c = find(d, participantId);
  if (!isParty(c) || c.state !== 'connected') invalid(`participant ${c.id} is not a connected party`);
  let a: DraftParticipant;
  if (agentParticipantId !== undefined) {
    a = requireConnectedAgent(d, agentParticipantId);
    if (a === c || a.island !== c.island) invalid(`agent ${a.id} is not talking with ${c.id}`);
  } else {
    const agents = d.participants.filter(
      (q) => q !== c && q.purpose === 'agent' && q.state === 'connected' && q.island === c.island,
    );
    if (agents.length !== 1) invalid(`name the consulting agent: ${agents.length} agents talk with ${c.id}`);
    a = agents[0]!;
  }
  if (target.kind === 'user') requireUserAbsent(d, target.userId);
  setParticipantState(d, c, 'held');
  c.heldBy = a.id;
  c.island = d.nextIsland++;
  d.events.push(participantHeld(d.env.now, d.id, { ...participantRef(c), byParticipantId: a.id }));
  const b = addTarget(d, target, a.island)!;
  d.consult = { customerId: c.id, agentId: a.id, consultedId: b.id };
  d.events.push(
    consultStarted(d.env.now, d.id, {
      participantId: c.id,
      agentParticipantId: a.id,
      consultedParticipantId: b.id,
    }),
  );
  return b.id;
}

function requireConsult(d: Draft) {
  requireActive(d);
  if (!d.consult) invalid('no consult in progress');
  return d.consult;
}

/** Complete: the consulting agent leaves; the held party joins the consulted one. */
export function completeConsult(d: Draft): void {
  const k = requireConsult(d);
  const b = find(d, k.consultedId);
  if (b.state !== 'connected') invalid('the consulted party has not answered yet');
  const c = find(d, k.customerId);
  d.events.push(consultCompleted(d.env.now, d.id, { participantId: c.id, consultedParticipantId: b.id }));
  c.heldBy = b.id;
  rejoin(d, c);
  leave(d, find(d, k.agentId), 'transferred');
}

/** Cancel: the consulted party leaves (`reason`); the held party rejoins the consulting agent. */
export function cancelConsult(d: Draft, reason: LeaveReason): void {
  const k = requireConsult(d);
  const b = find(d, k.consultedId);
  const c = find(d, k.customerId);
  d.events.push(consultCancelled(d.env.now, d.id, { participantId: c.id, consultedParticipantId: b.id }));
  d.consult = undefined;
  leave(d, b, reason);
  if (d.state === 'active' && c.state === 'held') rejoin(d, c);
}

/** Conference: the held party joins the consulting agent and the consulted party (all three connected). */
export function conference(d: Draft): void {
  const k = requireConsult(d);
  const b = find(d, k.consultedId);
  if (b.state !== 'connected') invalid('the consulted party has not answered yet');
  const c = find(d, k.customerId);
  d.consult = undefined;
  rejoin(d, c);
  d.events.push(conferenceStarted(d.env.now, d.id, { participantIds: [c.id, k.agentId, b.id] }));
}
