import { type Catalogue, errorFactory } from '../util/catalogued-error.js';

/**
 * The domain's error catalogue. Codes are stable: API clients and the console key on them.
 * Supervision refusals are those of CONTRACT.md §4; the others are the domain's own.
 * Every decision that throws one of these leaves the conversation exactly as it was.
 */
export const errorCatalogue = {
  PERMISSION_DENIED: { http: 403, description: 'The caller lacks the permission this action needs (R1).' },
  NO_SELECTED_PHONE: { http: 409, description: 'The supervisor has no selected phone (R2).' },
  SUPERVISOR_NOT_AVAILABLE: { http: 409, description: "The supervisor's presence is not AVAILABLE (R3)." },
  CONVERSATION_NOT_IN_PROGRESS: { http: 409, description: 'The conversation has ended (R4).' },
  TARGET_NOT_SUPERVISABLE: {
    http: 409,
    description:
      'The target participant is not connected or held, or a coach target is not an agent (R4, R6).',
  },
  SUPERVISOR_IS_PARTICIPANT: {
    http: 409,
    description: 'The supervisor participates in this conversation and cannot supervise it (R5).',
  },
  SUPERVISOR_BUSY: { http: 409, description: "A session already runs on the supervisor's phone (R5)." },
  AGENT_ALREADY_COACHED: { http: 409, description: 'This agent is already coached on this call (R7).' },
  MONITOR_LIMIT_REACHED: {
    http: 409,
    description: 'The cap of simultaneous monitors on this call is reached (R7).',
  },
  INVALID_STATE: {
    http: 409,
    description: 'The command makes no sense in the current state of the conversation, participant or user.',
  },
  PARTICIPANT_NOT_FOUND: { http: 404, description: 'No participant with this id in the conversation.' },
  USER_ALREADY_IN_CONVERSATION: {
    http: 409,
    description: 'The user already takes part in this conversation (as a party or a supervisor).',
  },
  NO_AGENT_AVAILABLE: {
    http: 409,
    description: 'No queue member is on queue, idle, available and free to take the call.',
  },
  INVALID_COMMAND: { http: 400, description: 'The command is malformed (unknown type or bad field).' },
} as const satisfies Catalogue;

export type CenterErrorCode = keyof typeof errorCatalogue;
export const centerError = errorFactory(errorCatalogue);
