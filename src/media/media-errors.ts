import { type Catalogue, errorFactory } from '../util/catalogued-error.js';

/**
 * The media engine's error catalogue. These reach the call-control layer (`src/calls/`), which maps
 * them to SIP answers (e.g. 488 when SDP negotiation finds no common codec) or to 500s.
 */
export const errorCatalogue = {
  MEDIA_ENGINE_CLOSED: { http: 503, sip: 503, description: 'The media engine is closed.' },
  MEDIA_LEG_EXISTS: { http: 409, sip: 500, description: 'A media leg with this id already exists.' },
  MEDIA_LEG_NOT_FOUND: { http: 404, sip: 500, description: 'No media leg has this id.' },
  MEDIA_PORTS_EXHAUSTED: {
    http: 503,
    sip: 503,
    description: "No free RTP port is left in the media worker's port range.",
  },
  MEDIA_BAD_PLAN: {
    http: 500,
    sip: 500,
    description: 'A hearing plan names a leg that is not in its group, or is malformed.',
  },
  MEDIA_BAD_LEG_OPTIONS: { http: 500, sip: 500, description: 'A leg description is invalid.' },
  MEDIA_ILLEGAL_TRANSITION: {
    http: 500,
    sip: 500,
    description: 'A media leg was asked for a state change its state machine forbids.',
  },
  MEDIA_WORKER_FAILED: { http: 503, sip: 503, description: 'A media worker thread failed or exited.' },
  MEDIA_SDP_INVALID: { http: 400, sip: 400, description: 'The SDP could not be parsed or has no audio.' },
  MEDIA_NO_COMMON_CODEC: {
    http: 488,
    sip: 488,
    description: 'The SDP offer has no codec we accept (PCMU or PCMA).',
  },
} as const satisfies Catalogue;

export type MediaErrorCode = keyof typeof errorCatalogue;
export const mediaError = errorFactory(errorCatalogue);
