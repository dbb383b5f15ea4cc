/**
 * RFC 3261 §17.1.1.1 and Table 4 (Appendix A): the timer values.
 *
 *   T1 500 ms (RTT estimate), T2 4 s (maximum retransmit interval for non-INVITE requests and
 *   INVITE responses), T4 5 s (maximum duration a message remains in the network).
 *   Timer A  initially T1, doubles          INVITE request retransmit (UDP only)
 *   Timer B  64*T1                          INVITE transaction timeout
 *   Timer D  > 32 s for UDP, 0 for TCP/SCTP wait time for response retransmits
 *   Timer E  initially T1, doubles to T2    non-INVITE request retransmit (UDP only)
 *   Timer F  64*T1                          non-INVITE transaction timeout
 *   Timer G  initially T1, doubles to T2    INVITE response retransmit
 *   Timer H  64*T1                          wait time for ACK receipt
 *   Timer I  T4 for UDP, 0 for TCP/SCTP     wait time for ACK retransmits
 *   Timer J  64*T1 for UDP, 0 for TCP/SCTP  wait time for non-INVITE request retransmits
 *   Timer K  T4 for UDP, 0 for TCP/SCTP     wait time for response retransmits
 * RFC 6026 §8.4, §8.7: Timer L and Timer M, both 64*T1, for the "Accepted" states.
 */
export interface SipTimerConfig {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
}

export const DEFAULT_TIMERS: SipTimerConfig = { t1: 500, t2: 4000, t4: 5000 };

export class SipTimers {
  constructor(readonly config: SipTimerConfig = DEFAULT_TIMERS) {}

  get T1(): number {
    return this.config.t1;
  }
  get T2(): number {
    return this.config.t2;
  }
  get T4(): number {
    return this.config.t4;
  }
  /** Timer A: the first interval; each firing doubles it. */
  get A(): number {
    return this.config.t1;
  }
  get B(): number {
    return 64 * this.config.t1;
  }
  /** Timer D: "at least 32 seconds for unreliable transports, and a value of zero seconds for reliable transports". */
  D(reliable: boolean): number {
    return reliable ? 0 : Math.max(32_000, 64 * this.config.t1);
  }
  /** Timer E/G next interval: min(2*previous, T2). */
  backoff(previous: number): number {
    return Math.min(2 * previous, this.config.t2);
  }
  get F(): number {
    return 64 * this.config.t1;
  }
  get H(): number {
    return 64 * this.config.t1;
  }
  I(reliable: boolean): number {
    return reliable ? 0 : this.config.t4;
  }
  J(reliable: boolean): number {
    return reliable ? 0 : 64 * this.config.t1;
  }
  K(reliable: boolean): number {
    return reliable ? 0 : this.config.t4;
  }
  get L(): number {
    return 64 * this.config.t1;
  }
  get M(): number {
    return 64 * this.config.t1;
  }
}
