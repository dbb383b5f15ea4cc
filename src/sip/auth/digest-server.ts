import { timingSafeEqual } from 'node:crypto';
import { type Logger, pino } from 'pino';
import type { Clock } from '../../util/clock.js';
import { AuthLockout, type AuthLockoutOptions } from './auth-lockout.js';
import type { CredentialProvider, DigestCredentials } from './credential-provider.js';
import {
  baseAlgorithm,
  computeDigestResponse,
  computeHa1,
  type DigestAlgorithm,
  parseDigestAlgorithm,
} from './digest-algorithm.js';
import { formatDigestParams, parseDigestParams } from './digest-params.js';
import { NonceManager } from './nonce-manager.js';

/** What the digest server needs to know of a request. */
export interface DigestRequest {
  readonly method: string;
  /** The Request-URI as received (the `uri` parameter must equal it). */
  readonly requestUri: string;
  /** When the `uri` parameter differs textually from `requestUri`: is it the same URI (RFC 3261 §19.1.4)? */
  readonly uriMatches?: (digestUri: string) => boolean;
  /** Every Authorization (or Proxy-Authorization) header value of the request. */
  readonly credentials: readonly string[];
  /** The source IP address (the lockout key). */
  readonly source: string;
}

/** The verdict; the caller answers 401 with `challenges` as WWW-Authenticate (or 407/Proxy-Authenticate). */
export type DigestOutcome =
  | { readonly kind: 'authenticated'; readonly username: string; readonly algorithm: DigestAlgorithm }
  | {
      readonly kind: 'challenge';
      readonly code: 'SIP_AUTH_REQUIRED' | 'SIP_AUTH_STALE_NONCE' | 'SIP_AUTH_REPLAY';
      readonly status: 401;
      readonly challenges: readonly string[];
    }
  | {
      readonly kind: 'rejected';
      readonly code: 'SIP_AUTH_FAILED' | 'SIP_AUTH_LOCKED_OUT';
      readonly status: 403;
    };

export interface DigestServerOptions {
  readonly clock: Clock;
  readonly realm: string;
  readonly credentials: CredentialProvider;
  /**
   * Algorithms offered, most preferred first (default SHA-256 then MD5).
   * RFC 8760 §2.4: "the UAS ... MAY include multiple WWW-Authenticate ... header fields ... one for each
   * algorithm ... the UAS MUST list them in order of preference, with the most preferred algorithm first."
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  readonly nonceLifetimeMs?: number;
  readonly nonceSecret?: Buffer;
  readonly lockout?: Omit<AuthLockoutOptions, 'clock'>;
  readonly logger?: Logger;
}

const DUMMY_PASSWORD = '\u0000earshot-no-such-user';

/**
 * A digest authentication server (RFC 3261 §22, RFC 7616, RFC 8760) with nonce expiry (`stale=true`),
 * `nc` replay protection, identical answers for unknown users and wrong passwords, and a per-source lockout.
 */
export class DigestServer {
  readonly realm: string;
  readonly algorithms: readonly DigestAlgorithm[];
  readonly nonces: NonceManager;
  readonly lockout: AuthLockout;
  private readonly provider: CredentialProvider;
  private readonly log: Logger;

  constructor(options: DigestServerOptions) {
    this.realm = options.realm;
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    this.provider = options.credentials;
    this.nonces = new NonceManager({
      clock: options.clock,
      ...(options.nonceLifetimeMs !== undefined ? { lifetimeMs: options.nonceLifetimeMs } : {}),
      ...(options.nonceSecret !== undefined ? { secret: options.nonceSecret } : {}),
    });
    this.lockout = new AuthLockout({ clock: options.clock, ...options.lockout });
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'sip.auth' });
  }

  /** The WWW-Authenticate values of a fresh challenge, one per offered algorithm. */
  challenge(stale = false): string[] {
    const nonce = this.nonces.issue(this.realm);
    // RFC 3261 §22.4: "the qop parameter MUST always be sent" (RFC 2617 behaviour for UAS).
    return this.algorithms.map((alg) =>
      formatDigestParams([
        ['realm', this.realm, true],
        ['nonce', nonce, true],
        ['algorithm', alg, false],
        ['qop', 'auth', true],
        ...(stale ? ([['stale', 'true', false]] as const) : []),
      ]),
    );
  }

  async authenticate(request: DigestRequest): Promise<DigestOutcome> {
    const { source } = request;
    if (this.lockout.isLocked(source)) return this.rejected('SIP_AUTH_LOCKED_OUT', source, undefined);

    // RFC 3261 §22.4: "The realm ... is used to identify which credentials to use" -- ours only.
    let fields: ReadonlyMap<string, string> | undefined;
    for (const value of request.credentials) {
      const parsed = parseDigestParams(value);
      if (parsed && parsed.scheme.toLowerCase() === 'digest' && parsed.params.get('realm') === this.realm) {
        fields = parsed.params;
        break;
      }
    }
    if (!fields) return this.challenged('SIP_AUTH_REQUIRED', false);

    const username = fields.get('username');
    const nonce = fields.get('nonce');
    const uri = fields.get('uri');
    const response = fields.get('response');
    const algorithm = parseDigestAlgorithm(fields.get('algorithm'));
    if (!algorithm || !this.algorithms.includes(algorithm) || nonce === undefined) {
      return this.challenged('SIP_AUTH_REQUIRED', false);
    }
    // A nonce we did not issue (or issued before a restart with another secret): nothing to check it with.
    const nonceStatus = this.nonces.check(nonce, this.realm);
    if (nonceStatus === 'invalid') return this.challenged('SIP_AUTH_REQUIRED', false);

    // RFC 7616 §3.4: qop "MUST be used by all implementations"; we offer only "auth", so nc and cnonce are due.
    const qop = fields.get('qop');
    const ncText = fields.get('nc');
    const cnonce = fields.get('cnonce');
    const wellFormed =
      username !== undefined &&
      username.length > 0 &&
      uri !== undefined &&
      response !== undefined &&
      /^[0-9a-fA-F]+$/.test(response) &&
      qop === 'auth' &&
      ncText !== undefined &&
      /^[0-9a-fA-F]{8}$/.test(ncText) &&
      cnonce !== undefined &&
      cnonce.length > 0;
    // RFC 7616 §3.4.6: the server "MUST ... check that the request-uri ... is the same as the request-target".
    if (!wellFormed || (uri !== request.requestUri && request.uriMatches?.(uri) !== true)) {
      return this.rejected('SIP_AUTH_FAILED', source, username, 'malformed-credentials');
    }

    // Unknown users go through the same computation against a dummy password: same answer, similar time.
    const creds = await this.lookup(username, algorithm);
    const ha1 =
      (creds && ha1For(creds, algorithm, username, this.realm)) ??
      computeHa1(baseAlgorithm(algorithm), username, this.realm, DUMMY_PASSWORD);
    const expected = computeDigestResponse({
      algorithm,
      ha1,
      nonce,
      method: request.method,
      uri,
      qop,
      nc: ncText,
      cnonce,
    });
    const given = Buffer.from(response.toLowerCase(), 'latin1');
    const match = given.length === expected.length && timingSafeEqual(given, Buffer.from(expected, 'latin1'));
    if (!creds || !match) {
      return this.rejected('SIP_AUTH_FAILED', source, username, creds ? 'bad-response' : 'unknown-user');
    }

    // RFC 7616 §3.3: "stale: ... The server SHOULD only set stale to true if it receives a request for which
    // the nonce is invalid and the response is valid for that nonce".
    if (nonceStatus === 'stale') return this.challenged('SIP_AUTH_STALE_NONCE', true);

    if (!this.nonces.acceptCount(nonce, Number.parseInt(ncText, 16))) {
      this.lockout.recordFailure(source);
      this.log.warn({ source, username, reason: 'nc-replay' }, 'digest replay refused');
      return this.challenged('SIP_AUTH_REPLAY', false);
    }
    this.lockout.recordSuccess(source);
    return { kind: 'authenticated', username, algorithm };
  }

  dump(): { realm: string; algorithms: readonly DigestAlgorithm[]; nonces: object; lockout: object } {
    return {
      realm: this.realm,
      algorithms: this.algorithms,
      nonces: this.nonces.dump(),
      lockout: this.lockout.dump(),
    };
  }

  private async lookup(username: string, algorithm: DigestAlgorithm): Promise<DigestCredentials | undefined> {
    try {
      return await this.provider.lookup(username, this.realm);
    } catch (err) {
      this.log.error({ err, username, algorithm }, 'credential lookup failed');
      return undefined;
    }
  }

  private challenged(code: 'SIP_AUTH_REQUIRED' | 'SIP_AUTH_STALE_NONCE' | 'SIP_AUTH_REPLAY', stale: boolean) {
    return { kind: 'challenge', code, status: 401, challenges: this.challenge(stale) } as const;
  }

  private rejected(
    code: 'SIP_AUTH_FAILED' | 'SIP_AUTH_LOCKED_OUT',
    source: string,
    username: string | undefined,
    reason?: string,
  ): DigestOutcome {
    let finalCode = code;
    if (code === 'SIP_AUTH_FAILED' && this.lockout.recordFailure(source)) {
      finalCode = 'SIP_AUTH_LOCKED_OUT';
      this.log.warn({ source }, 'source locked out after repeated authentication failures');
    }
    this.log.info({ source, username, code: finalCode, reason }, 'digest authentication refused');
    return { kind: 'rejected', code: finalCode, status: 403 };
  }
}

function ha1For(
  creds: DigestCredentials,
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
): string | undefined {
  const base = baseAlgorithm(algorithm);
  if ('password' in creds) return computeHa1(base, username, realm, creds.password);
  return creds.ha1[base];
}
