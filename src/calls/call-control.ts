import type pino from 'pino';
import {
  type ConversationCommand,
  type ConversationRecord,
  type HearingPlan,
  type ParticipantRecord,
  type RoutingEvent,
  routingStatusAfter,
} from '../center/index.js';
import type { LocationService } from '../sip/registrar/location-service.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import type { Db } from '../store/database.js';
import { findPhoneOfUser } from '../store/phone.repository.js';
import { listTrunks } from '../store/trunk.repository.js';
import { findUser, setRoutingStatus } from '../store/user.repository.js';
import { CataloguedError } from '../util/catalogued-error.js';
import type { Clock } from '../util/clock.js';
import type { CallSideEffects, OutboundCallLegs } from './app/call-side-effects.js';
import type { ConversationChanged } from './app/notification-bus.js';
import type { AppServices } from './app/services.js';
import { CallLeg, LegState } from './call-leg.js';
import type {
  CallMediaPort,
  CallRuntime,
  CallSettings,
  CallSipPort,
  CallWebRtcPort,
} from './call-runtime.js';
import { handleInboundInvite } from './inbound-call.js';
import { toMediaPlan } from './media-plan.js';
import { OfferLoop } from './offer-loop.js';
import { placeOutbound } from './outbound-call.js';
import { placeOutboundConversation } from './outbound-conversation.js';
import { phoneTarget, trunkTarget } from './phone-target.js';
import { isWebRtcOffer, type WebRtcAwareTarget } from './webrtc-leg.js';
import { webrtcLegError } from './webrtc-leg-errors.js';

/**
 * Our decision (B2BUA policy): when a party hangs up and the call cannot go on — no customer is
 * left, or customers are left with no agent (live or ringing) and no queue — the conversation
 * ends and every remaining leg is hung up ("customer hangs up at any point → everything cleaned up").
 * A blind-transferred customer (queue or ringing target) and a conference of agents go on.
 */
export function nobodyLeftToTalkTo(c: ConversationRecord): boolean {
  const live = c.participants.filter((p) => p.state !== 'disconnected');
  const customers = live.some((p) => p.purpose === 'customer' && p.state !== 'alerting');
  const agents = live.some((p) => p.purpose === 'agent');
  const queued = live.some((p) => p.purpose === 'acd');
  const ringing = live.some((p) => p.purpose === 'customer' && p.state === 'alerting');
  if (!customers) return !ringing || !agents;
  return !agents && !queued;
}

export interface CallControlOptions {
  readonly sip: CallSipPort;
  readonly media: CallMediaPort;
  /** The WebRTC gateway (`WebRtcGateway`): browser phones are called with WebRTC offers through it. */
  readonly webrtc?: CallWebRtcPort;
  readonly location: Pick<LocationService, 'lookup'>;
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: pino.Logger;
  readonly settings: CallSettings;
}

/** Domain refusals that only mean "that party is already gone": swallowed by `command`. */
const STALE = new Set([
  'CONVERSATION_NOT_IN_PROGRESS',
  'INVALID_STATE',
  'PARTICIPANT_NOT_FOUND',
  'NOT_FOUND',
]);

/**
 * Call control: Earshot as a B2BUA with media anchored in the media engine. Every party (customer
 * through the trunk, each agent phone, each supervisor phone) is its own SIP dialog and its own RTP
 * leg, named after its participant id in a media group named after the conversation. Who hears
 * whom is only ever the domain's hearing plan, handed to the engine — so hold, transfer, consult,
 * conference, monitor, coach and switch are plan changes and never touch a party's dialog (R9).
 * Only starting and ending a party's leg is SIP (INVITE, CANCEL, BYE).
 *
 * It implements the application services' `CallSideEffects` port and reconciles every committed
 * change (notification bus): a participant that became `alerting` gets a leg placed, one that
 * became `disconnected` gets its leg released, an ended conversation releases all of its legs.
 */
export class CallControl implements CallSideEffects {
  private readonly rt: CallRuntime;
  private readonly legs = new Map<string, CallLeg>();
  /** Per conversation: the latest plan and the chain that applies plans in commit order. */
  private readonly plans = new Map<string, { plan: HearingPlan; chain: Promise<void> }>();
  private readonly pending = new Set<Promise<unknown>>();
  private svc: AppServices | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly offers: OfferLoop;
  private readonly log: pino.Logger;
  private isClosing = false;
  private closingPromise: Promise<void> | undefined;

  constructor(private readonly o: CallControlOptions) {
    this.log = o.logger.child({ module: 'calls.control' });
    const self = this;
    this.rt = {
      sip: o.sip,
      media: o.media,
      ...(o.webrtc ? { webrtc: o.webrtc } : {}),
      location: o.location,
      db: o.db,
      clock: o.clock,
      log: this.log,
      settings: { requeueIntervalMs: 30_000, telephoneEventPt: 101, ...o.settings },
      legs: this.legs,
      services: () => this.services(),
      command: (orgId, cid, cmd) => this.command(orgId, cid, cmd),
      resendPlan: (cid) => this.resendPlan(cid),
      release: (leg, why) => this.release(leg, why),
      kickRouting: () => this.offers.kick(),
      track: (task) => this.track(task),
      get closing() {
        return self.isClosing;
      },
    };
    this.offers = new OfferLoop(this.rt);
  }

  /** Plugs in the application services (created with this object as their `effects`). */
  attach(services: AppServices): void {
    this.svc = services;
    this.unsubscribe = services.bus.subscribe((change) => this.reconcile(change));
  }

  private services(): AppServices {
    if (!this.svc) throw new Error('CallControl: attach(services) first');
    return this.svc;
  }

  /** The UA core's INVITE handler for out-of-dialog INVITEs (customers from trunks). */
  handleInvite(uas: IncomingInvite): Promise<void> {
    const offer = uas.offer;
    if (offer && isWebRtcOffer(offer)) {
      // The console's browser phone only receives calls (web/: no outbound dialling), so a
      // DTLS-SRTP offer is refused clearly. RFC 3261 §21.4.26: 488 "the user's agent was contacted
      // successfully but some aspects of the session description … were not acceptable"; §20.43
      // warn-code 302 "Incompatible transport protocol".
      const err = webrtcLegError('CALLS_WEBRTC_OFFER_REFUSED');
      this.log.info({ callId: uas.request.callId, code: err.code }, 'WebRTC offer refused');
      try {
        uas.reject(err.sip ?? 488, {
          headers: {
            warning: `302 ${this.rt.settings.sipHost} "Browser phones receive calls only; WebRTC offers are not accepted"`,
          },
        });
      } catch {
        /* cancelled meanwhile */
      }
      return Promise.resolve();
    }
    return this.track(handleInboundInvite(this.rt, uas));
  }

  // ── CallSideEffects ──────────────────────────────────────────────────────────────────────────

  placeSupervisorLeg(leg: Parameters<CallSideEffects['placeSupervisorLeg']>[0]): void {
    const conv = this.services().conversations.record(
      this.orgOf(leg.conversationId) ?? '',
      leg.conversationId,
    );
    if (!conv) return;
    const call = new CallLeg(
      {
        participantId: leg.participantId,
        conversationId: leg.conversationId,
        orgId: conv.orgId,
        purpose: leg.mode,
        direction: 'outbound',
        state: LegState.Inviting,
        target: leg.phone.kind === 'remote' ? `tel:${leg.phone.number}` : `phone:${leg.phone.id}`,
      },
      this.o.clock,
    );
    this.legs.set(call.participantId, call);
    const fail = (reason: 'no-answer' | 'declined' | 'phone-unreachable') =>
      this.command(conv.orgId, conv.id, {
        type: 'supervision.failed',
        participantId: leg.participantId,
        reason,
      }).then(() => undefined);
    this.track(
      (async () => {
        const target = await this.targetOf(conv.orgId, leg.phone);
        if (!target) {
          await this.release(call, 'unreachable');
          await fail('phone-unreachable');
          return;
        }
        await placeOutbound(this.rt, call, target, {
          answered: async () => {
            await this.services()
              .supervision.supervisorAnswered(conv.orgId, conv.id, leg.participantId)
              .catch(async (err) => {
                // The session ended while the phone was answering (conversation over, stopped).
                this.log.info({ err: String(err) }, 'supervisor answered a session that is gone');
                await this.release(call, 'session gone');
              });
          },
          failed: fail,
        });
      })(),
    );
  }

  /** An agent's outbound call: their phone first, then the number (`outbound-conversation.ts`). */
  placeOutboundCall(call: OutboundCallLegs, committed: Promise<void>): void {
    placeOutboundConversation(this.rt, call, committed);
  }

  releaseLeg(_conversationId: string, participantId: string): void {
    const leg = this.legs.get(participantId);
    if (leg) this.track(this.release(leg, 'released'));
  }

  applyHearingPlan(plan: HearingPlan): void {
    const entry = this.plans.get(plan.conversationId) ?? { plan, chain: Promise.resolve() };
    entry.plan = plan;
    const media = toMediaPlan(plan);
    entry.chain = entry.chain.then(() =>
      this.o.media
        .setPlan(plan.conversationId, media)
        .catch((err) => this.log.warn({ err }, 'setPlan failed')),
    );
    this.plans.set(plan.conversationId, entry);
    if (plan.legs.length === 0) {
      // An ended conversation: forget its plan once applied.
      const done = entry.chain;
      void done.then(() => {
        if (this.plans.get(plan.conversationId)?.chain === done) this.plans.delete(plan.conversationId);
      });
    }
  }

  private resendPlan(conversationId: string): void {
    const entry = this.plans.get(conversationId);
    if (entry) this.applyHearingPlan(entry.plan);
  }

  // ── reconciliation ───────────────────────────────────────────────────────────────────────────

  private reconcile(change: ConversationChanged): void {
    const c = change.conversation;
    for (const p of c.participants) {
      const leg = this.legs.get(p.id);
      if (leg && (p.state === 'disconnected' || c.state === 'ended')) this.track(this.release(leg, 'left'));
      else if (!leg && p.state === 'alerting' && (p.purpose === 'agent' || p.purpose === 'customer')) {
        this.track(this.placeParty(c, p));
      }
    }
    for (const e of change.events) {
      if (e.type === 'participant.connected' && e.purpose === 'agent' && e.userId)
        this.routing(c.orgId, e.userId, 'answered');
      else if (e.type === 'participant.not-responding' && e.userId)
        this.routing(c.orgId, e.userId, 'not-responding');
      else if (e.type === 'participant.left' && e.purpose === 'agent' && e.userId)
        this.routing(c.orgId, e.userId, 'call-ended');
    }
    if (change.events.some((e) => e.type === 'participant.left' || e.type === 'queue.entered'))
      this.offers.kick();
    if (
      c.state === 'active' &&
      change.events.some((e) => e.type === 'participant.left' && e.reason === 'hung-up') &&
      nobodyLeftToTalkTo(c)
    ) {
      this.track(this.command(c.orgId, c.id, { type: 'conversation.end' }));
    }
  }

  /** SPEC §4: an offered agent or a transfer/consult target (a user or a number) is called. */
  private async placeParty(c: ConversationRecord, p: ParticipantRecord): Promise<void> {
    const leg = new CallLeg(
      {
        participantId: p.id,
        conversationId: c.id,
        orgId: c.orgId,
        purpose: p.purpose,
        direction: 'outbound',
        state: LegState.Inviting,
        target: p.address ?? `user:${p.userId ?? '?'}`,
      },
      this.o.clock,
    );
    this.legs.set(p.id, leg);
    let target: WebRtcAwareTarget | undefined;
    if (p.userId) {
      const phone = await findPhoneOfUser(this.o.db, c.orgId, p.userId);
      target = phone ? await this.targetOf(c.orgId, phone) : undefined;
    } else if (p.address) {
      const trunk = (await listTrunks(this.o.db, c.orgId)).find((t) => t.outboundUri);
      const number = p.address.replace(/^(sips?|tel):/i, '').replace(/@.*$/, '');
      target = trunk?.outboundUri ? trunkTarget(number, trunk.outboundUri, trunk) : undefined;
    }
    const noAnswer = async () => {
      await this.command(c.orgId, c.id, { type: 'no-answer', participantId: p.id });
    };
    if (!target) {
      this.log.info({ participantId: p.id }, 'party unreachable: no phone, registration or trunk');
      await this.release(leg, 'unreachable');
      await noAnswer();
      return;
    }
    await placeOutbound(this.rt, leg, target, {
      answered: async () => {
        if (!(await this.command(c.orgId, c.id, { type: 'answer', participantId: p.id }))) {
          await this.release(leg, 'answer refused');
        }
      },
      failed: noAnswer,
    });
  }

  private async targetOf(
    orgId: string,
    phone: { id: string; kind: 'sip' | 'webrtc' | 'remote'; sipUser?: string; number?: string },
  ): Promise<WebRtcAwareTarget | undefined> {
    const trunk =
      phone.kind === 'remote' ? (await listTrunks(this.o.db, orgId)).find((t) => t.outboundUri) : undefined;
    const target = phoneTarget(phone, {
      host: this.rt.settings.sipHost,
      location: this.o.location,
      trunkOutboundUri: trunk?.outboundUri,
      ...(trunk ? { trunk } : {}),
    });
    return target && phone.kind === 'webrtc' ? { ...target, webrtc: true } : target;
  }

  /** Routing status follows the calls (SPEC §1): answered → INTERACTING, left → IDLE, no answer → NOT_RESPONDING. */
  private routing(orgId: string, userId: string, event: RoutingEvent): void {
    this.track(
      (async () => {
        const user = await findUser(this.o.db, orgId, userId);
        if (!user) return;
        let next: typeof user;
        try {
          next = routingStatusAfter(user, event, this.o.clock.now());
        } catch {
          return; // e.g. an off-queue agent taking a direct call: nothing to change
        }
        if (next !== user) {
          await setRoutingStatus(
            this.o.db,
            orgId,
            userId,
            next.routingStatus,
            new Date(this.o.clock.now()).toISOString(),
          );
        }
        if (event === 'call-ended') this.offers.kick();
      })(),
    );
  }

  // ── commands and release ─────────────────────────────────────────────────────────────────────

  private async command(orgId: string, conversationId: string, cmd: ConversationCommand): Promise<boolean> {
    try {
      this.log.debug({ command: cmd.type, conversationId }, 'applying');
      await this.services().conversations.apply(orgId, conversationId, cmd);
      this.log.debug({ command: cmd.type, conversationId }, 'applied');
      return true;
    } catch (err) {
      if (err instanceof CataloguedError && STALE.has(err.code)) {
        this.log.info({ code: err.code, command: cmd.type }, 'command on a party that is already gone');
        return false;
      }
      this.log.error({ err, command: cmd.type }, 'command failed');
      return false;
    }
  }

  private async release(leg: CallLeg, why: string): Promise<void> {
    if (this.legs.get(leg.participantId) === leg) this.legs.delete(leg.participantId);
    if (!leg.ended) {
      const was = leg.state;
      leg.transition(LegState.Ended);
      this.log.debug({ participantId: leg.participantId, was, why }, 'releasing leg');
      // RFC 3261 §15: "the caller's UA MAY send a BYE for either confirmed or early dialogs, and the
      // callee's UA MAY send a BYE on confirmed dialogs"; before a final response the caller cancels (§9.1).
      if (was === LegState.Inviting || was === LegState.Ringing) leg.abort.abort();
      else await leg.dialog?.bye().catch(() => undefined);
    }
    // Also for a leg already ended: a release that raced the leg's set-up (an API call racing a
    // hang-up) ran while the engine was still allocating its media or its browser endpoint, and the
    // placement's own release afterwards is the one that finds them.
    if (leg.mediaLeg) {
      leg.mediaLeg = false;
      await this.o.media.closeLeg(leg.participantId).catch(() => undefined);
    }
    // A browser leg's gateway endpoint (ICE, DTLS-SRTP, relay socket) goes with it.
    await this.o.webrtc
      ?.get(leg.participantId)
      ?.close()
      .catch(() => undefined);
  }

  private orgOf(conversationId: string): string | undefined {
    for (const c of this.services().conversations.records()) if (c.id === conversationId) return c.orgId;
    return undefined;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const q = p.catch((err) => {
      this.log.error({ err }, 'call-control task failed');
    });
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
    return p;
  }

  /** Settles once every task started so far (and those they start) has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** The leg table, routing loop and plans: tests check nothing is left allocated after a scenario. */
  dump(): {
    legs: Record<string, unknown>[];
    plans: string[];
    pendingTasks: number;
    offers: Record<string, unknown>;
  } {
    return {
      legs: [...this.legs.values()].map((l) => l.dump()),
      plans: [...this.plans.keys()],
      pendingTasks: this.pending.size,
      offers: this.offers.dump(),
    };
  }

  get closing(): boolean {
    return this.isClosing;
  }

  /**
   * Graceful shutdown: takes no new calls (503), ends every live conversation (sessions end
   * `conversation-ended`, all recorded), BYEs/CANCELs every leg and frees its media. Idempotent.
   */
  close(): Promise<void> {
    this.closingPromise ??= this.doClose();
    return this.closingPromise;
  }

  private async doClose(): Promise<void> {
    this.isClosing = true;
    this.offers.close();
    if (this.svc) {
      for (const c of [...this.svc.conversations.records()]) {
        await this.command(c.orgId, c.id, { type: 'conversation.end' });
      }
    }
    for (const leg of [...this.legs.values()]) this.track(this.release(leg, 'shutdown'));
    await this.idle();
    await Promise.allSettled([...this.plans.values()].map((e) => e.chain));
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.log.info({}, 'call control closed');
  }
}
