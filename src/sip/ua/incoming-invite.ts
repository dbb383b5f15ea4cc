import { TypedEmitter } from '../../util/typed-emitter.js';
import { Dialog, DialogState } from '../dialog/dialog.js';
import type { SipRequest } from '../message/sip-message.js';
import { serializeUri } from '../message/sip-uri.js';
import { sipError } from '../sip-errors.js';
import type { ServerInviteTransaction } from '../transaction/server-invite-transaction.js';
import type { TransportName } from '../transport/transport-types.js';
import { AckWaiter } from './ack-waiter.js';
import type { ResponseOptions, ServerResponder } from './server-responder.js';
import type { UaCore } from './ua-core.js';

/**
 * States of an incoming INVITE as its UAS sees it.
 *
 *   Pending ──progress/ringing──▶ Early ──answer──▶ Answered ──ACK──▶ Confirmed
 *      │                            │                   └──no ACK (64*T1)──▶ Failed
 *      ├──reject / CANCEL───────────┴──▶ Rejected / Cancelled
 */
export enum IncomingInviteState {
  Pending = 'pending',
  Early = 'early',
  Answered = 'answered',
  Confirmed = 'confirmed',
  Rejected = 'rejected',
  Cancelled = 'cancelled',
  Failed = 'failed',
}

const S = IncomingInviteState;
const TABLE: Record<IncomingInviteState, readonly IncomingInviteState[]> = {
  [S.Pending]: [S.Early, S.Answered, S.Rejected, S.Cancelled],
  [S.Early]: [S.Answered, S.Rejected, S.Cancelled],
  [S.Answered]: [S.Confirmed, S.Failed],
  [S.Confirmed]: [],
  [S.Rejected]: [],
  [S.Cancelled]: [],
  [S.Failed]: [],
};

export type IncomingInviteEvents = {
  /** The caller cancelled (RFC 3261 §9.2); a 487 has been sent. */
  cancel: [request: SipRequest];
  state: [state: IncomingInviteState];
};

/** A UAS for one incoming INVITE (drachtio's `createUAS`): provisional responses, answer, reject. */
export class IncomingInvite extends TypedEmitter<IncomingInviteEvents> {
  private current = S.Pending;
  private dialogPromise: Promise<Dialog> | undefined;

  constructor(
    private readonly core: UaCore,
    readonly res: ServerResponder,
  ) {
    super();
  }

  get request(): SipRequest {
    return this.res.request;
  }

  get state(): IncomingInviteState {
    return this.current;
  }

  /** The offer in the INVITE, if any. */
  get offer(): string | undefined {
    return this.request.body.length ? this.request.bodyText : undefined;
  }

  private transition(to: IncomingInviteState): void {
    if (this.current === to) return;
    if (!TABLE[this.current].includes(to)) {
      throw sipError('SIP_ILLEGAL_TRANSITION', `incoming INVITE ${this.current} -> ${to}`);
    }
    this.current = to;
    this.emit('state', to);
  }

  private checkOpen(verb: string): void {
    if (this.current === S.Cancelled) throw sipError('SIP_REQUEST_CANCELLED', `cannot ${verb}: cancelled`);
    if (this.current !== S.Pending && this.current !== S.Early) {
      throw sipError('SIP_ILLEGAL_TRANSITION', `cannot ${verb} in state ${this.current}`);
    }
  }

  /** 183 Session Progress (with early media SDP when given). */
  progress(options: { sdp?: string; headers?: Record<string, string> } = {}): void {
    this.provisional(183, options);
  }

  /** 180 Ringing. */
  ringing(options: { sdp?: string; headers?: Record<string, string> } = {}): void {
    this.provisional(180, options);
  }

  private provisional(status: number, options: { sdp?: string; headers?: Record<string, string> }): void {
    this.checkOpen('send a provisional response');
    const r = this.res.build(status, {
      headers: { contact: this.contactValue(), ...options.headers },
      body: options.sdp,
      contentType: options.sdp ? 'application/sdp' : undefined,
    });
    this.res.sendBuilt(r);
    this.transition(S.Early);
  }

  /**
   * Answers 200 OK with an SDP answer and resolves with the confirmed dialog once the ACK arrives
   * (rejects with SIP_NO_ACK after 64*T1, having sent BYE).
   */
  answer(sdp: string | undefined, options: ResponseOptions = {}): Promise<Dialog> {
    this.checkOpen('answer');
    const req = this.request;
    // RFC 3261 §12.1.1: "When a UAS responds to a request with a response that establishes a
    // dialog … the UAS MUST copy all Record-Route header field values from the request into the
    // response … and MUST add a Contact header field to the response."
    const rr = req.getAll('record-route');
    const r = this.res.build(200, {
      ...options,
      headers: {
        contact: this.contactValue(),
        ...(rr.length ? { 'record-route': rr } : {}),
        ...options.headers,
      },
      body: sdp ?? options.body,
      contentType: sdp !== undefined ? 'application/sdp' : options.contentType,
    });
    const contact = req.getNameAddrs('contact')[0];
    const source = req.source;
    const dialog = new Dialog(
      {
        role: 'uas',
        id: { callId: req.callId, localTag: this.res.toTag, remoteTag: req.fromTag ?? '' },
        state: DialogState.Confirmed,
        localUri: req.to,
        remoteUri: req.from,
        // "The remote target MUST be set to the URI from the Contact header field of the request."
        remoteTarget: contact?.uri ?? req.from.uri,
        // "The route set MUST be set to the list of URIs in the Record-Route header field from the
        // request, taken in order and preserving all URI parameters."
        routeSet: rr,
        localSeq: Math.floor(Math.random() * 1_000_000),
        // "The remote sequence number MUST be set to the value of the sequence number in the CSeq header field of the request."
        remoteSeq: req.cseq.seq,
        secure: req.uri.kind === 'sip' && req.uri.scheme === 'sips',
        flow: source
          ? {
              transport: source.transport as TransportName,
              address: source.address,
              port: source.port,
              connectionId: source.connectionId,
            }
          : undefined,
      },
      this.core.dialogCore,
    );
    dialog.remoteSdp = this.offer;
    dialog.localSdp = sdp;
    this.core.addDialog(dialog);
    this.res.sendBuilt(r);
    this.transition(S.Answered);
    const tx = this.res.transaction as ServerInviteTransaction;
    this.dialogPromise = new Promise<Dialog>((resolve, reject) => {
      const waiter = new AckWaiter(
        this.core.clock,
        this.core.timers,
        tx.reliable,
        () => {
          try {
            tx.respond(r);
          } catch {
            /* the transaction ended (Timer L): nothing more to retransmit */
          }
        },
        () => {
          this.transition(S.Failed);
          this.core.log.warn({ callId: req.callId }, 'no ACK for 2xx: ending the dialog');
          void dialog.bye();
          reject(sipError('SIP_NO_ACK', undefined, { callId: req.callId }));
        },
      );
      const onAck = () => {
        if (!waiter.ack()) return;
        this.transition(S.Confirmed);
        resolve(dialog);
      };
      dialog.once('ack', onAck);
      dialog.once('terminated', () => {
        if (waiter.pending) {
          waiter.stop();
          if (this.current === S.Answered) this.transition(S.Failed);
          reject(sipError('SIP_DIALOG_TERMINATED', 'dialog ended before the ACK'));
        }
      });
    });
    return this.dialogPromise;
  }

  /** Rejects with a final non-2xx response (default 486 Busy Here). */
  reject(status = 486, options: ResponseOptions = {}): void {
    if (status < 300 || status > 699)
      throw sipError('SIP_INVALID_ARGUMENT', `reject needs 3xx-6xx, got ${status}`);
    this.checkOpen('reject');
    this.res.send(status, options);
    this.transition(S.Rejected);
  }

  /** Called by the UA core on CANCEL: RFC 3261 §9.2 "the UAS SHOULD then respond to the INVITE with a 487". */
  cancelled(cancel: SipRequest): boolean {
    if (this.current !== S.Pending && this.current !== S.Early) return false;
    this.res.send(487);
    this.transition(S.Cancelled);
    this.emit('cancel', cancel);
    return true;
  }

  private contactValue(): string {
    const name = (this.request.source?.transport ?? 'udp') as TransportName;
    return `<${serializeUri(this.core.contactFor(name).uri)}>`;
  }

  dump(): Record<string, unknown> {
    return { state: this.current, callId: this.request.callId, toTag: this.res.toTag };
  }
}
