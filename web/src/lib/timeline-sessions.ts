import type { Participant, TimelineEntry } from './types.js';

export interface SupervisionSession {
  mode: 'monitor' | 'coach';
  participantId: string;
  userId?: string;
  targetParticipantId?: string;
  start: string;
  end?: string;
  reason?: string;
}

/**
 * Pairs `monitor.started`/`monitor.ended` and `coach.started`/`coach.ended` timeline entries
 * (CONTRACT.md §4, R13) into sessions, in start order. A switch (R12) ends one session and starts the
 * next on the same participant, so pairing is by participant and mode, oldest open first.
 */
export function sessionsFromTimeline(entries: readonly TimelineEntry[]): SupervisionSession[] {
  const sessions: SupervisionSession[] = [];
  const open = new Map<string, SupervisionSession>();
  for (const e of entries) {
    const m = /^(monitor|coach)\.(started|ended)$/.exec(e.type);
    if (!m || !e.participantId) continue;
    const mode = m[1] as 'monitor' | 'coach';
    const key = `${mode}:${e.participantId}`;
    if (m[2] === 'started') {
      const s: SupervisionSession = { mode, participantId: e.participantId, start: e.at };
      if (e.userId) s.userId = e.userId;
      if (e.targetParticipantId) s.targetParticipantId = e.targetParticipantId;
      sessions.push(s);
      open.set(key, s);
    } else {
      const s = open.get(key);
      if (!s) continue;
      s.end = e.at;
      if (e.reason) s.reason = e.reason;
      open.delete(key);
    }
  }
  return sessions;
}

/** One human line per timeline entry, naming participants when the conversation knows them. */
export function describeEntry(e: TimelineEntry, participants: readonly Participant[]): string {
  const name = (id?: string) => (id ? (participants.find((p) => p.id === id)?.name ?? 'a participant') : '');
  const who = name(e.participantId);
  const target = name(e.targetParticipantId);
  const reason = e.reason ? ` (${e.reason.replaceAll('-', ' ')})` : '';
  switch (e.type) {
    case 'monitor.started':
      return `${who} started monitoring ${target}`;
    case 'monitor.ended':
      return `${who} stopped monitoring ${target}${reason}`;
    case 'coach.started':
      return `${who} started coaching ${target}`;
    case 'coach.ended':
      return `${who} stopped coaching ${target}${reason}`;
    case 'supervision.failed':
      return `Supervision by ${who || 'a supervisor'} failed${reason}`;
    default:
      return `${e.type.replaceAll('.', ' ')}${who ? `: ${who}` : ''}${reason}`;
  }
}
