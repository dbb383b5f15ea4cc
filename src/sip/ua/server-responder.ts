import type { SipRequest, SipResponse } from '../message/sip-message.js';
import { makeResponse, type ServerTransaction } from '../transaction/transaction-layer.js';
import { randomToken } from './request-builder.js';

export interface ResponseOptions {
  readonly reason?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: string | Buffer;
  readonly contentType?: string;
}

/** RFC 3261 §21 reason phrases for the codes this stack sends. */
export const REASON: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  603: 'Decline',
};

/**
 * The `res` of a middleware (drachtio's vocabulary): answers the request through its server
 * transaction. One final response only; later calls are ignored and reported by `sent`.
 */
export class ServerResponder {
  private finalSent = false;
  /** The To tag this UAS puts in its responses (RFC 3261 §8.2.6.2). */
  readonly toTag: string;

  constructor(
    readonly request: SipRequest,
    readonly transaction: ServerTransaction,
    private readonly decorate: (r: SipResponse) => void,
  ) {
    this.toTag = request.toTag ?? randomToken(6);
  }

  /** Whether a final response has been sent. */
  get sent(): boolean {
    return this.finalSent;
  }

  /** Builds (without sending) a response to this request. */
  build(status: number, options: ResponseOptions = {}): SipResponse {
    const r = makeResponse(this.request, status, options.reason ?? REASON[status] ?? 'Unknown', this.toTag);
    for (const [k, v] of Object.entries(options.headers ?? {})) r.set(k, v as string | string[]);
    if (options.body !== undefined) r.setBody(options.body, options.contentType);
    this.decorate(r);
    return r;
  }

  send(status: number, options: ResponseOptions = {}): SipResponse | undefined {
    if (this.finalSent) return undefined;
    const r = this.build(status, options);
    this.sendBuilt(r);
    return r;
  }

  /** Sends a response built with `build` (e.g. after adding headers). */
  sendBuilt(r: SipResponse): void {
    if (this.finalSent) return;
    if (r.status >= 200) this.finalSent = true;
    this.transaction.respond(r);
  }
}
