import type { ConversationRecord, ParticipantRecord } from './conversation-types.js';

/** System audio a leg hears besides voices. Supervisors never hear any (SPEC §3). */
export type SystemAudio = 'none' | 'music' | 'ringback';

/** What one listening leg hears: the participants whose voices are mixed for it, and system audio. */
export interface LegPlan {
  readonly participantId: string;
  /** Participant ids whose voices this leg hears, in participant order. Never contains `participantId`. */
  readonly hears: readonly string[];
  readonly system: SystemAudio;
}

/** Who hears whom in one conversation: one entry per listening leg (connected or held; not acd). */
export interface HearingPlan {
  readonly conversationId: string;
  readonly legs: readonly LegPlan[];
}

const NOBODY: readonly string[] = Object.freeze([]);

/**
 * Scratch space for one leg's voices, reused across calls (the function stays pure: the scratch never
 * escapes; each leg gets an exact-size copy, one allocation, or the shared empty list).
 */
const scratch: string[] = [];

function take(n: number): readonly string[] {
  if (n === 0) return NOBODY;
  const out = scratch.slice(0, n);
  return out;
}

/**
 * The hearing rule (SPEC §3) — the only place that decides audio.
 *
 * SPEC §3: "Participants who are connected to each other form an audio island. A held participant
 * is alone in its own island; a customer waiting in a queue or being transferred is alone in its
 * island until an agent answers; in a consult, the agent and the consulted party form an island
 * while the customer is held."
 *
 * Cheap by construction (the media engine gets it on every change): two nested loops over the
 * participant array, no maps, no sets, no closures.
 */
export function hearingPlan(c: ConversationRecord): HearingPlan {
  const ps = c.participants;
  const legs: LegPlan[] = [];
  if (c.state !== 'ended') {
    for (let i = 0; i < ps.length; i++) {
      const l = ps[i]!;
      if (l.state !== 'connected' && l.state !== 'held') continue;
      switch (l.purpose) {
        case 'customer':
        case 'agent':
          legs.push(partyLeg(ps, l));
          break;
        case 'monitor':
          legs.push(supervisorLeg(ps, l, l.monitoredParticipantId));
          break;
        case 'coach':
          legs.push(supervisorLeg(ps, l, l.coachedParticipantId));
          break;
        // acd is a system source (music), not a listener.
      }
    }
  }
  return { conversationId: c.id, legs };
}

function isVoiceParty(p: ParticipantRecord): boolean {
  return p.purpose === 'customer' || p.purpose === 'agent';
}

/** A customer's or agent's leg. */
function partyLeg(ps: readonly ParticipantRecord[], l: ParticipantRecord): LegPlan {
  // A held participant is alone in its own island: no voice, hold music.
  if (l.state === 'held') return { participantId: l.id, hears: NOBODY, system: 'music' };
  let n = 0;
  let partner = false;
  let ringing = false;
  let queued = false;
  for (let j = 0; j < ps.length; j++) {
    const s = ps[j]!;
    if (s === l) continue; // SPEC §3: "Nobody ever hears their own voice back."
    if (s.state === 'connected') {
      if (s.purpose === 'coach') {
        // SPEC §3: "A coach of agent A hears every voice in A's island; A also hears the coach;
        // nobody else hears the coach."
        if (s.coachedParticipantId === l.id && !s.muted) scratch[n++] = s.id;
      } else if (s.island === l.island) {
        if (isVoiceParty(s)) {
          partner = true;
          if (!s.muted) scratch[n++] = s.id;
        } else if (s.purpose === 'acd') {
          queued = true;
        }
        // SPEC §3: "A monitor of participant P hears every voice in P's island, and nobody hears the monitor."
      }
    } else if (s.state === 'alerting' && s.island === l.island && isVoiceParty(s)) {
      ringing = true;
    }
  }
  const system: SystemAudio = partner ? 'none' : ringing ? 'ringback' : queued ? 'music' : 'none';
  return { participantId: l.id, hears: take(n), system };
}

/** A monitor's or coach's leg: the voices of the target's island; never system audio. */
function supervisorLeg(
  ps: readonly ParticipantRecord[],
  l: ParticipantRecord,
  targetId: string | undefined,
): LegPlan {
  let t: ParticipantRecord | undefined;
  for (let j = 0; j < ps.length; j++) {
    if (ps[j]!.id === targetId) {
      t = ps[j];
      break;
    }
  }
  if (t === undefined || (t.state !== 'connected' && t.state !== 'held')) {
    return { participantId: l.id, hears: NOBODY, system: 'none' };
  }
  // SPEC §3: "A monitor follows its participant": a held target is alone in its island.
  if (t.state === 'held') return { participantId: l.id, hears: t.muted ? NOBODY : [t.id], system: 'none' };
  let n = 0;
  for (let j = 0; j < ps.length; j++) {
    const s = ps[j]!;
    if (s.state === 'connected' && s.island === t.island && isVoiceParty(s) && !s.muted) scratch[n++] = s.id;
  }
  return { participantId: l.id, hears: take(n), system: 'none' };
}

/** The plan of one leg, if that participant listens. */
export function legPlan(plan: HearingPlan, participantId: string): LegPlan | undefined {
  for (const leg of plan.legs) if (leg.participantId === participantId) return leg;
  return undefined;
}

/** True when `listenerId`'s leg hears `speakerId`'s voice. */
export function hears(plan: HearingPlan, listenerId: string, speakerId: string): boolean {
  return legPlan(plan, listenerId)?.hears.includes(speakerId) ?? false;
}
