import { type Catalogue, errorFactory } from '../util/catalogued-error.js';
import { authErrorCatalogue } from './auth/auth-errors.js';
import { registrarErrorCatalogue } from './registrar/registrar-errors.js';

/**
 * The SIP stack's error catalogue (CONVENTIONS.md habit 7). Each code maps to the SIP status a
 * UAS answers with when the error ends a server transaction, and to an HTTP status when it reaches
 * an API caller through `calls/`.
 */
const coreCatalogue = {
  SIP_PARSE_ERROR: { sip: 400, http: 502, description: 'A SIP message could not be parsed.' },
  SIP_VERSION_NOT_SUPPORTED: { sip: 505, http: 502, description: 'The message is not SIP/2.0.' },
  SIP_MESSAGE_TOO_LARGE: { sip: 513, http: 502, description: 'The message exceeds the size limit.' },
  SIP_TRANSACTION_TIMEOUT: {
    sip: 408,
    http: 504,
    description: 'A client transaction got no final response in time (Timer B or F).',
  },
  SIP_TRANSPORT_ERROR: { sip: 503, http: 502, description: 'A message could not be sent.' },
  SIP_ILLEGAL_TRANSITION: {
    sip: 500,
    http: 500,
    description: 'A state machine was asked for a transition its diagram forbids.',
  },
  SIP_REQUEST_FAILED: {
    http: 502,
    description: 'A request was answered with a final non-2xx response (the status is in details).',
  },
  SIP_REQUEST_CANCELLED: { sip: 487, http: 409, description: 'The INVITE was cancelled before an answer.' },
  SIP_NO_ACK: { sip: 408, http: 504, description: 'A 2xx to INVITE was never acknowledged (64*T1).' },
  SIP_DIALOG_TERMINATED: { sip: 481, http: 409, description: 'The dialog does not exist or has ended.' },
  SIP_REQUEST_PENDING: {
    sip: 491,
    http: 409,
    description: 'Another offer/answer exchange is in progress on this dialog.',
  },
  SIP_UA_CLOSED: { sip: 503, http: 503, description: 'The user agent is closed.' },
  SIP_INVALID_ARGUMENT: { http: 400, description: 'A call-control verb got an invalid argument.' },
} as const satisfies Catalogue;

/** The whole SIP layer's catalogue: the core's codes plus digest auth's and the registrar's. */
export const errorCatalogue = {
  ...coreCatalogue,
  ...authErrorCatalogue,
  ...registrarErrorCatalogue,
} as const satisfies Catalogue;

export type SipErrorCode = keyof typeof coreCatalogue;
export const sipError = errorFactory(coreCatalogue);
