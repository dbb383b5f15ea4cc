import { randomBytes } from 'node:crypto';
import { authError } from './auth-errors.js';
import {
  baseAlgorithm,
  computeDigestResponse,
  computeHa1,
  type DigestAlgorithm,
  parseDigestAlgorithm,
} from './digest-algorithm.js';
import { formatDigestParams, parseDigestParams } from './digest-params.js';

export interface DigestClientCredentials {
  readonly username: string;
  readonly password: string;
  /** Answer only challenges of this realm (default: any realm). */
  readonly realm?: string;
}

/** The answer to a challenge: the header to add and its value. */
export interface DigestAuthorization {
  readonly header: 'Authorization' | 'Proxy-Authorization';
  readonly value: string;
}

interface ActiveChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  qop: 'auth' | undefined;
  opaque: string | undefined;
  nc: number;
}

/** Client preference when a challenge offers several algorithms (RFC 8760 §2.4). */
const PREFERENCE: readonly DigestAlgorithm[] = [
  'SHA-512-256',
  'SHA-256',
  'MD5',
  'SHA-512-256-sess',
  'SHA-256-sess',
  'MD5-sess',
];

/**
 * UAC-side digest credentials for peers (trunks) that challenge: give it the 401/407's challenge header
 * values, then ask it for the Authorization/Proxy-Authorization of each (re)sent request. It keeps the
 * nonce and counts `nc` up for requests sent with the same nonce.
 *
 * RFC 3261 §22.2: "When a UAC resubmits a request with its credentials after receiving a 401 ... or 407 ...
 * response, it MUST increment the CSeq header field value as it would normally when sending an updated request."
 * (The CSeq is the caller's; this helper computes only the credentials.)
 */
export class DigestClient {
  private readonly creds: DigestClientCredentials;
  private active: ActiveChallenge | undefined;
  private header: 'Authorization' | 'Proxy-Authorization' = 'Authorization';

  constructor(credentials: DigestClientCredentials) {
    this.creds = credentials;
  }

  /**
   * Takes the challenge of a 401 (WWW-Authenticate values) or 407 (Proxy-Authenticate values).
   * Throws SIP_AUTH_CHALLENGE_UNSUPPORTED when no challenge is usable, and SIP_AUTH_CHALLENGE_REJECTED when
   * the peer challenges again without `stale=true` after we answered the same realm (wrong credentials: retrying
   * would loop).
   */
  handleChallenge(status: 401 | 407, challengeValues: readonly string[]): void {
    const candidates: ActiveChallenge[] = [];
    let staleSeen = false;
    for (const value of challengeValues) {
      const parsed = parseDigestParams(value);
      if (parsed?.scheme.toLowerCase() !== 'digest') continue;
      const p = parsed.params;
      const realm = p.get('realm');
      const nonce = p.get('nonce');
      const algorithm = parseDigestAlgorithm(p.get('algorithm'));
      if (realm === undefined || nonce === undefined || !algorithm) continue;
      if (this.creds.realm !== undefined && realm !== this.creds.realm) continue;
      const qopOptions = p
        .get('qop')
        ?.split(',')
        .map((q) => q.trim().toLowerCase());
      if (qopOptions && !qopOptions.includes('auth')) continue; // auth-int needs the body: not offered
      if (p.get('stale')?.toLowerCase() === 'true') staleSeen = true;
      candidates.push({
        realm,
        nonce,
        algorithm,
        qop: qopOptions ? 'auth' : undefined,
        opaque: p.get('opaque'),
        nc: 0,
      });
    }
    candidates.sort((a, b) => PREFERENCE.indexOf(a.algorithm) - PREFERENCE.indexOf(b.algorithm));
    const chosen = candidates[0];
    if (!chosen) throw authError('SIP_AUTH_CHALLENGE_UNSUPPORTED');
    // RFC 3261 §22.2: "If the credentials ... are not accepted, ... a UAC SHOULD NOT re-attempt requests with
    // the credentials that have just been rejected" -- unless the nonce was merely stale (RFC 7616 §3.3).
    if (this.active && this.active.realm === chosen.realm && this.active.nc > 0 && !staleSeen) {
      this.active = undefined;
      throw authError('SIP_AUTH_CHALLENGE_REJECTED');
    }
    this.header = status === 407 ? 'Proxy-Authorization' : 'Authorization';
    this.active = chosen;
  }

  /** True once a challenge has been taken. */
  get ready(): boolean {
    return this.active !== undefined;
  }

  /** The credentials for a request `method` to `uri` (counts nc up), or undefined before any challenge. */
  authorize(method: string, uri: string): DigestAuthorization | undefined {
    const c = this.active;
    if (!c) return undefined;
    c.nc++;
    const nc = c.nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(12).toString('base64url');
    const ha1 = computeHa1(baseAlgorithm(c.algorithm), this.creds.username, c.realm, this.creds.password);
    const response = computeDigestResponse({
      algorithm: c.algorithm,
      ha1,
      nonce: c.nonce,
      method,
      uri,
      qop: c.qop,
      nc,
      cnonce,
    });
    const entries: Array<readonly [string, string, boolean]> = [
      ['username', this.creds.username, true],
      ['realm', c.realm, true],
      ['nonce', c.nonce, true],
      ['uri', uri, true],
      ['response', response, true],
      ['algorithm', c.algorithm, false],
    ];
    if (c.qop) entries.push(['qop', 'auth', false], ['nc', nc, false], ['cnonce', cnonce, true]);
    if (c.opaque !== undefined) entries.push(['opaque', c.opaque, true]);
    return { header: this.header, value: formatDigestParams(entries) };
  }

  dump(): { realm?: string; algorithm?: DigestAlgorithm; nc?: number } {
    const c = this.active;
    return c ? { realm: c.realm, algorithm: c.algorithm, nc: c.nc } : {};
  }
}
