import type { SipRequest, SipResponse } from '../message/sip-message.js';
import { sipError } from '../sip-errors.js';
import type { Destination } from '../transport/transport-types.js';
import type { ServerTransactionUser } from './server-invite-transaction.js';
import { Transaction, type TransactionEnvironment } from './transaction.js';

/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
 *
 *                         |Request received
 *                         |pass to TU
 *                         V
 *                   +-----------+
 *                   |           |
 *                   | Trying    |-------------+
 *                   |           |             |
 *                   +-----------+             |200-699 from TU
 *                         |                   |send response
 *                         |1xx from TU        |
 *                         |send response      |
 *                         |                   |
 *      Request            V      1xx from TU  |
 *      send response+-----------+send response|
 *          +--------|           |--------+    |
 *          |        | Proceeding|        |    |
 *          +------->|           |<-------+    |
 *   +<--------------|           |             |
 *   |Trnsprt Err    +-----------+             |
 *   |Inform TU            |                   |
 *   |                     |                   |
 *   |                     |200-699 from TU    |
 *   |                     |send response      |
 *   |  Request            V                   |
 *   |  send response+-----------+             |
 *   |      +--------|           |             |
 *   |      |        | Completed |<------------+
 *   |      +------->|           |
 *   +<--------------|           |
 *   |Trnsprt Err    +-----------+
 *   |Inform TU            |
 *   |                     |Timer J fires
 *   |                     |-
 *   |                     |
 *   |                     V
 *   |               +-----------+
 *   +-------------->|           |
 *                   | Terminated|
 *                   |           |
 *                   +-----------+
 */
export enum ServerNonInviteState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated',
}

const S = ServerNonInviteState;
const TABLE: Record<ServerNonInviteState, readonly ServerNonInviteState[]> = {
  [S.Trying]: [S.Proceeding, S.Completed, S.Terminated],
  [S.Proceeding]: [S.Completed, S.Terminated],
  [S.Completed]: [S.Terminated],
  [S.Terminated]: [],
};

export class ServerNonInviteTransaction extends Transaction<ServerNonInviteState> {
  readonly kind = 'nist' as const;
  readonly reliable: boolean;
  private lastResponse: SipResponse | undefined;
  user: ServerTransactionUser = {};

  constructor(
    id: string,
    request: SipRequest,
    private readonly destination: Destination,
    reliable: boolean,
    env: TransactionEnvironment,
  ) {
    super(id, request, env, S.Trying, TABLE, S.Terminated);
    this.reliable = reliable;
  }

  /** A retransmission of the request. */
  receiveRequest(_request: SipRequest): void {
    // "Once in the "Trying" state, any further request retransmissions are discarded." In
    // "Proceeding" and "Completed" the last response is retransmitted.
    if (this.state === S.Proceeding || this.state === S.Completed) this.sendLast();
  }

  respond(response: SipResponse): void {
    if (this.state === S.Completed || this.state === S.Terminated) {
      throw sipError('SIP_ILLEGAL_TRANSITION', `nist ${this.state}: cannot send ${response.status}`);
    }
    this.lastResponse = response;
    this.sendLast();
    if (response.status < 200) {
      if (this.state === S.Trying) this.transition(S.Proceeding);
      return;
    }
    // "When the server transaction enters the "Completed" state, it MUST set Timer J to fire in
    // 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
    this.transition(S.Completed);
    this.arm('J', this.env.timers.J(this.reliable), () => this.transition(S.Terminated));
  }

  private sendLast(): void {
    const r = this.lastResponse;
    if (!r) return;
    this.sendOrFail(r, this.destination, (err) => this.user.onServerFailure?.(err));
  }

  get finalResponse(): SipResponse | undefined {
    return this.lastResponse && this.lastResponse.status >= 200 ? this.lastResponse : undefined;
  }

  protected onTerminated(): void {}
}
