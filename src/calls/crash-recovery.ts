import type pino from 'pino';
import {
  appendTimeline,
  closeOpenConversations,
  listConversations,
} from '../store/conversation.repository.js';
import type { Db } from '../store/database.js';
import { listOrgs } from '../store/org.repository.js';
import type { Clock } from '../util/clock.js';

/**
 * ARCHITECTURE.md "On start, a node closes any conversation it owned that is still open in the
 * store (crash recovery) with a timeline entry." Every monitor or coach session still running is
 * ended first (R13: every session is on the timeline, here with `conversation-ended`), then the
 * conversations and their participants are closed with `conversation.ended`.
 * Returns the ids of the conversations closed.
 */
export async function recoverOpenConversations(
  db: Db,
  clock: Clock,
  logger?: pino.Logger,
): Promise<string[]> {
  const at = new Date(clock.now()).toISOString();
  let sessions = 0;
  for (const org of await listOrgs(db)) {
    for (const c of await listConversations(db, org.id, 'active')) {
      for (const p of c.participants) {
        if ((p.purpose !== 'monitor' && p.purpose !== 'coach') || p.state === 'disconnected') continue;
        const target = p.monitoredParticipantId ?? p.coachedParticipantId;
        if (p.state === 'alerting') {
          // The phone was still ringing: the attempt failed.
          await appendTimeline(db, org.id, c.id, {
            type: 'supervision.failed',
            at,
            ...(p.userId ? { userId: p.userId } : {}),
            participantId: p.id,
            ...(target ? { targetParticipantId: target } : {}),
            reason: 'phone-unreachable',
          });
        } else {
          await appendTimeline(db, org.id, c.id, {
            type: `${p.purpose}.ended`,
            at,
            ...(p.userId ? { userId: p.userId } : {}),
            participantId: p.id,
            ...(target ? { targetParticipantId: target } : {}),
            reason: 'conversation-ended',
          });
        }
        sessions++;
      }
    }
  }
  const closed = await closeOpenConversations(db, at, 'conversation-ended');
  if (closed.length)
    logger?.warn({ conversations: closed.length, sessions }, 'closed what a previous run left open');
  return closed;
}
