import { type SipRequest, SipResponse } from '../message/sip-message.js';
import { sipError } from '../sip-errors.js';
import type { Destination } from '../transport/transport-types.js';
import { Transaction, type TransactionEnvironment } from './transaction.js';

/**
 * INVITE server transaction (RFC 3261 §17.2.1, Figure 7, with RFC 6026's Accepted state).
 *
 *                               |INVITE
 *                               |pass INV to TU
 *            INVITE             V send 100 if TU won't in 200ms
 *            send response+-----------+
 *                +--------|           |--------+101-199 from TU
 *                |        | Proceeding|        |send response
 *                +------->|           |<-------+
 *                         |           |          Transport Err.
 *                         |           |          Inform TU
 *                         |           |--------------->+
 *                         +-----------+                |
 *            300-699 from TU |     |2xx from TU        |
 *            send response   |     |send response      |
 *                            |     +------------------>+ -> Accepted (RFC 6026): INVITE absorbed,
 *                            |                         |    2xx from TU sent, Timer L -> Terminated
 *            INVITE          V          Timer G fires  |
 *            send response+-----------+ send response  |
 *                +--------|           |--------+       |
 *                |        | Completed |        |       |
 *                +------->|           |<-------+       |
 *                         +-----------+                |
 *                            |     |                   |
 *                        ACK |     |                   |
 *                        -   |     +------------------>+
 *                            |        Timer H fires    |
 *                            V        or Transport Err.|
 *                         +-----------+  Inform TU     |
 *                         |           |                |
 *                         | Confirmed |                |
 *                         |           |                |
 *                         +-----------+                |
 *                               |                      |
 *                               |Timer I fires         |
 *                               |-                     |
 *                               V                      |
 *                         +-----------+                |
 *                         | Terminated|<---------------+
 *                         +-----------+
 */
export enum ServerInviteState {
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Confirmed = 'Confirmed',
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

const S = ServerInviteState;
const TABLE: Record<ServerInviteState, readonly ServerInviteState[]> = {
  [S.Proceeding]: [S.Completed, S.Accepted, S.Terminated],
  [S.Completed]: [S.Confirmed, S.Terminated],
  [S.Confirmed]: [S.Terminated],
  [S.Accepted]: [S.Terminated],
  [S.Terminated]: [],
};

/** The transaction user of a server transaction (the UA core). */
export interface ServerTransactionUser {
  /** Timer H fired (no ACK for a non-2xx final) or the transport failed. */
  onServerFailure?(error: Error): void;
}

/** RFC 3261 §17.2.1: "the server transaction MUST generate a 100 (Trying) response" … "within 200 ms". */
export const TRYING_DELAY_MS = 200;

export class ServerInviteTransaction extends Transaction<ServerInviteState> {
  readonly kind = 'ist' as const;
  readonly reliable: boolean;
  private lastResponse: SipResponse | undefined;
  private intervalG: number;
  user: ServerTransactionUser = {};

  constructor(
    id: string,
    request: SipRequest,
    private readonly destination: Destination,
    reliable: boolean,
    env: TransactionEnvironment,
  ) {
    super(id, request, env, S.Proceeding, TABLE, S.Terminated);
    this.reliable = reliable;
    this.intervalG = env.timers.T1;
    // "If the TU does not generate a provisional response within 200 ms, the server transaction
    // MUST generate a 100 (Trying) response."
    this.arm('Trying', TRYING_DELAY_MS, () => {
      if (!this.lastResponse) this.respond(makeTrying(request));
    });
  }

  /** A retransmission of the INVITE, or the ACK for a non-2xx final response. */
  receiveRequest(request: SipRequest): void {
    if (request.method === 'ACK') {
      // "If an ACK is received while the server transaction is in the "Completed" state, the
      // server transaction MUST transition to the "Confirmed" state. … timer I is set to fire in T4
      // seconds for unreliable transports, and zero seconds for reliable transports."
      if (this.state === S.Completed) {
        this.transition(S.Confirmed);
        this.arm('I', this.env.timers.I(this.reliable), () => this.transition(S.Terminated));
      }
      return;
    }
    // "If a request retransmission is received while in the "Proceeding" state, the most recent
    // provisional response that was received from the TU MUST be passed to the transport layer for
    // retransmission." Completed: "the server MUST pass [the final response] to the transport layer".
    // RFC 6026 §8.5: in "Accepted", a retransmitted INVITE is absorbed.
    if ((this.state === S.Proceeding || this.state === S.Completed) && this.lastResponse) {
      this.sendLast();
    }
  }

  /** The TU sends a response through the transaction. */
  respond(response: SipResponse): void {
    const code = response.status;
    switch (this.state) {
      case S.Proceeding:
        this.lastResponse = response;
        this.sendLast();
        if (code < 200) return;
        if (code < 300) {
          // RFC 6026 §8.5: "If, while in the "Proceeding" state, the TU passes a 2xx response to the
          // server transaction, the server transaction MUST pass this response to the transport
          // layer for transmission … and transition to the "Accepted" state" with Timer L = 64*T1.
          this.transition(S.Accepted);
          this.arm('L', this.env.timers.L, () => this.transition(S.Terminated));
          return;
        }
        // "the response MUST be passed to the transport layer … and the state machine MUST enter the
        // "Completed" state. For unreliable transports, timer G is set to fire in T1 seconds … timer
        // H MUST be set to fire in 64*T1 seconds for all transports."
        this.transition(S.Completed);
        if (!this.reliable) this.armG();
        this.arm('H', this.env.timers.H, () => {
          // "If timer H fires while in the "Completed" state, it implies that the ACK was never
          // received. In this case, the server transaction MUST transition to the "Terminated"
          // state, and MUST indicate to the TU that a transaction failure has occurred."
          this.transition(S.Terminated);
          this.user.onServerFailure?.(sipError('SIP_NO_ACK', 'Timer H fired', { timer: 'H' }));
        });
        return;
      case S.Accepted:
        // RFC 6026: "Any retransmission of the 2xx response passed from the TU to the transaction
        // while in the "Accepted" state MUST be passed to the transport layer for transmission."
        if (code >= 200 && code < 300) {
          this.lastResponse = response;
          this.sendLast();
          return;
        }
        throw sipError('SIP_ILLEGAL_TRANSITION', `ist ${this.state}: cannot send ${code}`);
      default:
        throw sipError('SIP_ILLEGAL_TRANSITION', `ist ${this.state}: cannot send ${code}`);
    }
  }

  private armG(): void {
    this.arm('G', this.intervalG, () => {
      // "If timer G fires, the response is passed to the transport layer once more for
      // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds."
      this.sendLast();
      this.intervalG = this.env.timers.backoff(this.intervalG);
      this.armG();
    });
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

function makeTrying(request: SipRequest): SipResponse {
  const r = new SipResponse(100, 'Trying');
  r.via = request.via;
  r.from = request.from;
  r.to = request.to;
  r.callId = request.callId;
  r.cseq = request.cseq;
  // RFC 3261 §8.2.6.1: "the Timestamp header field … MUST be copied".
  const ts = request.get('timestamp');
  if (ts) r.set('timestamp', ts);
  return r;
}
