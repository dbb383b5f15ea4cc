import { type Catalogue, errorFactory } from '../../util/catalogued-error.js';

/**
 * The WebRTC gateway's error catalogue (part of the media layer). SDP refusals map to SIP 488
 * (Not Acceptable Here) so call control can answer a browser's INVITE with it; SDP that does not
 * parse and offers without PCMU/PCMA reuse the engine's `MEDIA_SDP_INVALID` / `MEDIA_NO_COMMON_CODEC`.
 */
export const errorCatalogue = {
  WEBRTC_NOT_SECURE: {
    http: 488,
    sip: 488,
    description: 'The SDP does not ask for DTLS-SRTP (UDP/TLS/RTP/SAVP(F) with a SHA-2 a=fingerprint).',
  },
  WEBRTC_SDP_UNSUPPORTED: {
    http: 488,
    sip: 488,
    description: 'The SDP lacks a=rtcp-mux or ICE credentials, or its a=setup is wrong for its role.',
  },
  WEBRTC_INVALID_STATE: {
    http: 500,
    sip: 500,
    description: 'A WebRTC endpoint was asked for a step its state machine forbids (e.g. a second offer).',
  },
  WEBRTC_ENDPOINT_EXISTS: {
    http: 409,
    sip: 500,
    description: 'A WebRTC endpoint with this id already exists.',
  },
  WEBRTC_GATEWAY_CLOSED: { http: 503, sip: 503, description: 'The WebRTC gateway is closed.' },
} as const satisfies Catalogue;

export type WebRtcErrorCode = keyof typeof errorCatalogue;
export const webrtcError = errorFactory(errorCatalogue);
