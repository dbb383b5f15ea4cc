import type { Server } from 'node:http';
import { type Logger, pino } from 'pino';
import { type Clock, SystemClock } from '../../util/clock.js';
import type { DigestClientCredentials as DigestCredentials } from '../auth/digest-client.js';
import {
  type Dialog,
  type DialogCore,
  DialogState,
  dialogKey,
  type InDialogResponder,
} from '../dialog/dialog.js';
import type { NameAddr } from '../message/name-addr.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/sip-message.js';
import { parseUri, serializeUri, type Uri } from '../message/sip-uri.js';
import { sipError } from '../sip-errors.js';
import type { ServerInviteTransaction } from '../transaction/server-invite-transaction.js';
import { DEFAULT_TIMERS, type SipTimerConfig, SipTimers } from '../transaction/sip-timers.js';
import { type ServerTransaction, TransactionLayer } from '../transaction/transaction-layer.js';
import { TransportLayer } from '../transport/transport-layer.js';
import type { Destination, TransportName } from '../transport/transport-types.js';
import type { WsTransport } from '../transport/ws-transport.js';
import { AckWaiter } from './ack-waiter.js';
import { IncomingInvite } from './incoming-invite.js';
import { authorize, type InviteOptions, type InviteResult, sendInvite } from './outgoing-invite.js';
import { buildRequest } from './request-builder.js';
import { validateRequest } from './request-validation.js';
import { type ResponseOptions, ServerResponder } from './server-responder.js';
import { ALLOW, KNOWN_METHODS, type UaCore } from './ua-core.js';

export interface SipUserAgentOptions {
  /** Bind address, also put in Via and Contact (EARSHOT_SIP_HOST). */
  readonly host: string;
  /** UDP/TCP port; 0 picks a free one (default 5060). */
  readonly port?: number;
  /** Default ['udp', 'tcp']. Add 'ws' for SIP over WebSocket. */
  readonly transports?: readonly TransportName[];
  /** For 'ws': attach to this HTTP server's upgrade on `wsPath` (default /sip); else listen on `wsPort`. */
  readonly httpServer?: Server;
  readonly wsPath?: string;
  readonly wsPort?: number;
  /** False: another upgrade handler forwards `/sip` upgrades to `ua.webSocket?.handleUpgrade(req, socket, head)`. */
  readonly wsAttach?: boolean;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly timers?: Partial<SipTimerConfig>;
  /** Server / User-Agent header value (default "Earshot"). */
  readonly userAgent?: string;
  readonly maxMessageSize?: number;
  /** Answer UDP requests at their source port even without rport (default true; see TransportLayer). */
  readonly forceRport?: boolean;
  /** Answer 483 to requests with Max-Forwards 0 (default true). */
  readonly enforceMaxForwards?: boolean;
  /** Option tags accepted in Require (default none). */
  readonly supported?: readonly string[];
}

export type Next = () => Promise<void>;
/** drachtio-style middleware for out-of-dialog requests. Call `next()` to pass the request on. */
export type Middleware = (req: SipRequest, res: ServerResponder, next: Next) => void | Promise<void>;
export type InviteHandler = (req: SipRequest, uas: IncomingInvite) => void | Promise<void>;

export interface RequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly contentType?: string;
  readonly from?: string;
  readonly to?: string;
  readonly credentials?: DigestCredentials;
  readonly transport?: TransportName;
  readonly destination?: Destination;
}

/**
 * The UA core (RFC 3261 §8, §12–§15): the API of the SIP stack. Incoming out-of-dialog requests
 * run through `use()` middleware and then the defaults (INVITE → `onInvite`, OPTIONS → 200,
 * unknown method → 501, known but unhandled → 405, thrown → 500); in-dialog requests become
 * dialog events; `invite()` and `request()` send.
 */
export class SipUserAgent implements UaCore {
  readonly clock: Clock;
  readonly timers: SipTimers;
  readonly log: Logger;
  readonly transactions: TransactionLayer;
  readonly dialogCore: DialogCore;
  private readonly middleware: Array<{ method: string | undefined; fn: Middleware }> = [];
  private inviteHandler: InviteHandler | undefined;
  private readonly dialogMap = new Map<string, Dialog>();
  private readonly incoming = new WeakMap<ServerInviteTransaction, IncomingInvite>();
  private readonly acks = new Map<string, { ack: SipRequest; destination: Destination }>();
  private readonly reinviteWaiters = new Map<string, AckWaiter>();
  private readonly supported: ReadonlySet<string>;
  private closed = false;

  private constructor(
    readonly transport: TransportLayer,
    private readonly options: SipUserAgentOptions,
    clock: Clock,
    logger: Logger,
  ) {
    this.clock = clock;
    this.log = logger.child({ module: 'sip.ua' });
    this.timers = new SipTimers({ ...DEFAULT_TIMERS, ...options.timers });
    this.supported = new Set((options.supported ?? []).map((s) => s.toLowerCase()));
    this.transactions = new TransactionLayer(transport, clock, this.timers, logger);
    this.transactions.delegate = {
      onRequest: (req, tx) => this.onRequest(req, tx),
      onStrayAck: (ack) => this.onAck(ack),
      onStrayResponse: (res) => this.onStrayResponse(res),
    };
    this.dialogCore = {
      sendRequest: (d, req, dest) => this.sendInDialog(d, req, dest),
      resolveNextHop: (d, uri) => this.transport.resolve(uri, d.flow?.transport),
      localContact: (d) => this.contactFor(d.flow?.transport ?? 'udp'),
      newBranch: () => this.transactions.newBranch(),
      forget: (d) => {
        if (this.dialogMap.get(d.key) === d) this.dialogMap.delete(d.key);
        this.reinviteWaiters.get(d.key)?.stop();
        this.reinviteWaiters.delete(d.key);
      },
    };
  }

  static async start(options: SipUserAgentOptions): Promise<SipUserAgent> {
    const logger = options.logger ?? pino({ level: 'silent' });
    const transport = await TransportLayer.start({
      host: options.host,
      port: options.port ?? 5060,
      transports: options.transports ?? ['udp', 'tcp'],
      httpServer: options.httpServer,
      wsPath: options.wsPath,
      wsPort: options.wsPort,
      wsAttach: options.wsAttach,
      maxMessageSize: options.maxMessageSize,
      forceRport: options.forceRport,
      logger,
    });
    return new SipUserAgent(transport, options, options.clock ?? new SystemClock(), logger);
  }

  /** The UDP/TCP port (or the WS port when only WS runs). */
  get port(): number {
    return this.transport.port();
  }

  get host(): string {
    return this.transport.host;
  }

  /** The WebSocket transport, when 'ws' runs (for `handleUpgrade` with `wsAttach: false`). */
  get webSocket(): WsTransport | undefined {
    return this.transport.transport('ws') as WsTransport | undefined;
  }

  /** Adds middleware for every out-of-dialog request, or for one method. */
  use(fn: Middleware): this;
  use(method: string, fn: Middleware): this;
  use(a: string | Middleware, b?: Middleware): this {
    if (typeof a === 'function') this.middleware.push({ method: undefined, fn: a });
    else if (b) this.middleware.push({ method: a.toUpperCase(), fn: b });
    return this;
  }

  /** Handles new INVITEs (after middleware): create the UAS with the `uas` argument. */
  onInvite(handler: InviteHandler): this {
    this.inviteHandler = handler;
    return this;
  }

  /** Places a call (UAC). */
  invite(target: string | Uri, options: InviteOptions = {}): Promise<InviteResult> {
    if (this.closed) return Promise.reject(sipError('SIP_UA_CLOSED'));
    return sendInvite(this, target, options);
  }

  /** Sends an out-of-dialog non-INVITE request (OPTIONS, MESSAGE, REGISTER…); resolves its final response. */
  async request(target: string | Uri, method: string, options: RequestOptions = {}): Promise<SipResponse> {
    if (this.closed) throw sipError('SIP_UA_CLOSED');
    const uri = typeof target === 'string' ? mustUri(target) : target;
    const destination = options.destination ?? (await this.transport.resolve(uri, options.transport));
    const toAddr = options.to ? mustUri(options.to) : uri;
    let req = buildRequest({
      method: method.toUpperCase(),
      uri,
      from: options.from
        ? { displayName: undefined, uri: mustUri(options.from), params: new Map() }
        : this.defaultFrom(),
      to: { displayName: undefined, uri: toAddr, params: new Map() },
      branch: this.transactions.newBranch(),
      contact: method.toUpperCase() === 'REGISTER' ? this.contactFor(destination.transport) : undefined,
      headers: options.headers,
    });
    this.decorate(req);
    if (options.body !== undefined) req.setBody(options.body, options.contentType ?? 'text/plain');
    let res = await this.transact(req, destination);
    if ((res.status === 401 || res.status === 407) && options.credentials) {
      const value = authorize(options.credentials, res, req.method, serializeUri(req.uri));
      if (value) {
        const retry = buildRequest({
          method: req.method,
          uri,
          from: req.from,
          to: req.to,
          callId: req.callId,
          cseq: req.cseq.seq + 1,
          branch: this.transactions.newBranch(),
          contact: req.method === 'REGISTER' ? this.contactFor(destination.transport) : undefined,
          headers: options.headers,
        });
        retry.set(value.header, value.value);
        this.decorate(retry);
        if (options.body !== undefined) retry.setBody(options.body, options.contentType ?? 'text/plain');
        req = retry;
        res = await this.transact(req, destination);
      }
    }
    return res;
  }

  private transact(req: SipRequest, destination: Destination): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      this.transactions.request(req, destination, {
        onResponse: (r) => {
          if (r.status >= 200) resolve(r);
        },
        onFailure: reject,
      });
    });
  }

  /** Live dialogs. */
  get dialogs(): Dialog[] {
    return [...this.dialogMap.values()];
  }

  // ── UaCore ────────────────────────────────────────────────────────────────────────────────

  contactFor(name: TransportName): NameAddr {
    const port = this.transport.transport(name)?.port ?? this.port;
    const params = new Map<string, string | null>();
    if (name !== 'udp') params.set('transport', name);
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    const uri: Uri = {
      kind: 'sip',
      scheme: 'sip',
      user: 'earshot',
      password: undefined,
      host,
      port,
      params,
      headers: undefined,
    };
    return { displayName: undefined, uri, params: new Map() };
  }

  defaultFrom(): NameAddr {
    const c = this.contactFor('udp');
    return {
      displayName: undefined,
      uri: { ...c.uri, port: undefined, params: new Map() } as Uri,
      params: new Map(),
    };
  }

  addDialog(dialog: Dialog): void {
    this.dialogMap.set(dialog.key, dialog);
  }

  decorate(message: SipMessage): void {
    const ua = this.options.userAgent ?? 'Earshot';
    if ('method' in message) {
      if (!message.has('user-agent')) message.set('user-agent', ua);
    } else if (!message.has('server')) message.set('server', ua);
  }

  rememberAck(response: SipResponse, ack: SipRequest, destination: Destination): void {
    const key = `${response.callId}\n${response.cseq.seq}\n${response.toTag ?? ''}`;
    if (this.acks.has(key)) return;
    this.acks.set(key, { ack, destination });
    this.clock.setTimer(64 * this.timers.T1, () => this.acks.delete(key));
  }

  // ── incoming ──────────────────────────────────────────────────────────────────────────────

  private onStrayResponse(res: SipResponse): void {
    const entry = this.acks.get(`${res.callId}\n${res.cseq.seq}\n${res.toTag ?? ''}`);
    if (entry) this.transport.send(entry.ack, entry.destination).catch(() => undefined);
  }

  private onAck(ack: SipRequest): void {
    const d = this.dialogMap.get(dialogKey(ack.callId, ack.toTag ?? '', ack.fromTag ?? ''));
    if (!d) return;
    this.reinviteWaiters.get(d.key)?.ack();
    d.emit('ack', ack);
  }

  private onRequest(req: SipRequest, tx: ServerTransaction): void {
    const res = new ServerResponder(req, tx, (r) => this.decorate(r));
    if (this.closed) {
      res.send(503);
      return;
    }
    if (req.method === 'CANCEL') {
      this.onCancel(req, res);
      return;
    }
    const rejection = validateRequest(req, {
      supported: this.supported,
      enforceMaxForwards: this.options.enforceMaxForwards ?? true,
    });
    if (rejection) {
      res.send(rejection.status, { reason: rejection.reason, headers: rejection.headers });
      return;
    }
    if (req.toTag !== undefined) {
      this.onInDialog(req, res);
      return;
    }
    void this.runChain(req, res, 0).catch((err: unknown) => {
      this.log.error({ err, method: req.method, callId: req.callId }, 'request handler failed');
      if (!res.sent) res.send(500);
    });
  }

  private async runChain(req: SipRequest, res: ServerResponder, i: number): Promise<void> {
    for (let k = i; k < this.middleware.length; k++) {
      const m = this.middleware[k] as { method: string | undefined; fn: Middleware };
      if (m.method !== undefined && m.method !== req.method) continue;
      let called = false;
      await m.fn(req, res, () => {
        called = true;
        return this.runChain(req, res, k + 1);
      });
      return void called;
    }
    await this.defaultHandler(req, res);
  }

  private async defaultHandler(req: SipRequest, res: ServerResponder): Promise<void> {
    if (res.sent) return;
    switch (req.method) {
      case 'INVITE': {
        if (!this.inviteHandler) {
          res.send(480);
          return;
        }
        const uas = new IncomingInvite(this, res);
        this.incoming.set(res.transaction as ServerInviteTransaction, uas);
        try {
          await this.inviteHandler(req, uas);
        } catch (err) {
          this.log.error({ err, callId: req.callId }, 'INVITE handler failed');
          if (!res.sent) res.send(500);
        }
        return;
      }
      case 'OPTIONS':
        // RFC 3261 §11.2: the response lists Allow, Accept, Accept-Encoding, Accept-Language, Supported.
        res.send(200, {
          headers: {
            allow: ALLOW,
            accept: 'application/sdp',
            'accept-encoding': 'identity',
            'accept-language': 'en',
          },
        });
        return;
      case 'BYE':
        // RFC 3261 §15.1.2: "If the BYE does not match an existing dialog, the UAS core SHOULD generate a 481".
        res.send(481);
        return;
      default:
        if ((KNOWN_METHODS as readonly string[]).includes(req.method))
          res.send(405, { headers: { allow: ALLOW } });
        else res.send(501);
    }
  }

  /** RFC 3261 §9.2: CANCEL matches the INVITE server transaction; answer 200, then 487 the INVITE. */
  private onCancel(req: SipRequest, res: ServerResponder): void {
    const inviteTx = this.transactions.findInviteFor(req);
    if (!inviteTx) {
      // "If the UAS did not find a matching transaction for the CANCEL according to the procedure
      // above, it SHOULD respond to the CANCEL with a 481 (Call Leg/Transaction Does Not Exist)."
      res.send(481);
      return;
    }
    res.send(200);
    const uas = this.incoming.get(inviteTx);
    if (uas) uas.cancelled(req);
    else if (!inviteTx.finalResponse) {
      const inviteRes = new ServerResponder(inviteTx.request, inviteTx, (r) => this.decorate(r));
      inviteRes.send(487);
    }
  }

  /** RFC 3261 §12.2.2: requests within a dialog. */
  private onInDialog(req: SipRequest, res: ServerResponder): void {
    const d = this.dialogMap.get(dialogKey(req.callId, req.toTag ?? '', req.fromTag ?? ''));
    if (!d || d.state === DialogState.Terminated) {
      // "If the UAS receives a request … that does not match any existing dialog, the UAS SHOULD
      // reject it with a 481 (Call/Transaction Does Not Exist)".
      res.send(481);
      return;
    }
    // "If the remote sequence number was not empty, but the sequence number of the request is lower
    // than the remote sequence number, the request is out of order and MUST be rejected with a 500".
    if (d.remoteSeq !== undefined && req.cseq.seq <= d.remoteSeq) {
      res.send(500, { reason: 'Out of Order' });
      return;
    }
    d.remoteSeq = req.cseq.seq;
    const responder: InDialogResponder = {
      request: req,
      respond: (status, o = {}) => this.respondInDialog(d, res, status, o),
    };
    switch (req.method) {
      case 'BYE':
        res.send(200);
        d.transition(DialogState.Terminated, 'bye-received');
        d.emit('bye', req);
        return;
      case 'INVITE':
        if (d.inviteOutstanding) {
          // RFC 3261 §14.2: "If a UA receives a re-INVITE for an existing dialog while it has sent a
          // re-INVITE of its own and not yet received a final response, it MUST return a 491".
          res.send(491);
          return;
        }
        if (d.inviteIncoming) {
          res.send(500, { headers: { 'retry-after': String(Math.ceil(Math.random() * 10)) } });
          return;
        }
        this.refreshTarget(d, req);
        d.inviteIncoming = true;
        if (req.body.length) d.remoteSdp = req.bodyText;
        if (!d.emit('reinvite', req, responder)) {
          responder.respond(200, d.localSdp ? { body: d.localSdp, contentType: 'application/sdp' } : {});
        }
        return;
      case 'UPDATE':
        this.refreshTarget(d, req);
        if (!d.emit('update', req, responder)) {
          responder.respond(
            200,
            req.body.length && d.localSdp ? { body: d.localSdp, contentType: 'application/sdp' } : {},
          );
        }
        return;
      case 'INFO':
      case 'NOTIFY':
      case 'MESSAGE':
        if (!d.emit(req.method.toLowerCase() as 'info' | 'notify' | 'message', req, responder))
          responder.respond(200);
        return;
      case 'REFER':
        if (!d.emit('refer', req, responder)) responder.respond(405, { headers: { allow: ALLOW } });
        return;
      case 'OPTIONS':
        res.send(200, { headers: { allow: ALLOW, accept: 'application/sdp' } });
        return;
      default:
        if ((KNOWN_METHODS as readonly string[]).includes(req.method))
          res.send(405, { headers: { allow: ALLOW } });
        else res.send(501);
    }
  }

  private respondInDialog(
    d: Dialog,
    res: ServerResponder,
    status: number,
    o: ResponseOptions & { body?: string; contentType?: string },
  ): void {
    if (res.sent) return;
    const req = res.request;
    const isInvite = req.method === 'INVITE';
    const headers: Record<string, string> = { ...(o.headers as Record<string, string> | undefined) };
    if (isInvite && status >= 200 && status < 300)
      headers.contact = `<${serializeUri(this.contactFor(d.flow?.transport ?? 'udp').uri)}>`;
    const r = res.build(status, { reason: o.reason, headers, body: o.body, contentType: o.contentType });
    res.sendBuilt(r);
    if (!isInvite || status < 200) return;
    if (status >= 300) {
      d.inviteIncoming = false;
      return;
    }
    if (o.body !== undefined) d.localSdp = o.body;
    const tx = res.transaction as ServerInviteTransaction;
    const waiter = new AckWaiter(
      this.clock,
      this.timers,
      tx.reliable,
      () => {
        try {
          tx.respond(r);
        } catch {
          /* transaction over */
        }
      },
      () => {
        d.inviteIncoming = false;
        this.reinviteWaiters.delete(d.key);
        void d.bye();
      },
    );
    this.reinviteWaiters.get(d.key)?.stop();
    this.reinviteWaiters.set(d.key, waiter);
    d.once('ack', () => {
      d.inviteIncoming = false;
    });
  }

  /** RFC 3261 §12.2.2: a target refresh request "MAY" update the remote target from its Contact. */
  private refreshTarget(d: Dialog, req: SipRequest): void {
    const c = req.getNameAddrs('contact')[0];
    if (c) d.remoteTarget = c.uri;
  }

  private sendInDialog(d: Dialog, req: SipRequest, destination: Destination): Promise<SipResponse> {
    this.decorate(req);
    return new Promise((resolve, reject) => {
      this.transactions.request(req, destination, {
        onResponse: (r) => {
          if (r.status < 200) return;
          if (req.method === 'INVITE' && r.status < 300) {
            const c = r.getNameAddrs('contact')[0];
            if (c) d.remoteTarget = c.uri;
            const ack = d.createRequest('ACK', req.cseq.seq);
            this.decorate(ack);
            this.transport.sendRequest(ack, destination).catch(() => undefined);
            this.rememberAck(r, ack, destination);
          }
          resolve(r);
        },
        onFailure: reject,
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.reinviteWaiters.values()) w.stop();
    this.reinviteWaiters.clear();
    for (const d of [...this.dialogMap.values()]) d.transition(DialogState.Terminated, 'closed');
    this.transactions.closeAll();
    await this.transport.close();
  }

  dump(): Record<string, unknown> {
    return {
      host: this.host,
      // After close() the sockets are gone (their address is unknown): dump() must still answer.
      port: this.closed ? null : this.port,
      closed: this.closed,
      middleware: this.middleware.length,
      dialogs: this.dialogs.map((d) => d.dump()),
      transactions: this.transactions.dump(),
      transport: this.transport.dump(),
    };
  }
}

function mustUri(text: string): Uri {
  const r = parseUri(text);
  if (!r.ok) throw sipError('SIP_INVALID_ARGUMENT', `bad URI ${JSON.stringify(text)}: ${r.reason}`);
  return r.uri;
}
