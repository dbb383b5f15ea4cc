import type { G711Codec } from '../media/media-types.js';
import { readAudioAnswer, writeAudioDescription } from '../media/sdp-audio.js';
import { CataloguedError } from '../util/catalogued-error.js';
import { type CallLeg, LegState } from './call-leg.js';
import type { CallRuntime } from './call-runtime.js';
import { watchDialog } from './leg-dialog.js';
import { acceptWebRtcAnswer, openWebRtcOffer, type WebRtcAwareTarget, wantsWebRtc } from './webrtc-leg.js';

/** How an outgoing leg ended before being answered (CONTRACT.md §4 `supervision.failed` reasons). */
export type PlacementFailure = 'no-answer' | 'declined' | 'phone-unreachable';

export interface PlacementOutcome {
  answered(): Promise<void>;
  failed(reason: PlacementFailure): Promise<void>;
}

const OFFERED: readonly G711Codec[] = ['PCMU', 'PCMA'];

/** Maps a final non-2xx status to the failure reason of R8/R13. */
export function failureOfStatus(status: number | undefined): PlacementFailure {
  // R8: "no answer within the ring timeout (default 30 s) or a decline ends the attempt".
  if (status === 486 || status === 600 || status === 603) return 'declined';
  if (status === 480 || status === 487) return 'no-answer';
  return 'phone-unreachable';
}

/**
 * Places one outgoing leg: allocates its RTP port, INVITEs the target with our offer (auto-answer
 * headers for `sip`/`webrtc` phones), arms the ring timer, and on 2xx points the media leg at the
 * answer and reports `answered`; on failure, timeout or release it frees everything and reports why.
 * A browser phone (`wantsWebRtc`) gets a WebRTC offer from a gateway endpoint that relays to the
 * engine leg (docs/calls.md "Browser phones"); `sip` and `remote` phones get plain RTP.
 */
export async function placeOutbound(
  rt: CallRuntime,
  leg: CallLeg,
  target: WebRtcAwareTarget,
  outcome: PlacementOutcome,
  from?: string,
): Promise<void> {
  const log = rt.log.child({ participantId: leg.participantId, conversationId: leg.conversationId });
  let failure: PlacementFailure | undefined;
  const browser = wantsWebRtc(target);
  try {
    const { port } = await rt.media.createLeg({
      id: leg.participantId,
      group: leg.conversationId,
      codec: 'PCMU',
      // Browser legs negotiate no telephone-event (docs/webrtc.md): the relay would drop it.
      ...(browser ? {} : { telephoneEventPt: rt.settings.telephoneEventPt }),
    });
    leg.mediaLeg = true;
    leg.rtpPort = port;
    if (leg.ended) throw new Error('released while allocating media');
    const webrtc = browser ? await openWebRtcOffer(rt, leg, port) : undefined;
    const sdp =
      webrtc?.offer ??
      writeAudioDescription({
        address: rt.settings.mediaHost,
        port,
        codecs: OFFERED,
        telephoneEventPt: rt.settings.telephoneEventPt,
      });
    leg.armRingTimer(rt.settings.ringTimeoutMs, () => {
      failure = 'no-answer';
      log.info({ target: leg.target }, 'ring timeout: cancelling');
      leg.abort.abort();
    });
    const result = await rt.sip.invite(target.uri, {
      sdp,
      autoAnswer: target.autoAnswer,
      signal: leg.abort.signal,
      ...(target.destination ? { destination: target.destination } : {}),
      ...(from ? { from } : target.fromUser ? { from: `sip:${target.fromUser}@${rt.settings.sipHost}` } : {}),
      ...(target.credentials ? { credentials: target.credentials } : {}),
      onProgress: (res) => {
        if (res.status >= 180 && leg.state === LegState.Inviting) leg.transition(LegState.Ringing);
      },
    });
    if (leg.ended) {
      // Released while the 2xx was on its way: hang the fresh dialog up.
      await result.dialog.bye();
      return;
    }
    leg.dialog = result.dialog;
    if (webrtc) {
      await acceptWebRtcAnswer(rt, leg, webrtc.endpoint, result.dialog, result.answerSdp);
    } else {
      const neg = readAudioAnswer(result.answerSdp ?? '', OFFERED);
      await rt.media.updateLeg(leg.participantId, {
        ...(neg.remote ? { remote: neg.remote } : {}),
        codec: neg.codec,
        direction: neg.direction,
        telephoneEventPt: neg.telephoneEventPt ?? null,
      });
    }
    leg.transition(LegState.Up);
    watchDialog(rt, leg, result.dialog);
    rt.resendPlan(leg.conversationId);
    await outcome.answered();
  } catch (err) {
    if (leg.state === LegState.Up) {
      // Answered but the answer was unusable (no common codec): end the call.
      log.warn({ err }, 'answered leg failed after 2xx');
      await rt.release(leg, 'bad answer');
      await outcome.failed('phone-unreachable');
      return;
    }
    const status = (err as CataloguedError).details?.status as number | undefined;
    const code = err instanceof CataloguedError ? err.code : undefined;
    const reason = failure ?? (code === 'SIP_REQUEST_CANCELLED' ? 'no-answer' : failureOfStatus(status));
    const releasedByUs = leg.ended && failure === undefined;
    log.info({ status, code, reason, releasedByUs }, 'outgoing leg not answered');
    await rt.release(leg, reason);
    // A leg released by call control (the party left the conversation) reports nothing more.
    if (!releasedByUs) await outcome.failed(reason);
  }
}
