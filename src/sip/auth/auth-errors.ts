import { type Catalogue, errorFactory } from '../../util/catalogued-error.js';

/**
 * Error codes of digest authentication (server and client side). They label outcomes (logs, metrics,
 * the registrar's answer) and the client helper's thrown errors. Merged into the SIP layer's
 * catalogue (`src/sip/sip-errors.ts`).
 */
export const authErrorCatalogue = {
  SIP_AUTH_REQUIRED: {
    sip: 401,
    description: 'The request carried no usable credentials for our realm; it is challenged.',
  },
  SIP_AUTH_STALE_NONCE: {
    sip: 401,
    description: 'The credentials were right but the nonce has expired; re-challenged with stale=true.',
  },
  SIP_AUTH_REPLAY: {
    sip: 401,
    description: 'The nonce count (nc) was not higher than one already used with this nonce: a replay.',
  },
  SIP_AUTH_FAILED: {
    sip: 403,
    description:
      'Authentication failed (unknown user or wrong password: the same answer for both, so users cannot be enumerated).',
  },
  SIP_AUTH_LOCKED_OUT: {
    sip: 403,
    description: 'Too many failed authentications from this source address; it is locked out for a while.',
  },
  SIP_AUTH_CHALLENGE_UNSUPPORTED: {
    description: 'A 401/407 challenge offered no digest algorithm or qop this client supports.',
  },
  SIP_AUTH_CHALLENGE_REJECTED: {
    description: 'The peer challenged again with a fresh nonce after our credentials: they were refused.',
  },
} as const satisfies Catalogue;

export type AuthErrorCode = keyof typeof authErrorCatalogue;
export const authError = errorFactory(authErrorCatalogue);
