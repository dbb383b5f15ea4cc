import type { WebRtcEndpoint } from '../media/webrtc/webrtc-endpoint.js';
import { WebRtcEndpointState } from '../media/webrtc/webrtc-endpoint-state.js';
import type { Dialog } from '../sip/dialog/dialog.js';
import type { CallLeg } from './call-leg.js';
import type { CallRuntime, CallWebRtcPort } from './call-runtime.js';
import { partyGone } from './leg-dialog.js';
import type { PhoneTarget } from './phone-target.js';
import { webrtcLegError } from './webrtc-leg-errors.js';

export type { CallWebRtcPort };
/** A phone target that may be a browser phone (`phone.kind === 'webrtc'`). */
export type WebRtcAwareTarget = PhoneTarget & { readonly webrtc?: boolean };

/**
 * A leg to this target needs WebRTC media (ICE + DTLS-SRTP): the phone's kind says so, or its
 * registration came over SIP over WebSocket (RFC 7118) — a browser cannot take plain RTP.
 */
export function wantsWebRtc(target: WebRtcAwareTarget): boolean {
  return target.webrtc === true || target.destination?.transport === 'ws';
}

/**
 * An offer whose audio is DTLS-SRTP. RFC 5764 §8: "the transport identifier is … 'UDP/TLS/RTP/SAVP'
 * (or 'UDP/TLS/RTP/SAVPF')"; an `a=fingerprint` marks DTLS-SRTP too (RFC 8122).
 */
export function isWebRtcOffer(sdp: string): boolean {
  return /^m=audio \d+(?:\/\d+)? (?:UDP\/TLS\/)?RTP\/SAVPF?\b/m.test(sdp) || /^a=fingerprint:/m.test(sdp);
}

/**
 * Opens the gateway endpoint of an outgoing browser leg toward the engine leg on `enginePort`
 * and returns it with our WebRTC offer (PCMU, PCMA; one host candidate on the media host; complete,
 * no trickle). An endpoint that fails later (ICE, DTLS, connect timer) ends the party's leg.
 */
export async function openWebRtcOffer(
  rt: CallRuntime,
  leg: CallLeg,
  enginePort: number,
): Promise<{ endpoint: WebRtcEndpoint; offer: string }> {
  if (!rt.webrtc) throw webrtcLegError('CALLS_WEBRTC_UNAVAILABLE', `leg ${leg.participantId}`);
  const endpoint = await rt.webrtc.createEndpoint({
    id: leg.participantId,
    engineRtp: { address: rt.settings.mediaHost, port: enginePort },
  });
  if (leg.ended) {
    // Released while the endpoint was being created: `release` found nothing to close.
    await endpoint.close();
    throw new Error('released while opening the WebRTC endpoint');
  }
  endpoint.on('state', (state, failure) => {
    if (state !== WebRtcEndpointState.Failed || leg.ended) return;
    rt.log.warn({ participantId: leg.participantId, failure }, 'browser media failed: ending the leg');
    void rt.track(partyGone(rt, leg));
  });
  return { endpoint, offer: await endpoint.createOffer() };
}

/**
 * The browser's 2xx answer: the endpoint takes it (ICE and DTLS start), and the engine leg is
 * pointed at the endpoint's relay with the codec the browser chose. An unusable answer (our
 * decision, as RFC 3261 §13.2.2.4 treats an unacceptable offer in a 2xx: "the UAC core MUST
 * generate a valid answer in the ACK and then send a BYE immediately") hangs the fresh dialog up and
 * throws.
 */
export async function acceptWebRtcAnswer(
  rt: CallRuntime,
  leg: CallLeg,
  endpoint: WebRtcEndpoint,
  dialog: Dialog,
  answerSdp: string | undefined,
): Promise<void> {
  try {
    await endpoint.acceptAnswer(answerSdp ?? '');
  } catch (err) {
    await dialog.bye().catch(() => undefined);
    throw err;
  }
  await rt.media.updateLeg(leg.participantId, {
    remote: endpoint.rtp,
    codec: endpoint.codec ?? 'PCMU',
    direction: 'sendrecv',
    telephoneEventPt: null,
  });
}
