import type { Logger } from 'pino';
import type { Clock } from '../../util/clock.js';
import { type SipRequest, SipResponse } from '../message/sip-message.js';
import { serializeUri } from '../message/sip-uri.js';
import { MAGIC_COOKIE, serializeVia, viaSentBy } from '../message/via.js';
import type { TransportLayer } from '../transport/transport-layer.js';
import type { Destination } from '../transport/transport-types.js';
import { ClientInviteTransaction, type ClientTransactionUser } from './client-invite-transaction.js';
import { ClientNonInviteTransaction } from './client-non-invite-transaction.js';
import { ServerInviteTransaction } from './server-invite-transaction.js';
import { ServerNonInviteTransaction } from './server-non-invite-transaction.js';
import type { SipTimers } from './sip-timers.js';
import type { Transaction, TransactionEnvironment } from './transaction.js';

export type ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction;
export type ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction;

/** What the transaction layer delivers to its user (the UA core). One owner. */
export interface TransactionLayerDelegate {
  /** A new request with its new server transaction. */
  onRequest(request: SipRequest, transaction: ServerTransaction): void;
  /** An ACK that matched no server transaction (the ACK for a 2xx: RFC 3261 §17.1.1.3). */
  onStrayAck(ack: SipRequest): void;
  /** A 2xx to INVITE that matched no client transaction (retransmitted after Timer M, or a fork). */
  onStrayResponse(response: SipResponse): void;
}

/**
 * The transaction layer (RFC 3261 §17): creates transactions, matches incoming messages to them
 * (§17.1.3, §17.2.3), detects merged requests (§8.2.2.2) and forgets terminated transactions.
 */
export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  /** §8.2.2.2 merge keys (From tag, Call-ID, CSeq) of server transactions for out-of-dialog requests. */
  private readonly merge = new Map<string, string>();
  private readonly env: TransactionEnvironment;
  private branchCounter = 0;
  private readonly branchPrefix = Math.random().toString(36).slice(2, 8);
  delegate: TransactionLayerDelegate = {
    onRequest: () => undefined,
    onStrayAck: () => undefined,
    onStrayResponse: () => undefined,
  };

  constructor(
    private readonly transport: TransportLayer,
    clock: Clock,
    timers: SipTimers,
    logger: Logger,
  ) {
    this.env = {
      clock,
      timers,
      logger: logger.child({ module: 'sip.transaction' }),
      send: (m, d) => transport.send(m, d),
      onTerminated: (t) => this.forget(t),
    };
    transport.delegate = { onRequest: (r) => this.onRequest(r), onResponse: (r) => this.onResponse(r) };
  }

  get timers(): SipTimers {
    return this.env.timers;
  }

  /** A fresh branch: RFC 3261 §8.1.1.7 "MUST always begin with the characters "z9hG4bK"". */
  newBranch(): string {
    return `${MAGIC_COOKIE}${this.branchPrefix}${(++this.branchCounter).toString(36)}`;
  }

  /**
   * RFC 3261 §17.2.3: with a magic-cookie branch, a request matches a transaction when "the branch
   * parameter in the request is equal to the one in the top Via header field of the request that
   * created the transaction", "the sent-by value in the top Via of the request is equal to the one
   * in the request that created the transaction", and "the method of the request matches the one
   * that created the transaction, except for ACK, where the method of the request that created the
   * transaction is INVITE". Otherwise RFC 2543 matching on Request-URI, tags, Call-ID, CSeq and top Via.
   */
  static serverKey(request: SipRequest, asMethod?: string): string {
    const top = request.via[0];
    const m = asMethod ?? request.method;
    const method = m === 'ACK' ? 'INVITE' : m;
    const branch = top?.params.get('branch');
    if (top && branch?.startsWith(MAGIC_COOKIE)) return `${branch}\n${viaSentBy(top)}\n${method}`;
    const toTag = method === 'INVITE' ? '' : (request.toTag ?? '');
    return [
      '2543',
      serializeUri(request.uri),
      toTag,
      request.fromTag ?? '',
      request.callId,
      request.cseq.seq,
      method,
      top
        ? serializeVia({
            ...top,
            params: new Map([...top.params].filter(([k]) => k !== 'received' && k !== 'rport')),
          })
        : '',
    ].join('\n');
  }

  /**
   * RFC 3261 §17.1.3: a response matches a client transaction "if the response has the same value
   * of the branch parameter in the top Via header field as the branch parameter in the top Via
   * header field of the request that created the transaction" and "the method parameter in the
   * CSeq header field matches the method of the request that created the transaction".
   */
  static clientKey(branch: string, method: string): string {
    return `${branch}\n${method}`;
  }

  private onRequest(request: SipRequest): void {
    const key = TransactionLayer.serverKey(request);
    const existing = this.servers.get(key);
    if (existing) {
      existing.receiveRequest(request);
      return;
    }
    if (request.method === 'ACK') {
      this.delegate.onStrayAck(request);
      return;
    }
    const dest = this.transport.responseDestination(request);
    const reliable = this.transport.isReliable(dest.transport);
    const tx =
      request.method === 'INVITE'
        ? new ServerInviteTransaction(key, request, dest, reliable, this.env)
        : new ServerNonInviteTransaction(key, request, dest, reliable, this.env);
    this.servers.set(key, tx);
    // RFC 3261 §8.2.2.2: "If the request has no tag in the To header field, the UAS core MUST check
    // the request against ongoing transactions. If the From tag, Call-ID, and CSeq exactly match
    // those associated with an ongoing transaction, but the request does not match that transaction
    // (based on the matching rules in Section 17.2.3), the UAS core SHOULD generate a 482 (Loop
    // Detected) response and pass it to the server transaction."
    if (request.toTag === undefined && request.method !== 'CANCEL') {
      const mk = `${request.fromTag ?? ''}\n${request.callId}\n${request.cseq.seq}\n${request.cseq.method}`;
      const other = this.merge.get(mk);
      if (other !== undefined && other !== key && this.servers.has(other)) {
        tx.respond(makeResponse(request, 482, 'Loop Detected', `m${++this.branchCounter}`));
        return;
      }
      this.merge.set(mk, key);
    }
    this.delegate.onRequest(request, tx);
  }

  private onResponse(response: SipResponse): void {
    const branch = response.via[0]?.params.get('branch');
    const tx = branch
      ? this.clients.get(TransactionLayer.clientKey(branch, response.cseq.method))
      : undefined;
    if (tx) {
      tx.receiveResponse(response);
      return;
    }
    // RFC 3261 §17.1.1.2 / RFC 6026 §7.2: a 2xx to INVITE without a transaction goes to the TU,
    // which re-sends its ACK.
    if (response.cseq.method === 'INVITE' && response.status >= 200 && response.status < 300) {
      this.delegate.onStrayResponse(response);
    }
  }

  /** Starts a client transaction; the request's top Via must carry a fresh branch. */
  request(request: SipRequest, destination: Destination, user: ClientTransactionUser): ClientTransaction {
    const top = request.via[0];
    const branch = top?.params.get('branch');
    if (!top || !branch) throw new TypeError('client transaction needs a top Via with a branch');
    const t = this.transport.transport(destination.transport);
    if (t) {
      top.transport = destination.transport.toUpperCase();
      top.host = this.transport.host;
      top.port = t.port;
    }
    const key = TransactionLayer.clientKey(branch, request.method);
    const reliable = this.transport.isReliable(destination.transport);
    const tx =
      request.method === 'INVITE'
        ? new ClientInviteTransaction(key, request, destination, reliable, this.env, user)
        : new ClientNonInviteTransaction(key, request, destination, reliable, this.env, user);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** The INVITE server transaction a CANCEL targets (RFC 3261 §9.2: same matching, method INVITE). */
  findInviteFor(cancel: SipRequest): ServerInviteTransaction | undefined {
    const key = TransactionLayer.serverKey(cancel, 'INVITE');
    const tx = this.servers.get(key);
    return tx instanceof ServerInviteTransaction ? tx : undefined;
  }

  private forget(t: Transaction<string>): void {
    if (this.servers.get(t.id) === t) {
      this.servers.delete(t.id);
      const r = t.request;
      this.merge.delete(`${r.fromTag ?? ''}\n${r.callId}\n${r.cseq.seq}\n${r.cseq.method}`);
    }
    if (this.clients.get(t.id) === t) this.clients.delete(t.id);
  }

  /** Terminates every transaction (shutdown). */
  closeAll(): void {
    for (const t of [...this.servers.values(), ...this.clients.values()]) t.terminate();
  }

  get counts(): { servers: number; clients: number } {
    return { servers: this.servers.size, clients: this.clients.size };
  }

  dump(): Record<string, unknown> {
    return {
      servers: [...this.servers.values()].map((t) => t.dump()),
      clients: [...this.clients.values()].map((t) => t.dump()),
    };
  }
}

/** RFC 3261 §8.2.6: a response to a request, with the To tag added when given. */
export function makeResponse(
  request: SipRequest,
  status: number,
  reason: string,
  toTag?: string,
): SipResponse {
  const r = new SipResponse(status, reason);
  // §8.2.6.2: "The From field of the response MUST equal the From header field of the request. The
  // Call-ID … CSeq … Via header field values in the response MUST equal the Via header field values
  // in the request and MUST maintain the same ordering." "If a request contained a To tag in the
  // request, the To header field in the response MUST equal that of the request. However, if the To
  // header field in the request did not contain a tag, the URI in the To header field in the response
  // MUST equal the URI in the To header field; additionally, the UAS MUST add a tag".
  r.via = request.via;
  r.from = request.from;
  if (toTag !== undefined && request.toTag === undefined && status !== 100) {
    r.to = { ...request.to, params: new Map(request.to.params).set('tag', toTag) };
  } else r.to = request.to;
  r.callId = request.callId;
  r.cseq = request.cseq;
  const ts = status === 100 ? request.get('timestamp') : undefined;
  if (ts) r.set('timestamp', ts);
  return r;
}
