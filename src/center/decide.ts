import { answer, disconnect, endCall, hold, mute, noAnswer, offer, resume } from './call-decisions.js';
import { centerError } from './center-errors.js';
import type { ConversationCommand } from './conversation-commands.js';
import { commit, openDraft } from './conversation-draft.js';
import type { ConversationEvent } from './conversation-events.js';
import type { ConversationRecord, DecisionEnv } from './conversation-types.js';
import {
  sessionAnswered,
  sessionFailed,
  sessionHungUp,
  startSession,
  stopSession,
  switchSession,
} from './supervision-decisions.js';
import { cancelConsult, completeConsult, conference, consultStart, transfer } from './transfer-decisions.js';

/** The outcome of one command: the new conversation and the timeline events it produced. */
export interface Decision {
  readonly conversation: ConversationRecord;
  readonly events: readonly ConversationEvent[];
  /** The participant the command created, if any (offer, transfer/consult target, supervision start). */
  readonly participantId?: string;
}

/**
 * The pure core: `decide(conversation, command, env) → { conversation, events }`.
 * The input is never modified. A command that makes no sense throws a `CataloguedError` of
 * `center-errors.ts` and — since only a private draft was touched — leaves the state as it was.
 */
export function decide(c: ConversationRecord, command: ConversationCommand, env: DecisionEnv): Decision {
  const d = openDraft(c, env);
  let created: string | undefined;
  switch (command.type) {
    case 'offer':
      created = offerAndReturnId(d, command.userId, command.name);
      break;
    case 'answer':
      answer(d, command.participantId);
      break;
    case 'no-answer':
      noAnswer(d, command.participantId, command.reason);
      break;
    case 'hold':
      hold(d, command.participantId);
      break;
    case 'resume':
      resume(d, command.participantId);
      break;
    case 'mute':
      mute(d, command.participantId, command.muted);
      break;
    case 'transfer':
      created = transfer(d, command.participantId, command.target);
      break;
    case 'consult.start':
      created = consultStart(d, command.participantId, command.agentParticipantId, command.target);
      break;
    case 'consult.complete':
      completeConsult(d);
      break;
    case 'consult.cancel':
      cancelConsult(d, 'consult-cancelled');
      break;
    case 'conference':
      conference(d);
      break;
    case 'disconnect':
      disconnect(d, command.participantId);
      break;
    case 'conversation.end':
      endCall(d);
      break;
    case 'supervision.start':
      created = startSession(
        d,
        command.mode,
        command.targetParticipantId,
        command.supervisor,
        command.monitorCap,
      );
      break;
    case 'supervision.answered':
      sessionAnswered(d, command.participantId);
      break;
    case 'supervision.failed':
      sessionFailed(d, command.participantId, command.reason);
      break;
    case 'supervision.stop':
      stopSession(d, command.participantId);
      break;
    case 'supervision.hung-up':
      sessionHungUp(d, command.participantId);
      break;
    case 'supervision.switch':
      switchSession(d, command.participantId, command.mode, command.permissions, command.monitorCap);
      break;
    default:
      throw centerError('INVALID_COMMAND', `unknown command ${(command as { type?: unknown }).type}`);
  }
  const conversation = commit(d);
  return created === undefined
    ? { conversation, events: d.events }
    : { conversation, events: d.events, participantId: created };
}

function offerAndReturnId(d: Parameters<typeof offer>[0], userId: string, name: string): string {
  offer(d, userId, name);
  return d.participants[d.participants.length - 1]!.id;
}
