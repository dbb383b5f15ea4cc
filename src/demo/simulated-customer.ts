import type { Logger } from 'pino';
import { readAudioAnswer } from '../media/sdp-audio.js';
import type { SipUserAgent } from '../sip/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { demoError } from './demo-errors.js';
import { type CallEndReason, checkTransition, offerFor, PhoneCall } from './phone-call.js';
import { customerScript, type VoiceLibrary } from './voice-library.js';
import { VoiceStream } from './voice-stream.js';

export interface SimulatedCustomerOptions {
  /** The trunk side's UA (bound to an address in the trunk's inbound allow list). */
  readonly ua: SipUserAgent;
  /** `sip:<queue number>@<EARSHOT_SIP_HOST>` and where to send it. */
  readonly target: string;
  readonly destination: { readonly host: string; readonly port: number };
  /** The caller's number: the From user, unique per customer (the agent sees it as the address). */
  readonly number: string;
  readonly name: string;
  readonly voices: VoiceLibrary;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The customer hangs up after this long in the call at the latest (ms). */
  readonly patienceMs: number;
}

/**
 * States of a simulated customer's call.
 *
 *   Created ──dial()──▶ Calling ──2xx──▶ Talking ──BYE (either side)──▶ Ended
 *                         └──failure / close()──────────────────────────▶ Ended
 */
export enum CustomerState {
  Created = 'created',
  Calling = 'calling',
  Talking = 'talking',
  Ended = 'ended',
}

const S = CustomerState;
const TABLE: Record<CustomerState, readonly CustomerState[]> = {
  [S.Created]: [S.Calling, S.Ended],
  [S.Calling]: [S.Talking, S.Ended],
  [S.Talking]: [S.Ended],
  [S.Ended]: [],
};

export type SimulatedCustomerEvents = { ended: [reason: CallEndReason | 'failed'] };

/**
 * A customer calling the queue through the trunk: INVITE with a PCMU offer, plays the customer voice
 * once answered (Earshot answers at once and plays music until an agent takes the call), hangs up
 * when told (the agent hung up), when out of patience, or on `close()`.
 */
export class SimulatedCustomer extends TypedEmitter<SimulatedCustomerEvents> {
  private current = S.Created;
  private call: PhoneCall | undefined;
  private stream: VoiceStream | undefined;
  private abort: AbortController | undefined;
  private patience: TimerHandle | undefined;
  private readonly log: Logger;
  endReason: CallEndReason | 'failed' | undefined;

  constructor(private readonly o: SimulatedCustomerOptions) {
    super();
    this.log = o.logger.child({ module: 'demo.customer', number: o.number });
  }

  get state(): CustomerState {
    return this.current;
  }

  /** The From URI Earshot records as the customer's address. */
  get address(): string {
    return `sip:${this.o.number}@${this.o.ua.host}`;
  }

  get playing(): VoiceStream | undefined {
    return this.call ? this.stream : undefined;
  }

  private transition(to: CustomerState): void {
    if (this.current === to) return;
    checkTransition(`customer ${this.o.number}`, TABLE, this.current, to);
    this.current = to;
  }

  /** Places the call; resolves once answered (or rejects with DEMO_CALL_FAILED). */
  async dial(): Promise<void> {
    this.transition(S.Calling);
    const stream = await VoiceStream.open(this.o.ua.host, this.o.clock, this.log);
    this.stream = stream;
    this.abort = new AbortController();
    try {
      const r = await this.o.ua.invite(this.o.target, {
        sdp: offerFor(stream),
        from: `"${this.o.name}" <${this.address}>`,
        destination: { transport: 'udp', address: this.o.destination.host, port: this.o.destination.port },
        signal: this.abort.signal,
      });
      if (this.current !== S.Calling) {
        await r.dialog.bye();
        await stream.close();
        return;
      }
      const remote = r.answerSdp ? readAudioAnswer(r.answerSdp, ['PCMU']).remote : undefined;
      const call = new PhoneCall(r.dialog, stream, remote, customerScript(this.o.voices), this.log);
      this.call = call;
      this.transition(S.Talking);
      call.once('ended', (reason) => this.finish(reason));
      this.patience = this.o.clock.setTimer(this.o.patienceMs, () => {
        this.patience = undefined;
        void this.hangUp();
      });
      this.log.info({ callId: r.dialog.id.callId }, 'customer call answered');
    } catch (err) {
      await stream.close();
      this.finish('failed');
      throw demoError('DEMO_CALL_FAILED', `${this.o.target}: ${(err as Error).message}`);
    }
  }

  private finish(reason: CallEndReason | 'failed'): void {
    if (this.current === S.Ended) return;
    this.transition(S.Ended);
    this.endReason = reason;
    this.o.clock.clearTimer(this.patience);
    this.patience = undefined;
    this.emit('ended', reason);
  }

  /** BYE (or CANCEL while calling). Idempotent. */
  async hangUp(): Promise<void> {
    if (this.current === S.Calling) {
      this.abort?.abort();
      this.finish('local-hangup');
      return;
    }
    await this.call?.hangUp();
  }

  dump(): Record<string, unknown> {
    return {
      number: this.o.number,
      state: this.current,
      endReason: this.endReason,
      patienceArmed: this.patience !== undefined,
      call: this.call?.dump(),
    };
  }
}
