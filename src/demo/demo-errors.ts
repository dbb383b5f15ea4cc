import { type Catalogue, errorFactory } from '../util/catalogued-error.js';

/**
 * The demo traffic's error catalogue (src/demo: simulated customers and agents). These never reach
 * an API caller; they name what went wrong in the demo's logs and in its tests.
 */
export const errorCatalogue = {
  DEMO_VOICES_MISSING: {
    description:
      'The recorded voices (assets/voices/*.ulaw) are missing or empty; run scripts/make-voices.sh.',
  },
  DEMO_REGISTRATION_FAILED: {
    description: "A simulated agent's phone could not register with digest auth.",
  },
  DEMO_API_FAILED: {
    description: 'A REST call of a simulated agent (login, presence, routing status, hold, transfer) failed.',
  },
  DEMO_CALL_FAILED: {
    description: "A simulated customer's INVITE to the queue was not answered with 2xx.",
  },
  DEMO_ILLEGAL_TRANSITION: {
    description: 'A simulated party was asked to move to a state its state machine does not allow.',
  },
} as const satisfies Catalogue;

export type DemoErrorCode = keyof typeof errorCatalogue;
export const demoError = errorFactory(errorCatalogue);
