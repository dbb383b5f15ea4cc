import { type Catalogue, errorFactory } from '../../util/catalogued-error.js';

/**
 * Error codes of the registrar (RFC 3261 §10.3): each labels a refused REGISTER and carries the SIP status
 * answered. Merged into the SIP layer's catalogue (`src/sip/sip-errors.ts`).
 */
export const registrarErrorCatalogue = {
  SIP_REGISTRAR_NOT_OUR_DOMAIN: {
    sip: 404,
    description: 'The REGISTER Request-URI names a domain this registrar is not responsible for.',
  },
  SIP_REGISTRAR_BAD_EXTENSION: {
    sip: 420,
    description: 'The REGISTER requires an extension (Require) the registrar does not support.',
  },
  SIP_REGISTRAR_NOT_AUTHORIZED: {
    sip: 403,
    description: 'The authenticated user may not modify the bindings of this address-of-record.',
  },
  SIP_REGISTRAR_INVALID_REQUEST: {
    sip: 400,
    description: 'A malformed To or Contact, or "Contact: *" with other contacts or a non-zero Expires.',
  },
  SIP_REGISTRAR_INTERVAL_TOO_BRIEF: {
    sip: 423,
    description: 'A contact asked for an expiry shorter than Min-Expires (the answer carries Min-Expires).',
  },
  SIP_REGISTRAR_OUT_OF_ORDER: {
    sip: 500,
    description:
      'Same Call-ID as a stored binding but a CSeq not higher: an out-of-order REGISTER (§10.3 step 7).',
  },
  SIP_REGISTRAR_TOO_MANY_BINDINGS: {
    sip: 403,
    description: 'The address-of-record would exceed its cap of simultaneous contacts.',
  },
} as const satisfies Catalogue;

export type RegistrarErrorCode = keyof typeof registrarErrorCatalogue;
export const registrarError = errorFactory(registrarErrorCatalogue);
