import { type Catalogue, errorFactory } from '../util/catalogued-error.js';

/**
 * Call control's error catalogue (`src/calls/`, outside `app/`). Most reach a SIP peer as the
 * answer to its INVITE; a few reach API callers through the application services.
 */
export const errorCatalogue = {
  CALLS_SOURCE_NOT_ALLOWED: {
    sip: 403,
    description: 'An INVITE to a queue number came from an address that is on no trunk allow-list.',
  },
  CALLS_NUMBER_NOT_FOUND: { sip: 404, description: 'No queue has the dialled number.' },
  CALLS_SHUTTING_DOWN: {
    http: 503,
    sip: 503,
    description: 'Call control is stopping and takes no new calls.',
  },
  CALLS_ILLEGAL_TRANSITION: {
    http: 500,
    sip: 500,
    description: 'A call leg was asked for a state change its state machine forbids.',
  },
  CALLS_PHONE_UNREACHABLE: {
    http: 409,
    sip: 480,
    description: 'The phone has no current registration, or the trunk has no outbound URI.',
  },
} as const satisfies Catalogue;

export type CallsErrorCode = keyof typeof errorCatalogue;
export const callsError = errorFactory(errorCatalogue);
