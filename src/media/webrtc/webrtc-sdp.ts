/**
 * The SDP rules of a WebRTC audio leg, as pure functions over SDP text (parsed by `sdp-transform`).
 * werift builds and applies the descriptions; these functions refuse what we do not accept before
 * werift sees it, and read what was agreed.
 */
import sdpTransform from 'sdp-transform';
import type { G711Codec } from '../g711.js';
import { mediaError } from '../media-errors.js';
import { parseAudioDescription } from '../sdp-audio.js';
import { webrtcError } from './webrtc-errors.js';

export type SdpRole = 'offer' | 'answer';
export type DtlsSetup = 'actpass' | 'active' | 'passive';

/** What a browser's description says about its audio stream. */
export interface WebRtcAudio {
  /** PCMU/PCMA payload types in the order listed (the first is the one used, RFC 3264 §6.1). */
  codecs: { name: G711Codec; payloadType: number }[];
  setup: DtlsSetup;
  fingerprints: { algorithm: string; value: string }[];
  candidates: { address: string; port: number; transport: string; type: string }[];
}

/** RFC 8122 §5: SHA-1 is deprecated for fingerprints; we accept only the SHA-2 family. */
const FINGERPRINT_ALGORITHMS = new Set(['sha-256', 'sha-384', 'sha-512']);

/**
 * Reads the first audio m-line of a browser's offer or answer and checks it against our rules.
 * Throws MEDIA_SDP_INVALID (unparseable, no audio), MEDIA_NO_COMMON_CODEC (neither PCMU nor PCMA),
 * WEBRTC_NOT_SECURE (no DTLS-SRTP) or WEBRTC_SDP_UNSUPPORTED (no rtcp-mux, no ICE credentials,
 * a=setup wrong for the role).
 */
export function readWebRtcAudio(sdp: string, role: SdpRole): WebRtcAudio {
  const audio = parseAudioDescription(sdp);
  const session = sdpTransform.parse(sdp);
  const m = session.media.find((x) => x.type === 'audio');
  if (!m) throw mediaError('MEDIA_SDP_INVALID', 'no audio m-line');
  if (m.port === 0) throw mediaError('MEDIA_SDP_INVALID', 'the audio stream is rejected (port 0)');
  if (audio.codecs.length === 0) throw mediaError('MEDIA_NO_COMMON_CODEC', 'neither PCMU nor PCMA offered');

  // RFC 5764 §8: DTLS-SRTP media is signalled with the UDP/TLS/RTP/SAVP (or SAVPF) transport.
  if (!/^UDP\/TLS\/RTP\/SAVPF?$/i.test(m.protocol)) {
    throw webrtcError('WEBRTC_NOT_SECURE', `transport ${m.protocol} is not DTLS-SRTP`);
  }
  // RFC 8122 §5: "a=fingerprint" at media level, or at session level for all media.
  const raw = m.fingerprint ? [m.fingerprint] : session.fingerprint ? [session.fingerprint] : [];
  const fingerprints = raw
    .map((f) => ({ algorithm: f.type.toLowerCase(), value: f.hash }))
    .filter((f) => FINGERPRINT_ALGORITHMS.has(f.algorithm) && /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(f.value));
  if (fingerprints.length === 0) {
    throw webrtcError('WEBRTC_NOT_SECURE', 'no SHA-2 a=fingerprint for the DTLS certificate');
  }
  // RFC 8843/JSEP: WebRTC multiplexes RTP and RTCP on one port; we require it (RFC 5761 §5.1.1).
  if (m.rtcpMux !== 'rtcp-mux') throw webrtcError('WEBRTC_SDP_UNSUPPORTED', 'a=rtcp-mux is required');
  if (!(m.iceUfrag ?? session.iceUfrag) || !(m.icePwd ?? session.icePwd)) {
    throw webrtcError('WEBRTC_SDP_UNSUPPORTED', 'a=ice-ufrag and a=ice-pwd are required');
  }

  const setup = (m.setup ?? session.setup ?? '').toLowerCase();
  // RFC 8842 §5.2: "the offerer MUST assign the SDP 'setup' attribute value of 'actpass'" (initial offer).
  if (role === 'offer' && setup !== 'actpass') {
    throw webrtcError('WEBRTC_SDP_UNSUPPORTED', `an offer must carry a=setup:actpass, not "${setup}"`);
  }
  // RFC 5763 §5: "The answerer MUST use either a setup attribute value of setup:active or setup:passive."
  if (role === 'answer' && setup !== 'active' && setup !== 'passive') {
    throw webrtcError(
      'WEBRTC_SDP_UNSUPPORTED',
      `an answer must carry a=setup:active or passive, not "${setup}"`,
    );
  }

  const candidates = (m.candidates ?? []).map((c) => ({
    address: c.ip,
    port: c.port,
    transport: c.transport.toLowerCase(),
    type: c.type,
  }));
  return { codecs: audio.codecs, setup: setup as DtlsSetup, fingerprints, candidates };
}

/** The codec an answer agreed on: its first PCMU/PCMA payload type (RFC 3264 §6.1). */
export function answeredCodec(answerSdp: string): { name: G711Codec; payloadType: number } {
  const first = parseAudioDescription(answerSdp).codecs[0];
  if (!first) throw mediaError('MEDIA_NO_COMMON_CODEC', 'the answer has neither PCMU nor PCMA');
  return first;
}
