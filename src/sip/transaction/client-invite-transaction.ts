import { SipRequest, type SipResponse } from '../message/sip-message.js';
import { sipError } from '../sip-errors.js';
import type { Destination } from '../transport/transport-types.js';
import { Transaction, type TransactionEnvironment } from './transaction.js';

/**
 * INVITE client transaction (RFC 3261 §17.1.1, Figure 5, with RFC 6026's Accepted state).
 *
 *                      |INVITE from TU
 *    Timer A fires     |INVITE sent
 *    Reset A,          V                      Timer B fires
 *    INVITE sent +-----------+                or Transport Err.
 *      +---------|           |---------------+inform TU
 *      |         |  Calling  |               |
 *      +-------->|           |-------------->|
 *                +-----------+ 2xx           |
 *                   |  |       2xx to TU     |
 *                   |  |1xx                  |
 *   300-699 +-------+  |1xx to TU            |
 *  ACK sent |          |                     |
 *  resp. to TU|  1xx   V                     |
 *           |  1xx to TU -----------+         |
 *           |  +---------|           |       |
 *           |  |         |Proceeding |------>| 2xx: 2xx to TU -> Accepted
 *           |  +-------->|           |       |
 *           |            +-----------+       |
 *           |   300-699    |                 |
 *           |   ACK sent,  |                 |
 *           |   resp. to TU|                 |
 *           |              V                 |
 *           |        +-----------+           |   Accepted: 2xx -> TU; Timer M -> Terminated
 *           +------->| Completed |  300-699: ACK sent; Timer D -> Terminated
 *                    +-----------+
 */
export enum ClientInviteState {
  Calling = 'Calling',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

const S = ClientInviteState;
const TABLE: Record<ClientInviteState, readonly ClientInviteState[]> = {
  [S.Calling]: [S.Proceeding, S.Completed, S.Accepted, S.Terminated],
  [S.Proceeding]: [S.Completed, S.Accepted, S.Terminated],
  [S.Completed]: [S.Terminated],
  [S.Accepted]: [S.Terminated],
  [S.Terminated]: [],
};

/** The transaction user of a client transaction. */
export interface ClientTransactionUser {
  onResponse(response: SipResponse): void;
  /** Timer B/F fired, or the transport failed: the TU synthesizes 408/503. */
  onFailure(error: Error): void;
}

export class ClientInviteTransaction extends Transaction<ClientInviteState> {
  readonly kind = 'ict' as const;
  readonly reliable: boolean;
  private ack: SipRequest | undefined;
  private intervalA: number;

  constructor(
    id: string,
    request: SipRequest,
    private readonly destination: Destination,
    reliable: boolean,
    env: TransactionEnvironment,
    private readonly user: ClientTransactionUser,
  ) {
    super(id, request, env, S.Calling, TABLE, S.Terminated);
    this.reliable = reliable;
    this.intervalA = env.timers.A;
  }

  /** Sends the INVITE and enters Calling. */
  start(): void {
    this.sendRequest();
    // RFC 3261 §17.1.1.2: "If an unreliable transport is being used, the client transaction MUST
    // start timer A with a value of T1." … "the client transaction MUST start timer B with a value of 64*T1".
    if (!this.reliable) this.armA();
    this.arm('B', this.env.timers.B, () => {
      // "If the client transaction is still in the "Calling" state when timer B fires, the client
      // transaction SHOULD inform the TU that a timeout has occurred."
      this.transition(S.Terminated);
      this.user.onFailure(sipError('SIP_TRANSACTION_TIMEOUT', 'Timer B fired', { timer: 'B' }));
    });
  }

  private armA(): void {
    this.arm('A', this.intervalA, () => {
      // "When timer A fires, the client transaction MUST retransmit the request … and reset the
      // timer with a value of 2*T1."
      this.sendRequest();
      this.intervalA *= 2;
      this.armA();
    });
  }

  private sendRequest(): void {
    this.sendOrFail(this.request, this.destination, (err) => this.user.onFailure(err));
  }

  /**
   * UA shutdown. A request still waiting for its final response is reported to the TU as failed
   * (SIP_UA_CLOSED), like Timer B/F would report it: otherwise whoever awaits the request (an
   * outgoing call, a REGISTER) would wait forever.
   */
  protected override waitingUser(): ClientTransactionUser | undefined {
    return this.state === S.Calling || this.state === S.Proceeding ? this.user : undefined;
  }

  receiveResponse(response: SipResponse): void {
    const code = response.status;
    switch (this.state) {
      case S.Calling:
      case S.Proceeding:
        if (code < 200) {
          // "If the client transaction receives a provisional response while in the "Calling"
          // state, it transitions to the "Proceeding" state. In the "Proceeding" state, the client
          // transaction SHOULD NOT retransmit the request any longer."
          if (this.state === S.Calling) this.transition(S.Proceeding);
          this.user.onResponse(response);
        } else if (code < 300) {
          // RFC 6026 §8.4: a 2xx moves the transaction to "Accepted" and starts Timer M.
          this.transition(S.Accepted);
          this.arm('M', this.env.timers.M, () => this.transition(S.Terminated));
          this.user.onResponse(response);
        } else {
          // "the client transaction MUST transition to the "Completed" state … generate an ACK
          // request … and pass the response up to the TU". Timer D: 32 s unreliable, 0 reliable.
          this.transition(S.Completed);
          this.ack = buildNon2xxAck(this.request, response);
          this.sendAck();
          this.arm('D', this.env.timers.D(this.reliable), () => this.transition(S.Terminated));
          this.user.onResponse(response);
        }
        return;
      case S.Completed:
        // "Any retransmissions of the final response that are received while in the "Completed"
        // state MUST cause the ACK to be re-passed to the transport layer for retransmission, but
        // the newly received response MUST NOT be passed up to the TU."
        if (code >= 300) this.sendAck();
        return;
      case S.Accepted:
        // RFC 6026 §8.4: "any 2xx responses that match this client transaction … MUST be passed up to the TU".
        if (code >= 200 && code < 300) this.user.onResponse(response);
        return;
      default:
        return;
    }
  }

  private sendAck(): void {
    if (this.ack) this.env.send(this.ack, this.destination).catch(() => undefined);
  }

  protected onTerminated(): void {}
}

/**
 * RFC 3261 §17.1.1.3: "The ACK request constructed by the client transaction MUST contain values
 * for the Call-ID, From, and Request-URI that are equal to the values of those header fields in
 * the request passed to the transport by the client transaction … The To header field in the ACK
 * MUST equal the To header field in the response being acknowledged … The ACK MUST contain a
 * single Via header field, and this MUST be equal to the top Via header field of the original
 * request. The CSeq header field in the ACK MUST contain the same value for the sequence number
 * as was present in the original request, but the method parameter MUST be equal to "ACK"."
 * "If the INVITE request whose response is being acknowledged had Route header fields, those
 * header fields MUST appear in the ACK."
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const ack = new SipRequest('ACK', invite.uri);
  ack.via = invite.via.slice(0, 1);
  ack.maxForwards = 70;
  ack.from = invite.from;
  ack.to = response.to;
  ack.callId = invite.callId;
  ack.cseq = { seq: invite.cseq.seq, method: 'ACK' };
  const route = invite.headers.get('route');
  if (route) ack.headers.set('route', route);
  return ack;
}
