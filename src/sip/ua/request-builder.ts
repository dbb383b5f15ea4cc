import { randomBytes } from 'node:crypto';
import type { NameAddr } from '../message/name-addr.js';
import { SipRequest } from '../message/sip-message.js';
import { serializeUri, type Uri } from '../message/sip-uri.js';

/** RFC 3261 §19.3: tags and Call-IDs must be globally unique and cryptographically random. */
export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export interface OutOfDialogRequestInit {
  readonly method: string;
  readonly uri: Uri;
  readonly from: NameAddr;
  readonly to: NameAddr;
  readonly callId?: string;
  readonly cseq?: number;
  readonly branch: string;
  readonly contact?: NameAddr;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * RFC 3261 §8.1.1: "A valid SIP request formulated by a UAC MUST, at a minimum, contain the
 * following header fields: To, From, CSeq, Call-ID, Max-Forwards, and Via". The top Via's
 * sent-by is stamped by the transport layer when the request is sent.
 */
export function buildRequest(init: OutOfDialogRequestInit): SipRequest {
  const req = new SipRequest(init.method, init.uri);
  req.via = [
    {
      transport: 'UDP',
      host: '0.0.0.0',
      port: undefined,
      params: new Map([
        ['branch', init.branch],
        ['rport', null],
      ]),
    },
  ];
  // §8.1.1.6: "The Max-Forwards header field … SHOULD be 70."
  req.maxForwards = 70;
  req.from = { ...init.from, params: new Map(init.from.params) };
  // §8.1.1.3: "The From field MUST contain a new "tag" parameter, chosen by the UAC."
  if (!req.from.params.has('tag')) req.from.params.set('tag', randomToken(6));
  req.to = { ...init.to, params: new Map(init.to.params) };
  // §8.1.1.4: "Call-ID … MUST be the same for all requests and responses sent by either UA in a dialog."
  req.callId = init.callId ?? randomToken(12);
  // §8.1.1.5: "The sequence number value MUST be expressible as a 32-bit unsigned integer and MUST be less than 2**31."
  req.cseq = { seq: init.cseq ?? 1 + Math.floor(Math.random() * 10_000), method: init.method };
  if (init.contact) req.set('contact', `<${serializeContactUri(init.contact)}>`);
  for (const [k, v] of Object.entries(init.headers ?? {})) req.set(k, v);
  return req;
}

function serializeContactUri(c: NameAddr): string {
  return serializeUri(c.uri);
}
