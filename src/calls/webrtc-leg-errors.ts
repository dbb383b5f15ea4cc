import { type Catalogue, errorFactory } from '../util/catalogued-error.js';

/**
 * Call control's errors about browser-phone (WebRTC) legs. A separate file beside
 * `calls-errors.ts` because it belongs to the WebRTC leg placement (`webrtc-leg.ts`); same layer,
 * same `CALLS_` prefix, documented under "Calls" in docs/errors.md.
 */
export const errorCatalogue = {
  CALLS_WEBRTC_OFFER_REFUSED: {
    sip: 488,
    description:
      'An INVITE carried a WebRTC (DTLS-SRTP) offer: browser phones only receive calls, they do not place them.',
  },
  CALLS_WEBRTC_UNAVAILABLE: {
    http: 409,
    sip: 480,
    description: 'A browser (webrtc) phone was to be called but no WebRTC gateway is configured.',
  },
} as const satisfies Catalogue;

export type WebRtcLegErrorCode = keyof typeof errorCatalogue;
export const webrtcLegError = errorFactory(errorCatalogue);
