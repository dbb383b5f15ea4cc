/**
 * SDP offer/answer for one audio stream (RFC 3264, RFC 4566), text handled by `sdp-transform`.
 * Pure functions: they build and read descriptions; applying them is `MediaEngine.updateLeg`.
 */
import sdpTransform from 'sdp-transform';
import type { G711Codec } from './g711.js';
import { mediaError } from './media-errors.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** What one side of a negotiation says about its audio stream. */
export interface AudioDescription {
  /** Connection address (`c=`); `0.0.0.0` (RFC 2543 hold) is reported as is. */
  address: string;
  /** RTP port; 0 means the stream is rejected or disabled (RFC 3264 §5.1). */
  port: number;
  /** Codecs we understand, in the order listed (preference order, RFC 3264 §5.1). */
  codecs: { name: G711Codec; payloadType: number }[];
  /** RFC 4733 telephone-event payload type, if offered at 8000 Hz. */
  telephoneEventPt?: number;
  ptime?: number;
  direction: Direction;
}

const KNOWN: Record<string, G711Codec> = { PCMU: 'PCMU', PCMA: 'PCMA' };
const STATIC_PT: Record<number, G711Codec> = { 0: 'PCMU', 8: 'PCMA' };

/** Reads the first audio m-line of an SDP body. */
export function parseAudioDescription(sdp: string): AudioDescription {
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(sdp);
  } catch (err) {
    throw mediaError('MEDIA_SDP_INVALID', `unparseable SDP: ${(err as Error).message}`);
  }
  const m = session.media?.find((x) => x.type === 'audio');
  if (!m) throw mediaError('MEDIA_SDP_INVALID', 'no audio m-line');
  const address = m.connection?.ip ?? session.connection?.ip;
  if (!address) throw mediaError('MEDIA_SDP_INVALID', 'no c= line for the audio stream');
  const pts = String(m.payloads ?? '')
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
  const codecs: AudioDescription['codecs'] = [];
  let telephoneEventPt: number | undefined;
  for (const pt of pts) {
    const rtp = m.rtp.find((r) => r.payload === pt);
    // RFC 3551 §6: static payload types need no rtpmap.
    const name = rtp ? KNOWN[rtp.codec.toUpperCase()] : STATIC_PT[pt];
    if (name && (!rtp || rtp.rate === 8000 || rtp.rate === undefined)) codecs.push({ name, payloadType: pt });
    if (rtp && rtp.codec.toLowerCase() === 'telephone-event' && rtp.rate === 8000) telephoneEventPt ??= pt;
  }
  // RFC 3264 §5.1: a direction attribute at media level overrides the session level; default sendrecv.
  const direction = (m.direction ?? session.direction ?? 'sendrecv') as Direction;
  const out: AudioDescription = { address, port: m.port, codecs, direction };
  if (telephoneEventPt !== undefined) out.telephoneEventPt = telephoneEventPt;
  if (m.ptime !== undefined) out.ptime = m.ptime;
  return out;
}

export interface LocalAudio {
  address: string;
  port: number;
  codecs: readonly G711Codec[];
  telephoneEventPt?: number;
  ptime?: number;
  direction?: Direction;
  sessionId?: number;
  sessionVersion?: number;
}

/** Writes an SDP body with one audio stream. */
export function writeAudioDescription(local: LocalAudio): string {
  const pts: number[] = local.codecs.map((c) => (c === 'PCMU' ? 0 : 8));
  const rtp: { payload: number; codec: string; rate?: number }[] = local.codecs.map((c, i) => ({
    payload: pts[i]!,
    codec: c,
    rate: 8000,
  }));
  const fmtp: { payload: number; config: string }[] = [];
  if (local.telephoneEventPt !== undefined) {
    pts.push(local.telephoneEventPt);
    rtp.push({ payload: local.telephoneEventPt, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: local.telephoneEventPt, config: '0-16' });
  }
  const id = local.sessionId ?? Math.floor(Math.random() * 1e9);
  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: 'earshot',
      sessionId: id,
      sessionVersion: local.sessionVersion ?? 1,
      netType: 'IN',
      ipVer: 4,
      address: local.address,
    },
    name: 'earshot',
    connection: { version: 4, ip: local.address },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port: local.port,
        protocol: 'RTP/AVP',
        payloads: pts.join(' '),
        rtp,
        fmtp,
        ptime: local.ptime ?? 20,
        direction: local.direction ?? 'sendrecv',
      },
    ],
  };
  return sdpTransform.write(session);
}

/** RFC 3264 §6.1: "sendonly" in the offer → "recvonly" in the answer, and vice versa. */
export function answerDirection(offered: Direction, wanted: Direction = 'sendrecv'): Direction {
  const theyRecv = offered === 'sendrecv' || offered === 'recvonly';
  const theySend = offered === 'sendrecv' || offered === 'sendonly';
  const weSend = (wanted === 'sendrecv' || wanted === 'sendonly') && theyRecv;
  const weRecv = (wanted === 'sendrecv' || wanted === 'recvonly') && theySend;
  if (weSend && weRecv) return 'sendrecv';
  if (weSend) return 'sendonly';
  if (weRecv) return 'recvonly';
  return 'inactive';
}

/** The agreed stream, from either side's point of view. */
export interface Negotiated {
  codec: G711Codec;
  payloadType: number;
  telephoneEventPt?: number;
  ptime: number;
  /** Where to send: undefined when the peer gave no usable address (port 0, `0.0.0.0`). */
  remote?: { address: string; port: number };
  /** Our direction. */
  direction: Direction;
}

/**
 * Answers an audio offer. RFC 3264 §6.1: the answerer picks from the offered formats, and "the
 * answer MUST contain ... the direction" reversed as `answerDirection` does. We keep the offerer's
 * preference order (the first offered codec we support wins).
 */
export function answerAudioOffer(
  offerSdp: string,
  local: Omit<LocalAudio, 'codecs' | 'direction'> & { accept?: readonly G711Codec[]; direction?: Direction },
): { sdp: string; negotiated: Negotiated } {
  const offer = parseAudioDescription(offerSdp);
  const accept = local.accept ?? ['PCMU', 'PCMA'];
  const chosen = offer.codecs.find((c) => accept.includes(c.name));
  if (!chosen || offer.port === 0) throw mediaError('MEDIA_NO_COMMON_CODEC');
  const direction = answerDirection(offer.direction, local.direction);
  const telephoneEventPt = local.telephoneEventPt !== undefined ? offer.telephoneEventPt : undefined;
  const sdpOpts: LocalAudio = { ...local, codecs: [chosen.name], direction, ptime: 20 };
  if (telephoneEventPt !== undefined) sdpOpts.telephoneEventPt = telephoneEventPt;
  else delete sdpOpts.telephoneEventPt;
  const negotiated: Negotiated = {
    codec: chosen.name,
    payloadType: chosen.payloadType,
    ptime: 20,
    direction,
  };
  if (telephoneEventPt !== undefined) negotiated.telephoneEventPt = telephoneEventPt;
  if (offer.address !== '0.0.0.0') negotiated.remote = { address: offer.address, port: offer.port };
  return { sdp: writeAudioDescription(sdpOpts), negotiated };
}

/** Reads an answer to our offer: the first codec of the answer is the one in use. */
export function readAudioAnswer(answerSdp: string, offered: readonly G711Codec[]): Negotiated {
  const ans = parseAudioDescription(answerSdp);
  const chosen = ans.codecs.find((c) => offered.includes(c.name));
  if (!chosen || ans.port === 0) throw mediaError('MEDIA_NO_COMMON_CODEC');
  const negotiated: Negotiated = {
    codec: chosen.name,
    payloadType: chosen.payloadType,
    ptime: ans.ptime ?? 20,
    direction: answerDirection(ans.direction),
  };
  if (ans.telephoneEventPt !== undefined) negotiated.telephoneEventPt = ans.telephoneEventPt;
  if (ans.address !== '0.0.0.0') negotiated.remote = { address: ans.address, port: ans.port };
  return negotiated;
}
