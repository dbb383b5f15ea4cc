import { parseNameAddr } from '../message/name-addr.js';
import type { SipRequest } from '../message/sip-message.js';

export interface ValidationPolicy {
  /** Option tags this UA supports (RFC 3261 §8.2.2.3). */
  readonly supported: ReadonlySet<string>;
  /** Answer 483 to requests arriving with Max-Forwards 0. */
  readonly enforceMaxForwards: boolean;
}

export interface Rejection {
  readonly status: number;
  readonly reason?: string;
  readonly headers?: Record<string, string>;
}

const BODY_TYPES_FOR_SESSION = new Set(['application/sdp']);

/**
 * The UAS checks of RFC 3261 §8.2 that apply to every request before it reaches middleware.
 * Returns the rejection to send, or undefined when the request may proceed.
 */
export function validateRequest(req: SipRequest, policy: ValidationPolicy): Rejection | undefined {
  // DEVIATION(rfc4475 §3.3.13): RFC 4475 lets an endpoint process a Max-Forwards of 0, but
  // Earshot is a B2BUA that forwards calls onward; like a proxy (RFC 3261 §16.3 step 2) it answers
  // 483 (Too Many Hops). OPTIONS is exempt (RFC 3261 §11: it may be answered by the UA itself).
  if (
    policy.enforceMaxForwards &&
    req.maxForwards === 0 &&
    req.method !== 'OPTIONS' &&
    req.method !== 'ACK'
  ) {
    return { status: 483 };
  }
  // §8.2.2.1: "If the Request-URI uses a scheme not supported by the UAS, it SHOULD reject the
  // request with a 416 (Unsupported URI Scheme) response."
  if (req.uri.kind !== 'sip' && req.uri.scheme !== 'tel') return { status: 416 };
  // §8.2.2.3: "If a UAS does not understand an option tag listed in a Require header field, it MUST
  // respond by generating a response with status code 420 (Bad Extension). The UAS MUST add an
  // Unsupported header field, and list in it those options it does not understand". Not for
  // CANCEL or ACK ("An ACK for a non-2xx … and CANCEL … MUST NOT" be rejected this way).
  if (req.method !== 'CANCEL' && req.method !== 'ACK') {
    const unsupported = req.getAll('require').filter((t) => !policy.supported.has(t.toLowerCase()));
    if (unsupported.length) return { status: 420, headers: { unsupported: unsupported.join(', ') } };
  }
  // Contact must parse where it matters (RFC 4475 §3.1.2.13: a URI with '?' outside <> is a 400).
  for (const c of req.getAll('contact')) {
    if (c !== '*' && !parseNameAddr(c).ok) return { status: 400, reason: 'Bad Contact' };
  }
  // §8.2.3: "If a UAS does not understand the content type, or the content encoding … it MUST
  // respond with a 415 (Unsupported Media Type), and list Accept, Accept-Encoding".
  if (req.body.length && (req.method === 'INVITE' || req.method === 'UPDATE' || req.method === 'ACK')) {
    const ct = req.contentType;
    const enc = req.getAll('content-encoding').filter((e) => e.toLowerCase() !== 'identity');
    if (enc.length)
      return { status: 415, headers: { 'accept-encoding': 'identity', accept: 'application/sdp' } };
    if (ct !== undefined && !BODY_TYPES_FOR_SESSION.has(ct) && ct !== 'multipart/mixed') {
      return { status: 415, headers: { accept: 'application/sdp' } };
    }
  }
  // §8.2.2.2/§21.4.7 (RFC 4475 §3.3.15): an INVITE whose Accept excludes SDP cannot be answered
  // with a session description: 406 (Not Acceptable).
  if (req.method === 'INVITE' && req.has('accept')) {
    const accept = req.getAll('accept').map((a) => (a.split(';')[0] ?? '').trim().toLowerCase());
    if (
      accept.length &&
      !accept.some((a) => a === 'application/sdp' || a === '*/*' || a === 'application/*')
    ) {
      return { status: 406, headers: { accept: 'application/sdp' } };
    }
  }
  return undefined;
}
