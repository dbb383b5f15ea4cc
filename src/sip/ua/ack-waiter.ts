import type { Clock, TimerHandle } from '../../util/clock.js';
import type { SipTimers } from '../transaction/sip-timers.js';

/**
 * The UAS core's wait for the ACK of its 2xx (RFC 3261 §13.3.1.4): "the 2xx response is passed to
 * the transport with an interval that starts at T1 seconds and doubles for each retransmission
 * until it reaches T2 seconds … Response retransmissions cease when an ACK request for the
 * response is received." … "If the server retransmits the 2xx response for 64*T1 seconds without
 * receiving an ACK, the dialog is confirmed, but the session SHOULD be terminated."
 *
 * DEVIATION(rfc3261 §13.3.1.4): over reliable transports (TCP, WS) the 2xx is not retransmitted,
 * as the transport already guarantees delivery; the 64*T1 ACK deadline still applies.
 */
export class AckWaiter {
  private interval: number;
  private retransmit: TimerHandle | undefined;
  private readonly deadline: TimerHandle;
  private done = false;
  retransmissions = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timers: SipTimers,
    reliable: boolean,
    private readonly resend: () => void,
    private readonly onTimeout: () => void,
  ) {
    this.interval = timers.T1;
    if (!reliable) this.armRetransmit();
    this.deadline = clock.setTimer(64 * timers.T1, () => {
      if (this.done) return;
      this.stop();
      this.onTimeout();
    });
  }

  private armRetransmit(): void {
    this.retransmit = this.clock.setTimer(this.interval, () => {
      if (this.done) return;
      this.retransmissions++;
      this.resend();
      this.interval = Math.min(2 * this.interval, this.timers.T2);
      this.armRetransmit();
    });
  }

  /** The ACK arrived. Returns false when it was already handled. */
  ack(): boolean {
    if (this.done) return false;
    this.stop();
    return true;
  }

  stop(): void {
    this.done = true;
    this.clock.clearTimer(this.retransmit);
    this.clock.clearTimer(this.deadline);
  }

  get pending(): boolean {
    return !this.done;
  }
}
