import { createHash } from 'node:crypto';

/**
 * Digest algorithms: RFC 2617/7616 MD5 and RFC 8760 (SIP) SHA-256 and SHA-512/256, each with its
 * `-sess` variant.
 *
 * RFC 8760 §2.2: "The SIP user agent ... MUST support the SHA-256 algorithm ... SHOULD support
 * the SHA-512/256 algorithm ... MD5 ... for backward compatibility."
 */
export type DigestAlgorithm =
  | 'MD5'
  | 'MD5-sess'
  | 'SHA-256'
  | 'SHA-256-sess'
  | 'SHA-512-256'
  | 'SHA-512-256-sess';

const NODE_HASH: Readonly<Record<DigestAlgorithm, string>> = {
  MD5: 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-sess': 'sha512-256',
};

/** Parses an `algorithm` parameter (case-insensitive); absent means MD5 (RFC 7616 §3.3). */
export function parseDigestAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined) return 'MD5';
  const v = value.toUpperCase();
  for (const alg of Object.keys(NODE_HASH) as DigestAlgorithm[]) {
    if (alg.toUpperCase() === v) return alg;
  }
  return undefined;
}

/** The base algorithm (without `-sess`), under which HA1 values are stored. */
export function baseAlgorithm(alg: DigestAlgorithm): 'MD5' | 'SHA-256' | 'SHA-512-256' {
  return alg.replace(/-sess$/, '') as 'MD5' | 'SHA-256' | 'SHA-512-256';
}

/** H(data): the lowercase hex digest of the algorithm's hash. */
export function digestHash(alg: DigestAlgorithm, data: string): string {
  return createHash(NODE_HASH[alg]).update(data, 'utf8').digest('hex');
}

/** The HA1 a credential store may keep instead of the password: H(username ":" realm ":" password). */
export function computeHa1(alg: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(alg, `${username}:${realm}:${password}`);
}

export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** H(username:realm:password) with the base algorithm (before any `-sess` step). */
  readonly ha1: string;
  readonly nonce: string;
  readonly method: string;
  readonly uri: string;
  /** `auth` (the only qop Earshot offers), or undefined for RFC 2069 compatibility. */
  readonly qop?: 'auth' | undefined;
  readonly nc?: string | undefined;
  readonly cnonce?: string | undefined;
}

/**
 * The `response` value.
 *
 * RFC 7616 §3.4.2: "If the algorithm parameter's value is '<algorithm>-sess', then A1 is
 *   A1 = H( unq(username) ":" unq(realm) ":" passwd ) ":" unq(nonce-prf) ":" unq(cnonce-prf)"
 * RFC 7616 §3.4.3: "If the qop parameter's value is 'auth' ..., then A2 is A2 = Method ":" request-uri"
 * RFC 7616 §3.4.1: "response = <"> < KD ( H(A1), unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop)
 *   ":" H(A2) ) <">"
 * RFC 2617 §3.2.2.1 (no qop, RFC 2069 compatibility): "request-digest = <"> < KD ( H(A1), unq(nonce-value)
 *   ":" H(A2) ) > <">"
 */
export function computeDigestResponse(input: DigestResponseInput): string {
  const { algorithm, nonce, method, uri, qop, nc, cnonce } = input;
  let ha1 = input.ha1;
  if (algorithm.endsWith('-sess')) ha1 = digestHash(algorithm, `${ha1}:${nonce}:${cnonce ?? ''}`);
  const ha2 = digestHash(algorithm, `${method}:${uri}`);
  if (qop === 'auth') return digestHash(algorithm, `${ha1}:${nonce}:${nc ?? ''}:${cnonce ?? ''}:auth:${ha2}`);
  return digestHash(algorithm, `${ha1}:${nonce}:${ha2}`);
}
