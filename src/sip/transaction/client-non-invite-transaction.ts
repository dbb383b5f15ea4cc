import type { SipRequest, SipResponse } from '../message/sip-message.js';
import { sipError } from '../sip-errors.js';
import type { Destination } from '../transport/transport-types.js';
import type { ClientTransactionUser } from './client-invite-transaction.js';
import { Transaction, type TransactionEnvironment } from './transaction.js';

/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
 *
 *                        |Request from TU
 *                        |send request
 *    Timer E             V
 *    send request  +-----------+
 *        +---------|           |-------------------+
 *        |         |  Trying   |  Timer F          |
 *        +-------->|           |  or Transport Err.|
 *                  +-----------+  inform TU        |
 *     200-699         |  |                         |
 *     resp. to TU     |  |1xx                      |
 *     +---------------+  |resp. to TU              |
 *     |                  |                         |
 *     |   Timer E        V       Timer F           |
 *     |   send req +-----------+ or Transport Err. |
 *     |  +---------|           | inform TU         |
 *     |  |         |Proceeding |------------------>|
 *     |  +-------->|           |-----+             |
 *     |            +-----------+     |1xx          |
 *     |              |      ^        |resp to TU   |
 *     | 200-699      |      +--------+             |
 *     | resp. to TU  |                             |
 *     |              V                             |
 *     |            +-----------+                   |
 *     |            |           |                   |
 *     |            | Completed |                   |
 *     |            |           |                   |
 *     |            +-----------+                   |
 *     |              ^   |                         |
 *     |              |   | Timer K                 |
 *     +--------------+   | -                       |
 *                        |                         |
 *                        V                         |
 *                  +-----------+                   |
 *                  | Terminated|<------------------+
 *                  +-----------+
 */
export enum ClientNonInviteState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated',
}

const S = ClientNonInviteState;
/** A transport failure after the final response (e.g. on a retransmission) changes nothing. */
const SETTLED: readonly ClientNonInviteState[] = [S.Completed];
const TABLE: Record<ClientNonInviteState, readonly ClientNonInviteState[]> = {
  [S.Trying]: [S.Proceeding, S.Completed, S.Terminated],
  [S.Proceeding]: [S.Completed, S.Terminated],
  [S.Completed]: [S.Terminated],
  [S.Terminated]: [],
};

export class ClientNonInviteTransaction extends Transaction<ClientNonInviteState> {
  readonly kind = 'nict' as const;
  readonly reliable: boolean;
  private intervalE: number;
  private deadlineF = 0;

  constructor(
    id: string,
    request: SipRequest,
    private readonly destination: Destination,
    reliable: boolean,
    env: TransactionEnvironment,
    private readonly user: ClientTransactionUser,
  ) {
    super(id, request, env, S.Trying, TABLE, S.Terminated);
    this.reliable = reliable;
    this.intervalE = env.timers.T1;
  }

  start(): void {
    this.sendRequest();
    // RFC 3261 §17.1.2.2: "The "Trying" state is entered when the TU initiates a new client
    // transaction with a request. When entering this state, the client transaction SHOULD set
    // timer F to fire in 64*T1 seconds. … If an unreliable transport is in use, the client
    // transaction MUST set timer E to fire in T1 seconds."
    this.deadlineF = this.env.clock.now() + this.env.timers.F;
    this.armF();
    if (!this.reliable) this.armE();
  }

  private armF(): void {
    this.arm('F', Math.max(0, this.deadlineF - this.env.clock.now()), () => {
      // "If Timer F fires while the client transaction is still in the "Trying" state, the client
      // transaction SHOULD inform the TU about the timeout, and then it SHOULD enter the "Terminated" state."
      this.transition(S.Terminated);
      this.user.onFailure(sipError('SIP_TRANSACTION_TIMEOUT', 'Timer F fired', { timer: 'F' }));
    });
  }

  private armE(): void {
    this.arm('E', this.intervalE, () => {
      // "If timer E fires while still in this state, the timer is reset, but this time with a value
      // of MIN(2*T1, T2). … If Timer E fires while in the "Proceeding" state, the request MUST be
      // passed to the transport layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
      this.sendRequest();
      this.intervalE =
        this.state === S.Proceeding ? this.env.timers.T2 : this.env.timers.backoff(this.intervalE);
      this.armE();
    });
  }

  private sendRequest(): void {
    this.sendOrFail(this.request, this.destination, (err) => this.user.onFailure(err), SETTLED);
  }

  /**
   * UA shutdown. A request still waiting for its final response is reported to the TU as failed
   * (SIP_UA_CLOSED), like Timer B/F would report it: otherwise whoever awaits the request (an
   * outgoing call, a REGISTER) would wait forever.
   */
  protected override waitingUser(): ClientTransactionUser | undefined {
    return this.state === S.Trying || this.state === S.Proceeding ? this.user : undefined;
  }

  receiveResponse(response: SipResponse): void {
    const code = response.status;
    if (this.state === S.Trying || this.state === S.Proceeding) {
      if (code < 200) {
        if (this.state === S.Trying) {
          this.transition(S.Proceeding);
          // Timers E and F continue across the state change (E at T2 from now on).
          this.armF();
          if (!this.reliable) {
            this.intervalE = this.env.timers.T2;
            this.armE();
          }
        }
        this.user.onResponse(response);
        return;
      }
      // "If a final response (status codes 200-699) is received while in the "Trying" [or
      // "Proceeding"] state, the response MUST be passed to the TU, and the client transaction MUST
      // transition to the "Completed" state." … "Timer K … T4 seconds for unreliable transports, and zero
      // seconds for reliable transports."
      this.transition(S.Completed);
      this.arm('K', this.env.timers.K(this.reliable), () => this.transition(S.Terminated));
      this.user.onResponse(response);
    }
    // Completed: "Any retransmissions of the final response that are received while in the
    // "Completed" state MUST be absorbed" (nothing to do).
  }

  protected onTerminated(): void {}
}
