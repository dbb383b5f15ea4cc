import type { Logger } from 'pino';
import { answerAudioOffer } from '../media/sdp-audio.js';
import { type IncomingInvite, type SipRequest, SipUserAgent } from '../sip/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { DemoApiClient } from './demo-api-client.js';
import { between, type Random } from './demo-random.js';
import { type CallEndReason, checkTransition, PhoneCall } from './phone-call.js';
import { SipRegistration } from './sip-registration.js';
import { agentScript, type VoiceLibrary } from './voice-library.js';
import { VoiceStream } from './voice-stream.js';

/** How a simulated agent behaves on a call. */
export interface AgentBehaviour {
  /** Talk time before hanging up (ms), uniform in [min, max]. Default 30–90 s. */
  readonly talkMs: readonly [number, number];
  /** Chance that a call is put on hold once (through the API), and for how long. */
  readonly holdChance: number;
  readonly holdMs: readonly [number, number];
  /** Chance that the call ends with a blind transfer to another ready agent instead of a BYE. */
  readonly transferChance: number;
  /** While ready, how often the agent checks it is still on queue (NOT_RESPONDING → IDLE). */
  readonly watchdogMs: number;
}

export const DEFAULT_AGENT_BEHAVIOUR: AgentBehaviour = {
  talkMs: [30_000, 90_000],
  holdChance: 0.25,
  holdMs: [4_000, 9_000],
  transferChance: 0.15,
  watchdogMs: 15_000,
};

export interface SimulatedAgentOptions {
  readonly username: string;
  readonly sipUser: string;
  readonly sipPassword: string;
  /** Earshot's SIP address (registrar and the source of offers). */
  readonly sip: { readonly host: string; readonly port: number };
  /** The agent logs in here to go on queue, hold and transfer; without it the phone only registers. */
  readonly api?: DemoApiClient;
  readonly voices: VoiceLibrary;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: Random;
  readonly behaviour?: Partial<AgentBehaviour>;
  /** Another agent's user id to transfer to (one that is ready), if any. */
  readonly pickTransferTarget?: () => string | undefined;
}

/**
 * States of a simulated agent.
 *
 *   Created ──start()──▶ Registering ──200 OK──▶ Ready ──INVITE answered──▶ Talking
 *                                                  ▲                          │
 *                                                  └────── call ended ────────┘
 *   any ──close()──▶ Closed
 */
export enum AgentState {
  Created = 'created',
  Registering = 'registering',
  Ready = 'ready',
  Talking = 'talking',
  Closed = 'closed',
}

const S = AgentState;
const TABLE: Record<AgentState, readonly AgentState[]> = {
  [S.Created]: [S.Registering, S.Closed],
  [S.Registering]: [S.Ready, S.Closed],
  [S.Ready]: [S.Talking, S.Closed],
  [S.Talking]: [S.Ready, S.Closed],
  [S.Closed]: [],
};

/** What an agent's call ended with; `customerAddress` links it to the simulated customer. */
export interface AgentCallEnded {
  readonly agent: string;
  readonly reason: CallEndReason | 'transferred';
  readonly customerAddress: string | undefined;
}

export type SimulatedAgentEvents = {
  state: [state: AgentState];
  answered: [callId: string];
  ended: [info: AgentCallEnded];
};

/**
 * A demo agent's desk phone: a real SIP UA of our own stack that registers with digest, answers
 * every INVITE at once (auto-answer, RFC 5373 answer-after=0) while ready, talks with the recorded
 * agent voice, and through the REST API goes on queue, sometimes holds, sometimes blind-transfers,
 * and hangs up after a random talk time.
 */
export class SimulatedAgent extends TypedEmitter<SimulatedAgentEvents> {
  private current = S.Created;
  private ua: SipUserAgent | undefined;
  private registration: SipRegistration | undefined;
  private call: PhoneCall | undefined;
  private readonly timers = new Set<TimerHandle>();
  private readonly behaviour: AgentBehaviour;
  private readonly log: Logger;
  private customerAddress: string | undefined;
  private transferring = false;
  private watchdog: TimerHandle | undefined;
  /** An INVITE being answered (until its ACK): close() waits for it so that no call is left up. */
  private answering: Promise<void> | undefined;
  callsAnswered = 0;
  holds = 0;
  transfers = 0;

  constructor(private readonly o: SimulatedAgentOptions) {
    super();
    this.behaviour = { ...DEFAULT_AGENT_BEHAVIOUR, ...o.behaviour };
    this.log = o.logger.child({ module: 'demo.agent', agent: o.username });
  }

  get state(): AgentState {
    return this.current;
  }

  get username(): string {
    return this.o.username;
  }

  /** The phone's SIP port (once started). */
  get sipPort(): number | undefined {
    return this.ua?.port;
  }

  /** The phone's registration (once started). */
  get registered(): boolean {
    return this.registration?.registered ?? false;
  }

  /** The agent's user id once logged in. */
  get userId(): string | undefined {
    return this.o.api?.userId;
  }

  /** The single place that assigns the state; the Ready watchdog is armed on entering Ready, cleared on leaving. */
  private transition(to: AgentState): void {
    if (this.current === to) return;
    checkTransition(`agent ${this.o.username}`, TABLE, this.current, to);
    if (this.current === S.Ready) {
      this.o.clock.clearTimer(this.watchdog);
      this.watchdog = undefined;
    }
    this.current = to;
    if (to === S.Ready && this.o.api) this.armWatchdog();
    this.emit('state', to);
  }

  /**
   * While ready, every `watchdogMs` (15 s): an agent the server marked NOT_RESPONDING (an offer that failed) goes back
   * on queue, as a person at a desk would.
   */
  private armWatchdog(): void {
    this.watchdog = this.o.clock.setTimer(this.behaviour.watchdogMs, () => {
      this.watchdog = undefined;
      void this.o.api
        ?.me()
        .then(async (me) => {
          if (this.current !== S.Ready) return;
          if (me.routingStatus === 'NOT_RESPONDING' || me.routingStatus === 'OFF_QUEUE') {
            this.log.info({ was: me.routingStatus }, 'back on queue');
            await this.o.api?.setRoutingStatus('IDLE');
          }
        })
        .catch((err: unknown) => this.log.debug({ err }, 'watchdog check failed'))
        .finally(() => {
          if (this.current === S.Ready && !this.watchdog) this.armWatchdog();
        });
    });
  }

  /** Starts the UA, registers, logs in and goes on queue (presence AVAILABLE, routing status IDLE). */
  async start(): Promise<void> {
    this.transition(S.Registering);
    this.ua = await SipUserAgent.start({
      host: this.o.sip.host,
      port: 0,
      transports: ['udp'],
      clock: this.o.clock,
      logger: this.o.logger,
      userAgent: `Earshot-demo-agent/${this.o.username}`,
    });
    this.ua.onInvite((req, uas) => this.onInvite(req, uas));
    this.registration = new SipRegistration(this.ua, {
      registrar: this.o.sip,
      username: this.o.sipUser,
      password: this.o.sipPassword,
      clock: this.o.clock,
      logger: this.log,
    });
    await this.registration.register();
    if (this.o.api) {
      await this.o.api.login();
      await this.o.api.setPresence('AVAILABLE');
      await this.o.api.setRoutingStatus('IDLE');
    }
    if (this.current === S.Registering) this.transition(S.Ready);
    this.log.info({ aor: this.registration.aor }, 'agent ready');
  }

  private onInvite(req: SipRequest, uas: IncomingInvite): Promise<void> {
    const p = this.answer(req, uas);
    this.answering = p;
    void p.finally(() => {
      if (this.answering === p) this.answering = undefined;
    });
    return p;
  }

  private async answer(req: SipRequest, uas: IncomingInvite): Promise<void> {
    if (this.current !== S.Ready || this.call) {
      uas.reject(486);
      return;
    }
    const offer = uas.offer;
    if (!offer) {
      uas.reject(488);
      return;
    }
    this.transition(S.Talking);
    let stream: VoiceStream | undefined;
    try {
      stream = await VoiceStream.open(this.o.sip.host, this.o.clock, this.log);
      const { sdp, negotiated } = answerAudioOffer(offer, {
        address: stream.host,
        port: stream.port,
        accept: ['PCMU'],
      });
      // RFC 5373 §5: "answer-after=0" asks the UA to answer at once; we always do while ready.
      const dialog = await uas.answer(sdp);
      if (this.closedMeanwhile()) {
        // close() ran while we waited for the ACK: end the call at once.
        await dialog.bye();
        await stream.close();
        return;
      }
      const call = new PhoneCall(dialog, stream, negotiated.remote, agentScript(this.o.voices), this.log);
      this.call = call;
      this.callsAnswered++;
      call.once('ended', (reason) => this.onCallEnded(call, reason));
      this.emit('answered', req.callId);
      this.planCall();
    } catch (err) {
      this.log.warn({ err }, 'could not answer');
      if (stream) await stream.close();
      try {
        uas.reject(500);
      } catch {
        /* answered or cancelled already */
      }
      if (!this.closedMeanwhile() && !this.call) this.transition(S.Ready);
    }
  }

  /** Whether close() ran during an await (a method call, so that TypeScript does not narrow it away). */
  private closedMeanwhile(): boolean {
    return this.current === S.Closed;
  }

  /** Arms this call's talk timer and, by chance, a hold. */
  private planCall(): void {
    const b = this.behaviour;
    const talk = between(this.o.random, b.talkMs);
    this.later(talk, () => void this.finishCall());
    if (this.o.api && this.o.random() < b.holdChance) {
      const at = talk * between(this.o.random, [0.25, 0.5]);
      const holdFor = Math.min(between(this.o.random, b.holdMs), talk * 0.4);
      this.later(at, () => void this.hold(holdFor));
    }
    if (this.o.api) void this.learnCustomer();
  }

  /** Finds our participant and the customer's address (retrying while the domain catches up). */
  private async learnCustomer(attempt = 0): Promise<void> {
    const found = await this.o.api?.myCall().catch(() => undefined);
    const customer = found?.conversation.participants.find((p) => p.purpose === 'customer');
    if (customer?.address) this.customerAddress = customer.address;
    else if (attempt < 5 && this.call) this.later(300, () => void this.learnCustomer(attempt + 1));
  }

  private async hold(ms: number): Promise<void> {
    const api = this.o.api;
    if (!api || !this.call) return;
    try {
      const mine = await api.myCall();
      if (!mine || !this.call) return;
      await api.setHeld(mine.conversation.id, mine.me.id, true);
      this.holds++;
      this.log.info({ ms }, 'holding the customer');
      this.later(ms, () => {
        if (this.call) void api.setHeld(mine.conversation.id, mine.me.id, false).catch(() => undefined);
      });
    } catch (err) {
      this.log.debug({ err }, 'hold refused');
    }
  }

  /** The talk time is over: a blind transfer by chance (to another ready agent), else a BYE. */
  private async finishCall(): Promise<void> {
    const call = this.call;
    if (!call) return;
    const api = this.o.api;
    const target = this.o.pickTransferTarget?.();
    if (api && target && this.o.random() < this.behaviour.transferChance) {
      try {
        const mine = await api.myCall();
        // At most one transfer per call: a call that another agent already had is not passed on again.
        const handedOver = mine?.conversation.participants.some(
          (p) => p.purpose === 'agent' && p.id !== mine.me.id,
        );
        if (mine && !handedOver && this.call === call) {
          this.transferring = true;
          // CONTRACT.md §4 replace: "the agent is replaced by the target … and leaves". The domain keeps
          // our leg (alone in its island, SPEC §3 "while that agent's leg remains") until our phone
          // hangs up, as a desk phone does after a blind transfer.
          await api.transferToUser(mine.conversation.id, mine.me.id, target);
          this.transfers++;
          this.log.info({ target }, 'blind transfer');
          this.later(500 + this.o.random() * 1000, () => void call.hangUp());
          return;
        }
      } catch (err) {
        this.transferring = false;
        this.log.debug({ err }, 'transfer refused; hanging up');
      }
    }
    await call.hangUp();
  }

  private onCallEnded(call: PhoneCall, reason: CallEndReason): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.clearTimers();
    const info: AgentCallEnded = {
      agent: this.o.username,
      reason: this.transferring ? 'transferred' : reason,
      customerAddress: this.customerAddress,
    };
    this.transferring = false;
    this.customerAddress = undefined;
    this.log.info({ reason: info.reason }, 'call ended');
    if (this.current === S.Talking) this.transition(S.Ready);
    this.emit('ended', info);
  }

  private later(ms: number, fn: () => void): void {
    const h = this.o.clock.setTimer(ms, () => {
      this.timers.delete(h);
      fn();
    });
    this.timers.add(h);
  }

  private clearTimers(): void {
    for (const h of this.timers) this.o.clock.clearTimer(h);
    this.timers.clear();
  }

  /** Hangs up (BYE), goes off queue, unregisters, closes the UA. Idempotent. */
  async close(): Promise<void> {
    if (this.current === S.Closed) return;
    this.transition(S.Closed);
    this.clearTimers();
    await this.answering?.catch(() => undefined);
    const call = this.call;
    this.call = undefined;
    await call?.hangUp().catch(() => undefined);
    await this.o.api?.setRoutingStatus('OFF_QUEUE').catch(() => undefined);
    await this.registration?.unregister();
    await this.ua?.close();
  }

  dump(): Record<string, unknown> {
    return {
      username: this.o.username,
      state: this.current,
      registration: this.registration?.dump(),
      call: this.call?.dump(),
      timers: this.timers.size + (this.watchdog ? 1 : 0),
      callsAnswered: this.callsAnswered,
      holds: this.holds,
      transfers: this.transfers,
      ua: this.ua ? { dialogs: this.ua.dialogs.length } : undefined,
    };
  }
}
