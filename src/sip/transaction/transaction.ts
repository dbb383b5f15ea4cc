import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { SipRequest, SipResponse } from '../message/sip-message.js';
import { sipError } from '../sip-errors.js';
import type { Destination } from '../transport/transport-types.js';
import type { SipTimers } from './sip-timers.js';

/** What a transaction needs from below: a clock, the timer values, and a way to send. */
export interface TransactionEnvironment {
  readonly clock: Clock;
  readonly timers: SipTimers;
  readonly logger: Logger;
  send(message: SipRequest | SipResponse, destination: Destination): Promise<void>;
  /** Called once when a transaction reaches Terminated, so its owner forgets it. */
  onTerminated(transaction: Transaction<string>): void;
}

/**
 * The common skeleton of the four transaction state machines (RFC 3261 §17): one method assigns
 * the state, checking it against the machine's transition table; timers are armed on entering a
 * state and all of them are cleared on leaving it.
 */
const NONE: readonly never[] = [];

export abstract class Transaction<S extends string> {
  private current: S;
  private readonly timers = new Map<string, TimerHandle>();
  private terminatedNotified = false;

  protected constructor(
    readonly id: string,
    readonly request: SipRequest,
    protected readonly env: TransactionEnvironment,
    initial: S,
    private readonly table: Readonly<Record<S, readonly S[]>>,
    protected readonly terminatedState: S,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  abstract readonly kind: 'ict' | 'nict' | 'ist' | 'nist';
  abstract readonly reliable: boolean;

  /** The single place that assigns the state. */
  protected transition(to: S): void {
    const from = this.current;
    if (!this.table[from].includes(to)) {
      throw sipError('SIP_ILLEGAL_TRANSITION', `${this.kind} ${from} -> ${to}`, { from, to, id: this.id });
    }
    for (const h of this.timers.values()) this.env.clock.clearTimer(h);
    this.timers.clear();
    this.current = to;
    this.env.logger.trace({ tx: this.id, kind: this.kind, from, to }, 'transaction state');
    if (to === this.terminatedState && !this.terminatedNotified) {
      this.terminatedNotified = true;
      this.onTerminated();
      this.env.onTerminated(this as unknown as Transaction<string>);
    }
  }

  /** Arms a named timer for the current state (cleared when the state changes). */
  protected arm(name: string, ms: number, fn: () => void): void {
    const old = this.timers.get(name);
    if (old) this.env.clock.clearTimer(old);
    const state = this.current;
    this.timers.set(
      name,
      this.env.clock.setTimer(ms, () => {
        this.timers.delete(name);
        if (this.current === state) fn();
      }),
    );
  }

  /**
   * Sends a message of this transaction. RFC 3261 §17.1.4 / §17.2.4: a transport failure terminates the
   * transaction and is reported to the TU — unless it already ended (or reached one of `settled`).
   */
  protected sendOrFail(
    message: SipRequest | SipResponse,
    destination: Destination,
    report: (err: Error) => void,
    settled: readonly S[] = NONE,
  ): void {
    this.env.send(message, destination).catch((err: Error) => {
      if (this.current === this.terminatedState || settled.includes(this.current)) return;
      this.transition(this.terminatedState);
      report(err);
    });
  }

  protected disarm(name: string): void {
    const h = this.timers.get(name);
    if (h) {
      this.env.clock.clearTimer(h);
      this.timers.delete(name);
    }
  }

  /** Names of the armed timers (for dump() and tests). */
  get armedTimers(): string[] {
    return [...this.timers.keys()].sort();
  }

  protected abstract onTerminated(): void;

  /**
   * Ends the transaction now (UA shutdown). A client transaction whose TU still waits for a final
   * response (`waitingUser`) tells it `SIP_UA_CLOSED`, so an outgoing request is never awaited forever.
   */
  terminate(): void {
    if (this.current === this.terminatedState) return;
    const waiting = this.waitingUser();
    this.transition(this.terminatedState);
    waiting?.onFailure(sipError('SIP_UA_CLOSED', 'the user agent closed before a final response'));
  }

  /** The TU still waiting for a final response in the current state (client transactions), if any. */
  protected waitingUser(): { onFailure(err: Error): void } | undefined {
    return undefined;
  }

  dump(): Record<string, unknown> {
    return {
      id: this.id,
      kind: this.kind,
      state: this.current,
      method: this.request.method,
      reliable: this.reliable,
      timers: this.armedTimers,
    };
  }
}
