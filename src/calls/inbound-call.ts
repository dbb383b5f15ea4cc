import { answerAudioOffer } from '../media/sdp-audio.js';
import { serializeUri } from '../sip/message/sip-uri.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import { findQueueByNumber } from '../store/queue.repository.js';
import { listTrunks } from '../store/trunk.repository.js';
import { CataloguedError } from '../util/catalogued-error.js';
import { CallLeg, LegState } from './call-leg.js';
import type { CallRuntime } from './call-runtime.js';
import { callsError } from './calls-errors.js';
import { partyGone, watchDialog } from './leg-dialog.js';

/**
 * A customer's INVITE from a trunk (SPEC §4 "Inbound"): trunk allow-list by source address, queue
 * by the Request-URI's user part, then the conversation starts in the queue and we answer at once
 * with our SDP (the customer hears music from the media engine while waiting).
 */
export async function handleInboundInvite(rt: CallRuntime, uas: IncomingInvite): Promise<void> {
  const req = uas.request;
  const log = rt.log.child({ callId: req.callId });
  let cancelled = false;
  let leg: CallLeg | undefined;
  uas.once('cancel', () => {
    cancelled = true;
  });
  try {
    if (rt.closing) throw callsError('CALLS_SHUTTING_DOWN');
    const from = req.source?.address;
    const trunks = (await listTrunks(rt.db)).filter(
      (t) => from !== undefined && t.inboundAllow.includes(from),
    );
    if (trunks.length === 0) throw callsError('CALLS_SOURCE_NOT_ALLOWED', `INVITE from ${from ?? '?'}`);
    const number = req.uri.kind === 'sip' ? req.uri.user : undefined;
    const queue = number ? await findQueueByNumber(rt.db, decodeURIComponent(number)) : undefined;
    if (!queue || !trunks.some((t) => t.orgId === queue.orgId)) {
      throw callsError('CALLS_NUMBER_NOT_FOUND', `no queue numbered ${number ?? '(none)'}`);
    }
    const offer = uas.offer;
    // DEVIATION(RFC 3261 §13.2.1): an INVITE without an offer is refused; trunks always offer.
    if (!offer) throw callsError('CALLS_NUMBER_NOT_FOUND', 'INVITE without SDP offer');
    // Validate the offer before anything is created (488 on no common codec or bad SDP).
    answerAudioOffer(offer, { address: rt.settings.mediaHost, port: 9 });
    if (cancelled) return;
    const fromAddr = req.from;
    const customer = {
      name:
        fromAddr.displayName ??
        (fromAddr.uri.kind === 'sip' ? (fromAddr.uri.user ?? 'customer') : 'customer'),
      address: serializeUri(fromAddr.uri),
    };
    const view = await rt.services().conversations.startInbound(queue.orgId, queue.id, customer);
    const cust = view.participants.find((p) => p.purpose === 'customer');
    if (!cust) throw new Error('startInbound created no customer');
    // The leg is `Inviting` until our 200 OK: releasing it then aborts, and the abort sends the
    // final response (a CANCEL has had its 487 from the UAS already).
    leg = new CallLeg(
      {
        participantId: cust.id,
        conversationId: view.id,
        orgId: view.orgId,
        purpose: 'customer',
        direction: 'inbound',
        state: LegState.Inviting,
        target: customer.address,
      },
      rt.clock,
    );
    const l = leg;
    rt.legs.set(l.participantId, l);
    l.abort.signal.addEventListener('abort', () => refuseUnanswered(rt, uas, log), { once: true });
    // Shutdown began while the conversation was being created (close() may not have seen it).
    if (rt.closing) throw callsError('CALLS_SHUTTING_DOWN');
    const neg0 = answerAudioOffer(offer, { address: rt.settings.mediaHost, port: 9 }).negotiated;
    const { port } = await rt.media.createLeg({
      id: leg.participantId,
      group: leg.conversationId,
      codec: neg0.codec,
      telephoneEventPt: rt.settings.telephoneEventPt,
      ...(neg0.remote ? { remote: neg0.remote } : {}),
    });
    if (leg.ended) {
      // Released while the engine allocated the leg: nobody else will free it.
      await rt.media.closeLeg(leg.participantId).catch(() => undefined);
      return;
    }
    leg.mediaLeg = true;
    leg.rtpPort = port;
    const { sdp, negotiated } = answerAudioOffer(offer, {
      address: rt.settings.mediaHost,
      port,
      telephoneEventPt: rt.settings.telephoneEventPt,
    });
    await rt.media.updateLeg(leg.participantId, {
      direction: negotiated.direction,
      telephoneEventPt: negotiated.telephoneEventPt ?? null,
    });
    rt.resendPlan(leg.conversationId);
    if (cancelled || leg.ended) {
      await partyGone(rt, leg);
      return;
    }
    log.info({ conversationId: view.id, queue: queue.name }, 'customer call answered into the queue');
    const answered = uas.answer(sdp);
    leg.transition(LegState.Up);
    // The leg is up from our 200 OK; a BYE can only follow the ACK.
    answered.then(
      (dialog) => {
        l.dialog = dialog;
        if (l.ended) void dialog.bye();
        else watchDialog(rt, l, dialog);
      },
      (err) => {
        log.warn({ err }, 'customer call: no ACK or dialog ended before it');
        void partyGone(rt, l);
      },
    );
    rt.kickRouting();
  } catch (err) {
    const status = err instanceof CataloguedError && err.sip ? err.sip : 500;
    if (!(err instanceof CataloguedError)) log.error({ err }, 'inbound INVITE failed');
    else log.info({ code: err.code }, 'inbound INVITE refused');
    try {
      uas.reject(status);
    } catch {
      /* already answered, cancelled or refused on release */
    }
    // The conversation had started: end the customer's participant (and free its media).
    if (leg) await partyGone(rt, leg);
  }
}

/**
 * The customer's leg was released before we answered (shutdown, the conversation ended, the
 * participant was disconnected). An INVITE is ended only by a final response (RFC 3261
 * §13.3.1.3 reject / §13.3.1.4 accept) — without one the caller keeps its transaction open and
 * retransmits. 503 while shutting down (§21.5.4: "The server is temporarily unable to process the
 * request due to a temporary overloading or maintenance of the server.");
 * otherwise 480 (§21.4.18 "the callee's end system was contacted successfully but the callee is
 * currently unavailable"). After a CANCEL the UAS has sent 487 already and `reject` throws.
 */
function refuseUnanswered(rt: CallRuntime, uas: IncomingInvite, log: CallRuntime['log']): void {
  const status = rt.closing ? 503 : 480;
  try {
    uas.reject(status);
    log.info({ status }, 'inbound INVITE released before the answer: refused');
  } catch {
    /* cancelled (487 sent) or already answered */
  }
}
