import { createHash, randomBytes } from 'node:crypto';
import { permissionsForRoles } from '../../center/index.js';
import type { Db } from '../../store/database.js';
import { findAccessToken, insertAccessToken } from '../../store/token.repository.js';
import { findUser, findUserByUsername, getPasswordHash } from '../../store/user.repository.js';
import type { Clock } from '../../util/clock.js';
import { appError } from './app-errors.js';
import { verifyPassword } from './password-hash.js';
import type { Principal } from './principal.js';

export interface AuthServiceOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly tokenTtlS: number;
  /** Failed logins allowed per username and per address within `windowMs` (default 5 per 60 s). */
  readonly maxFailures?: number;
  readonly windowMs?: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** How long a token's principal (roles → permissions) is trusted without re-reading the store. */
export const PRINCIPAL_CACHE_MS = 5_000;

/**
 * Login → a random bearer token (32 bytes), stored as its SHA-256 hash, expiring after the TTL.
 * Failed logins are rate-limited per username and per source address (fixed window).
 */
export class AuthService {
  private readonly failures = new Map<string, { count: number; since: number }>();
  /** Principals by token hash, kept at most `PRINCIPAL_CACHE_MS` (and never past the token's expiry). */
  private readonly principals = new Map<
    string,
    { principal: Omit<Principal, 'sourceAddress'>; until: number }
  >();
  private readonly max: number;
  private readonly windowMs: number;

  constructor(private readonly o: AuthServiceOptions) {
    this.max = o.maxFailures ?? 5;
    this.windowMs = o.windowMs ?? 60_000;
  }

  async login(
    username: string,
    password: string,
    address: string,
  ): Promise<{ accessToken: string; expiresIn: number }> {
    const keys = [`u:${username}`, `a:${address}`];
    if (keys.some((k) => this.limited(k)))
      throw appError('RATE_LIMITED', 'too many failed logins; retry later');
    const user = await findUserByUsername(this.o.db, username);
    const hash = user ? await getPasswordHash(this.o.db, user.id) : undefined;
    const ok = hash !== undefined && (await verifyPassword(password, hash));
    if (!user || !ok) {
      for (const k of keys) this.fail(k);
      throw appError('UNAUTHENTICATED', 'wrong username or password');
    }
    const accessToken = randomBytes(32).toString('base64url');
    const now = this.o.clock.now();
    await insertAccessToken(this.o.db, {
      tokenHash: sha256(accessToken),
      userId: user.id,
      orgId: user.orgId,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.o.tokenTtlS * 1000).toISOString(),
    });
    return { accessToken, expiresIn: this.o.tokenTtlS };
  }

  /** The principal of a bearer token, or UNAUTHENTICATED. */
  async authenticate(token: string | undefined, sourceAddress: string): Promise<Principal> {
    if (!token || token.length > 200) throw appError('UNAUTHENTICATED', 'missing or malformed access token');
    const hash = sha256(token);
    const nowMs = this.o.clock.now();
    const cached = this.principals.get(hash);
    if (cached && cached.until > nowMs) return { ...cached.principal, sourceAddress };
    const t = await findAccessToken(this.o.db, hash, new Date(nowMs).toISOString());
    const user = t ? await findUser(this.o.db, t.orgId, t.userId) : undefined;
    if (!t || !user) throw appError('UNAUTHENTICATED', 'unknown or expired access token');
    const principal = {
      userId: user.id,
      orgId: user.orgId,
      username: user.username,
      permissions: permissionsForRoles(user.roles),
    };
    if (this.principals.size > 10_000) this.principals.clear();
    this.principals.set(hash, {
      principal,
      until: Math.min(Date.parse(t.expiresAt), nowMs + PRINCIPAL_CACHE_MS),
    });
    return { ...principal, sourceAddress };
  }

  private limited(key: string): boolean {
    const f = this.failures.get(key);
    if (!f) return false;
    if (this.o.clock.now() - f.since >= this.windowMs) {
      this.failures.delete(key);
      return false;
    }
    return f.count >= this.max;
  }

  private fail(key: string): void {
    const now = this.o.clock.now();
    const f = this.failures.get(key);
    if (!f || now - f.since >= this.windowMs) this.failures.set(key, { count: 1, since: now });
    else f.count++;
    if (this.failures.size > 100_000) this.failures.clear();
  }

  dump(): { limitedKeys: number; cachedPrincipals: number } {
    return { limitedKeys: this.failures.size, cachedPrincipals: this.principals.size };
  }
}
