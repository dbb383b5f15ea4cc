/**
 * The state machine of a WebRTC endpoint (one browser's ICE + DTLS-SRTP media session).
 *
 *     ┌─────┐ createOffer() ┌──────────┐ acceptAnswer()  ┌────────────┐ ICE + DTLS up ┌───────────┐
 *     │ new │ ────────────► │ offering │ ──────────────► │ connecting │ ────────────► │ connected │
 *     └─────┘               └──────────┘                 └────────────┘               └───────────┘
 *        │            acceptOffer()                        ▲   │ ICE/DTLS failure,       │ ICE consent
 *        └─────────────────────────────────────────────────┘   │ fingerprint mismatch,   │ lost, DTLS
 *                                                               ▼ connect timer           ▼ closed
 *                                                         ┌────────┐ ◄────────────────────┘
 *                                                         │ failed │
 *                                                         └────────┘
 *     any state ── close() ──► closed (final)
 *
 * The connect timer is armed on entering `connecting` and cleared on leaving it.
 */
import { webrtcError } from './webrtc-errors.js';

export enum WebRtcEndpointState {
  New = 'new',
  Offering = 'offering',
  Connecting = 'connecting',
  Connected = 'connected',
  Failed = 'failed',
  Closed = 'closed',
}

const ALLOWED: Readonly<Record<WebRtcEndpointState, readonly WebRtcEndpointState[]>> = {
  [WebRtcEndpointState.New]: [
    WebRtcEndpointState.Offering,
    WebRtcEndpointState.Connecting,
    WebRtcEndpointState.Failed,
    WebRtcEndpointState.Closed,
  ],
  [WebRtcEndpointState.Offering]: [
    WebRtcEndpointState.Connecting,
    WebRtcEndpointState.Failed,
    WebRtcEndpointState.Closed,
  ],
  [WebRtcEndpointState.Connecting]: [
    WebRtcEndpointState.Connected,
    WebRtcEndpointState.Failed,
    WebRtcEndpointState.Closed,
  ],
  [WebRtcEndpointState.Connected]: [WebRtcEndpointState.Failed, WebRtcEndpointState.Closed],
  [WebRtcEndpointState.Failed]: [WebRtcEndpointState.Closed],
  [WebRtcEndpointState.Closed]: [],
};

/** Throws WEBRTC_INVALID_STATE unless `from → to` is in the diagram. */
export function checkWebRtcTransition(id: string, from: WebRtcEndpointState, to: WebRtcEndpointState): void {
  if (!ALLOWED[from].includes(to)) {
    throw webrtcError('WEBRTC_INVALID_STATE', `webrtc endpoint ${id}: ${from} → ${to} is not allowed`, {
      from,
      to,
    });
  }
}

/** Why an endpoint failed. */
export type WebRtcFailure = 'ice-failed' | 'dtls-failed' | 'connect-timeout' | 'transport-closed';
