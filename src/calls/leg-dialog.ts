import { answerDirection, parseAudioDescription, writeAudioDescription } from '../media/sdp-audio.js';
import type { Dialog, InDialogResponder } from '../sip/dialog/dialog.js';
import type { SipRequest } from '../sip/message/sip-message.js';
import type { CallLeg } from './call-leg.js';
import type { CallRuntime } from './call-runtime.js';

/**
 * Watches a leg's dialog: a BYE (or any end of the dialog) from the phone becomes the right domain
 * command; a re-INVITE is answered and may mean hold/resume. Nothing is ever *sent* on the dialog
 * here except responses to the phone's own requests (R9).
 */
export function watchDialog(rt: CallRuntime, leg: CallLeg, dialog: Dialog): void {
  dialog.on('terminated', (reason) => {
    if (leg.ended) return;
    rt.log.info({ participantId: leg.participantId, reason }, 'the phone ended its leg');
    void partyGone(rt, leg);
  });
  dialog.on('reinvite', (req, res) => void onReinvite(rt, leg, req, res));
}

/** The party's phone hung up (or its dialog died): free the leg and tell the domain. */
export async function partyGone(rt: CallRuntime, leg: CallLeg): Promise<void> {
  const conv = rt.services().conversations.record(leg.orgId, leg.conversationId);
  const p = conv?.participants.find((x) => x.id === leg.participantId);
  await rt.release(leg, 'hung up');
  rt.log.debug({ participantId: leg.participantId, state: p?.state }, 'party gone');
  if (!p || p.state === 'disconnected') return;
  if (p.purpose === 'monitor' || p.purpose === 'coach') {
    // R11: "the supervisor stops … (or hangs up their phone)".
    if (p.state === 'alerting') {
      await rt.command(leg.orgId, leg.conversationId, {
        type: 'supervision.failed',
        participantId: p.id,
        reason: 'phone-unreachable',
      });
    } else
      await rt.command(leg.orgId, leg.conversationId, { type: 'supervision.hung-up', participantId: p.id });
  } else await rt.command(leg.orgId, leg.conversationId, { type: 'disconnect', participantId: p.id });
}

/**
 * A re-INVITE from a phone. RFC 3264 §8.4: "If the stream to be placed on hold was previously a
 * sendrecv media stream, it is placed on hold by marking it sendonly." — an agent's phone that
 * offers sendonly or inactive is understood as hold; sendrecv again as resume.
 */
async function onReinvite(
  rt: CallRuntime,
  leg: CallLeg,
  req: SipRequest,
  res: InDialogResponder,
): Promise<void> {
  const body = req.body.length ? req.bodyText : undefined;
  if (!body) {
    // An offerless re-INVITE: offer our current description (RFC 3261 §14.2); the ACK carries the answer.
    res.respond(200, { body: currentSdp(rt, leg, 'sendrecv'), contentType: 'application/sdp' });
    return;
  }
  let offer: ReturnType<typeof parseAudioDescription>;
  try {
    offer = parseAudioDescription(body);
  } catch {
    res.respond(488);
    return;
  }
  const codec = offer.codecs[0];
  if (!codec) {
    res.respond(488);
    return;
  }
  const ours = answerDirection(offer.direction);
  res.respond(200, { body: currentSdp(rt, leg, ours, codec.name), contentType: 'application/sdp' });
  const remote =
    offer.address !== '0.0.0.0' && offer.port !== 0 ? { address: offer.address, port: offer.port } : null;
  await rt.media
    .updateLeg(leg.participantId, { remote, codec: codec.name, direction: ours })
    .catch((err) => rt.log.warn({ err }, 're-INVITE: media update failed'));
  rt.resendPlan(leg.conversationId);
  if (leg.purpose !== 'agent') return;
  const holding = offer.direction === 'sendonly' || offer.direction === 'inactive';
  const conv = rt.services().conversations.record(leg.orgId, leg.conversationId);
  const me = conv?.participants.find((p) => p.id === leg.participantId);
  if (!conv || !me) return;
  const holdsSomeone = conv.participants.some((p) => p.state === 'held' && p.heldBy === me.id);
  if (holding && me.state === 'connected' && !holdsSomeone) {
    await rt.command(leg.orgId, leg.conversationId, { type: 'hold', participantId: me.id });
  } else if (!holding && holdsSomeone) {
    await rt.command(leg.orgId, leg.conversationId, { type: 'resume', participantId: me.id });
  }
}

function currentSdp(
  rt: CallRuntime,
  leg: CallLeg,
  direction: ReturnType<typeof answerDirection>,
  codec?: 'PCMU' | 'PCMA',
): string {
  return writeAudioDescription({
    address: rt.settings.mediaHost,
    port: leg.rtpPort,
    codecs: codec ? [codec] : ['PCMU', 'PCMA'],
    telephoneEventPt: rt.settings.telephoneEventPt,
    direction,
  });
}
