import { TypedEmitter } from '../../util/typed-emitter.js';
import type { NameAddr } from '../message/name-addr.js';
import { SipRequest, type SipResponse } from '../message/sip-message.js';
import { parseUri, serializeUri, type Uri } from '../message/sip-uri.js';
import { sipError } from '../sip-errors.js';
import type { Destination } from '../transport/transport-types.js';

/**
 * Dialog states (RFC 3261 §12).
 *
 *     (1xx with To tag)        (2xx)                (BYE, failure, 481/408 to a request)
 *   ────────────────▶ Early ───────▶ Confirmed ──────────────────────────▶ Terminated
 *        (2xx) ────────────────────▶ Confirmed
 *                     Early ── (3xx-6xx to INVITE) ──────────────────────▶ Terminated
 */
export enum DialogState {
  Early = 'early',
  Confirmed = 'confirmed',
  Terminated = 'terminated',
}

const TABLE: Record<DialogState, readonly DialogState[]> = {
  [DialogState.Early]: [DialogState.Confirmed, DialogState.Terminated],
  [DialogState.Confirmed]: [DialogState.Terminated],
  [DialogState.Terminated]: [],
};

/** RFC 3261 §12: "A dialog is identified at each UA with a dialog ID, which consists of a Call-ID value, a local tag and a remote tag." */
export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\n${localTag}\n${remoteTag}`;
}

/** How a listener answers an in-dialog request. */
export interface InDialogResponder {
  readonly request: SipRequest;
  /** Sends a response (final by default 200). */
  respond(
    status: number,
    options?: { reason?: string; body?: string; contentType?: string; headers?: Record<string, string> },
  ): void;
}

export type DialogTerminationReason =
  | 'bye-received'
  | 'bye-sent'
  | 'no-ack'
  | 'failure'
  | 'closed'
  | 'rejected';

/** Typed events: in-dialog requests and lifecycle. */
export type DialogEvents = {
  bye: [request: SipRequest];
  /** A re-INVITE: answer with `res.respond(200, {body: sdp, contentType})` or a 4xx/5xx. */
  reinvite: [request: SipRequest, res: InDialogResponder];
  update: [request: SipRequest, res: InDialogResponder];
  info: [request: SipRequest, res: InDialogResponder];
  refer: [request: SipRequest, res: InDialogResponder];
  notify: [request: SipRequest, res: InDialogResponder];
  message: [request: SipRequest, res: InDialogResponder];
  /** The ACK for our 2xx (UAS) arrived. */
  ack: [request: SipRequest];
  confirmed: [];
  terminated: [reason: DialogTerminationReason];
};

/** What a dialog needs from the UA core (its single owner). */
export interface DialogCore {
  /** Sends an in-dialog request through a new client transaction; resolves its final response. */
  sendRequest(dialog: Dialog, request: SipRequest, destination: Destination): Promise<SipResponse>;
  /** Where requests in this dialog go (RFC 3261 §12.2.1.1 first Route or remote target). */
  resolveNextHop(dialog: Dialog, uri: Uri): Promise<Destination>;
  localContact(dialog: Dialog): NameAddr;
  newBranch(): string;
  forget(dialog: Dialog): void;
}

export interface DialogInit {
  readonly role: 'uac' | 'uas';
  readonly id: DialogId;
  readonly state: DialogState;
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  readonly remoteTarget: Uri;
  /** Route set in the order requests carry it. */
  readonly routeSet: readonly string[];
  readonly localSeq: number;
  readonly remoteSeq: number | undefined;
  readonly secure: boolean;
  /** The transport flow the dialog was created on (reused for WS/TCP peers). */
  readonly flow: Destination | undefined;
}

/** A SIP dialog (RFC 3261 §12): its state, route set, sequence numbers, and in-dialog verbs. */
export class Dialog extends TypedEmitter<DialogEvents> {
  readonly role: 'uac' | 'uas';
  readonly id: DialogId;
  private current: DialogState;
  localUri: NameAddr;
  remoteUri: NameAddr;
  remoteTarget: Uri;
  routeSet: readonly string[];
  localSeq: number;
  remoteSeq: number | undefined;
  readonly secure: boolean;
  flow: Destination | undefined;
  /** The SDP we last sent and the one we last received (offer/answer bookkeeping). */
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  /** True while a re-INVITE we sent is pending (RFC 3261 §14.1: one at a time → 491). */
  inviteOutstanding = false;
  inviteIncoming = false;

  constructor(
    init: DialogInit,
    private readonly core: DialogCore,
  ) {
    super();
    this.role = init.role;
    this.id = init.id;
    this.current = init.state;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
    this.flow = init.flow;
  }

  get state(): DialogState {
    return this.current;
  }

  get key(): string {
    return dialogKey(this.id.callId, this.id.localTag, this.id.remoteTag);
  }

  /** The single place that assigns the state. */
  transition(to: DialogState, reason: DialogTerminationReason = 'failure'): void {
    if (this.current === to) return;
    if (!TABLE[this.current].includes(to)) {
      throw sipError('SIP_ILLEGAL_TRANSITION', `dialog ${this.current} -> ${to}`);
    }
    this.current = to;
    if (to === DialogState.Confirmed) this.emit('confirmed');
    if (to === DialogState.Terminated) {
      this.core.forget(this);
      this.emit('terminated', reason);
    }
  }

  /**
   * RFC 3261 §12.2.1.1: builds a request within the dialog. "The URI in the To field of the
   * request MUST be set to the remote URI from the dialog state. The tag in the To header field of
   * the request MUST be set to the remote tag of the dialog ID. The From URI of the request MUST
   * be set to the local URI from the dialog state. The tag in the From header field of the request
   * MUST be set to the local tag of the dialog ID." … "The Call-ID of the request MUST be set to the
   * Call-ID of the dialog." … "the CSeq number MUST be the local sequence number plus one" (except
   * ACK and CANCEL). "If the route set is empty, the UAC MUST place the remote target URI into the
   * Request-URI. … If the route set is not empty, and the first URI in the route set contains the lr
   * parameter, the UAC MUST place the remote target URI into the Request-URI and MUST include a
   * Route header field containing the route set values in order". Strict routing (no lr) puts the
   * first route into the Request-URI and appends the remote target as the last Route.
   */
  createRequest(method: string, seq?: number): SipRequest {
    const first = this.routeSet[0];
    const strict = first !== undefined && !/;\s*lr\b/i.test(first);
    let uri = this.remoteTarget;
    const routes = [...this.routeSet];
    if (strict) {
      const m = /<([^>]+)>/.exec(first);
      const parsed = m?.[1];
      if (parsed) {
        const u = parseRouteUri(parsed);
        if (u) {
          uri = u;
          routes.shift();
          routes.push(`<${serializeTarget(this.remoteTarget)}>`);
        }
      }
    }
    const req = new SipRequest(method, uri);
    req.via = [
      {
        transport: 'UDP',
        host: '0.0.0.0',
        port: undefined,
        params: new Map([
          ['branch', this.core.newBranch()],
          ['rport', null],
        ]),
      },
    ];
    req.maxForwards = 70;
    req.from = { ...this.localUri, params: new Map(this.localUri.params).set('tag', this.id.localTag) };
    req.to = { ...this.remoteUri, params: new Map(this.remoteUri.params).set('tag', this.id.remoteTag) };
    req.callId = this.id.callId;
    if (seq === undefined) {
      this.localSeq += 1;
      seq = this.localSeq;
    }
    req.cseq = { seq, method };
    if (routes.length) req.set('route', routes.join(', '));
    if (
      method === 'INVITE' ||
      method === 'UPDATE' ||
      method === 'REFER' ||
      method === 'SUBSCRIBE' ||
      method === 'NOTIFY'
    ) {
      const c = this.core.localContact(this);
      req.set('contact', `<${serializeTarget(c.uri)}>`);
    }
    return req;
  }

  /** The URI requests are sent toward: the first Route (loose routing) or the Request-URI. */
  nextHop(request: SipRequest): Uri {
    const first = this.routeSet[0];
    if (first && /;\s*lr\b/i.test(first)) {
      const m = /<([^>]+)>/.exec(first);
      const u = m?.[1] ? parseRouteUri(m[1]) : undefined;
      if (u) return u;
    }
    return request.uri;
  }

  /** Sends an in-dialog request and resolves its final response (rejects on timeout / transport error). */
  async send(
    method: string,
    options: { body?: string; contentType?: string; headers?: Record<string, string> } = {},
  ): Promise<SipResponse> {
    if (this.current === DialogState.Terminated)
      throw sipError('SIP_DIALOG_TERMINATED', `cannot send ${method}`);
    const req = this.createRequest(method);
    for (const [k, v] of Object.entries(options.headers ?? {})) req.set(k, v);
    if (options.body !== undefined) req.setBody(options.body, options.contentType ?? 'application/sdp');
    const dest = this.flowFor() ?? (await this.core.resolveNextHop(this, this.nextHop(req)));
    const res = await this.core.sendRequest(this, req, dest);
    // RFC 3261 §12.2.1.2: "If the response for a request within a dialog is a 481 (Call/Transaction
    // Does Not Exist) or a 408 (Request Timeout), the UAC SHOULD terminate the dialog."
    if (
      (res.status === 481 || res.status === 408) &&
      (this.current as DialogState) !== DialogState.Terminated
    ) {
      this.transition(DialogState.Terminated, 'failure');
    }
    return res;
  }

  /** Connection-oriented peers (WS, TCP clients) are reached over the connection they used. */
  flowFor(): Destination | undefined {
    return this.flow && (this.flow.transport === 'ws' || this.flow.transport === 'tcp')
      ? this.flow
      : undefined;
  }

  /** Re-INVITE with a new offer (RFC 3261 §14.1); resolves the answer SDP. */
  async reinvite(sdp: string): Promise<string> {
    if (this.inviteOutstanding || this.inviteIncoming) {
      throw sipError('SIP_REQUEST_PENDING', 'an INVITE transaction is already in progress on this dialog');
    }
    this.inviteOutstanding = true;
    try {
      const res = await this.send('INVITE', { body: sdp, contentType: 'application/sdp' });
      if (res.status >= 300) {
        throw sipError('SIP_REQUEST_FAILED', `re-INVITE answered ${res.status}`, { status: res.status });
      }
      this.localSdp = sdp;
      this.remoteSdp = res.bodyText;
      return res.bodyText;
    } finally {
      this.inviteOutstanding = false;
    }
  }

  /** Ends the dialog with BYE (RFC 3261 §15.1.1); resolves once the BYE transaction completes. */
  async bye(headers?: Record<string, string>): Promise<void> {
    if (this.current === DialogState.Terminated) return;
    const p = this.send('BYE', { headers });
    // "the caller's UA MUST NOT send a BYE … until it has received an ACK" is the UAS side's
    // concern; the dialog ends for us as soon as BYE is sent.
    this.transition(DialogState.Terminated, 'bye-sent');
    try {
      await p;
    } catch {
      /* the dialog is gone either way */
    }
  }

  info(body: string, contentType: string): Promise<SipResponse> {
    return this.send('INFO', { body, contentType });
  }

  refer(target: string, headers?: Record<string, string>): Promise<SipResponse> {
    return this.send('REFER', { headers: { 'refer-to': target, ...headers } });
  }

  notify(
    event: string,
    body: string,
    contentType: string,
    subscriptionState = 'active',
  ): Promise<SipResponse> {
    return this.send('NOTIFY', {
      body,
      contentType,
      headers: { event, 'subscription-state': subscriptionState },
    });
  }

  update(sdp: string): Promise<SipResponse> {
    return this.send('UPDATE', { body: sdp, contentType: 'application/sdp' });
  }

  dump(): Record<string, unknown> {
    return {
      role: this.role,
      state: this.current,
      callId: this.id.callId,
      localTag: this.id.localTag,
      remoteTag: this.id.remoteTag,
      localSeq: this.localSeq,
      remoteSeq: this.remoteSeq,
      remoteTarget: serializeTarget(this.remoteTarget),
      routeSet: this.routeSet,
    };
  }
}

function parseRouteUri(text: string): Uri | undefined {
  const r = parseUri(text);
  return r.ok ? r.uri : undefined;
}

function serializeTarget(u: Uri): string {
  return serializeUri(u);
}
