import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../util/clock.js';

/** What checking a nonce found. */
export type NonceStatus = 'valid' | 'stale' | 'invalid';

export interface NonceManagerOptions {
  readonly clock: Clock;
  /** How long a nonce is accepted after it was issued (default 300 s). */
  readonly lifetimeMs?: number;
  /** HMAC key; random per process by default (nodes sharing nonces must share it). */
  readonly secret?: Buffer;
  /** Cap of nonces whose `nc` is tracked (oldest forgotten first; default 100,000). */
  readonly maxTracked?: number;
}

const TS_BYTES = 8;
const RAND_BYTES = 8;
const MAC_BYTES = 16;
const NONCE_BYTES = TS_BYTES + RAND_BYTES + MAC_BYTES;

/**
 * Issues and checks server nonces. A nonce is self-authenticating:
 * base64url( issued-at (8 bytes, ms) | random (8) | HMAC-SHA256(secret, issued-at | random | realm)[0..16] ),
 * so checking it needs no table; only the highest `nc` seen per nonce is remembered (replay protection),
 * and only once a response for it has been verified, so bad requests cannot fill the table.
 *
 * RFC 7616 §3.3: "nonce: ... Since it might be necessary to verify that the nonce was produced by the server
 * ... the nonce might, for example, be constructed as the Base64 encoding of time-stamp H(time-stamp ":" ETag
 * ":" secret-data)."
 * RFC 7616 §3.4: "nc: ... The purpose of this parameter is to allow the server to detect request replays by
 * maintaining its own copy of this count -- if the same nc-value is seen twice, then the request is a replay."
 */
export class NonceManager {
  private readonly clock: Clock;
  readonly lifetimeMs: number;
  private readonly secret: Buffer;
  private readonly maxTracked: number;
  /** nonce -> [highest nc accepted, expires at]; Map order = insertion order = oldest first. */
  private readonly counts = new Map<string, { nc: number; expiresAt: number }>();

  constructor(options: NonceManagerOptions) {
    this.clock = options.clock;
    this.lifetimeMs = options.lifetimeMs ?? 300_000;
    this.secret = options.secret ?? randomBytes(32);
    this.maxTracked = options.maxTracked ?? 100_000;
  }

  /** A fresh nonce bound to `realm`. */
  issue(realm: string): string {
    const buf = Buffer.allocUnsafe(NONCE_BYTES);
    buf.writeBigUInt64BE(BigInt(Math.floor(this.clock.now())), 0);
    randomBytes(RAND_BYTES).copy(buf, TS_BYTES);
    this.mac(buf, realm).copy(buf, TS_BYTES + RAND_BYTES, 0, MAC_BYTES);
    return buf.toString('base64url');
  }

  /** `invalid` if not ours (or for another realm), `stale` if ours but expired, else `valid`. */
  check(nonce: string, realm: string): NonceStatus {
    if (nonce.length !== Math.ceil((NONCE_BYTES * 4) / 3)) return 'invalid';
    const buf = Buffer.from(nonce, 'base64url');
    if (buf.length !== NONCE_BYTES || buf.toString('base64url') !== nonce) return 'invalid';
    const expected = this.mac(buf, realm).subarray(0, MAC_BYTES);
    if (!timingSafeEqual(expected, buf.subarray(TS_BYTES + RAND_BYTES))) return 'invalid';
    const issuedAt = Number(buf.readBigUInt64BE(0));
    const age = this.clock.now() - issuedAt;
    if (age < 0 || age > this.lifetimeMs) return 'stale';
    return 'valid';
  }

  /**
   * Records `nc` (already parsed) for a valid nonce after its response was verified. Returns false for a
   * replay: an nc not higher than one already accepted for this nonce.
   */
  acceptCount(nonce: string, nc: number): boolean {
    const now = this.clock.now();
    const seen = this.counts.get(nonce);
    if (seen && seen.expiresAt > now) {
      if (nc <= seen.nc) return false;
      seen.nc = nc;
      return true;
    }
    if (seen) this.counts.delete(nonce);
    this.prune(now);
    this.counts.set(nonce, { nc, expiresAt: now + this.lifetimeMs });
    return true;
  }

  dump(): { lifetimeMs: number; tracked: number } {
    return { lifetimeMs: this.lifetimeMs, tracked: this.counts.size };
  }

  private prune(now: number): void {
    for (const [nonce, entry] of this.counts) {
      if (entry.expiresAt > now && this.counts.size < this.maxTracked) break;
      this.counts.delete(nonce);
    }
  }

  private mac(buf: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.secret)
      .update(buf.subarray(0, TS_BYTES + RAND_BYTES))
      .update(realm, 'utf8')
      .digest();
  }
}
