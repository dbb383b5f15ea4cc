import type { Clock } from '../../util/clock.js';

/**
 * The state of one source address.
 *
 * ```
 *            failure (count < maxFailures)
 *              ┌──────┐
 *              ▼      │      failure #maxFailures within windowMs
 *   (none) ──► Counting ─────────────────────────────────────────► Locked
 *     ▲           │  success, or windowMs since first failure            │
 *     └───────────┘                                                       │
 *     ▲                        lockoutMs elapsed                          │
 *     └───────────────────────────────────────────────────────────────────┘
 * ```
 * Expiry is evaluated lazily against the clock (no timer per address), so an attacker spraying
 * addresses costs one small map entry each, capped by `maxTracked`.
 */
export enum LockoutState {
  Counting = 'counting',
  Locked = 'locked',
}

export interface AuthLockoutOptions {
  readonly clock: Clock;
  /** Failed authentications from one address that trigger a lockout (default 5). */
  readonly maxFailures?: number;
  /** Window in which those failures must happen (default 60 s). */
  readonly windowMs?: number;
  /** How long the address stays locked out (default 300 s). */
  readonly lockoutMs?: number;
  /** Cap of tracked addresses; the oldest entry is forgotten first (default 100,000). */
  readonly maxTracked?: number;
}

interface Entry {
  state: LockoutState;
  failures: number;
  /** Counting: end of the window; Locked: end of the lockout. */
  until: number;
}

/** Rate-limits failed authentications per source address: a lockout with expiry. */
export class AuthLockout {
  private readonly clock: Clock;
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
  private readonly maxTracked: number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: AuthLockoutOptions) {
    this.clock = options.clock;
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.lockoutMs = options.lockoutMs ?? 300_000;
    this.maxTracked = options.maxTracked ?? 100_000;
  }

  /** True while `address` is locked out. */
  isLocked(address: string): boolean {
    return this.current(address)?.state === LockoutState.Locked;
  }

  /** Counts one failed authentication; returns true if the address is (now) locked out. */
  recordFailure(address: string): boolean {
    const now = this.clock.now();
    const entry = this.current(address);
    if (!entry) {
      this.makeRoom();
      const fresh: Entry = { state: LockoutState.Counting, failures: 0, until: now + this.windowMs };
      this.entries.set(address, fresh);
      return this.fail(fresh, now);
    }
    if (entry.state === LockoutState.Locked) return true;
    return this.fail(entry, now);
  }

  /** A successful authentication clears the address's failures (never an active lockout). */
  recordSuccess(address: string): void {
    if (this.current(address)?.state === LockoutState.Counting) this.entries.delete(address);
  }

  dump(): { tracked: number; locked: string[] } {
    const locked: string[] = [];
    for (const [address] of this.entries) if (this.isLocked(address)) locked.push(address);
    return { tracked: this.entries.size, locked };
  }

  private fail(entry: Entry, now: number): boolean {
    entry.failures++;
    if (entry.failures >= this.maxFailures) this.transition(entry, LockoutState.Locked, now);
    return entry.state === LockoutState.Locked;
  }

  /** The one place that assigns an entry's state. */
  private transition(entry: Entry, to: LockoutState, now: number): void {
    entry.state = to;
    entry.until = now + (to === LockoutState.Locked ? this.lockoutMs : this.windowMs);
    if (to === LockoutState.Counting) entry.failures = 0;
  }

  /** The entry for `address`, forgotten first if its window or lockout has elapsed. */
  private current(address: string): Entry | undefined {
    const entry = this.entries.get(address);
    if (entry && entry.until <= this.clock.now()) {
      this.entries.delete(address);
      return undefined;
    }
    return entry;
  }

  private makeRoom(): void {
    while (this.entries.size >= this.maxTracked) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) return;
      this.entries.delete(oldest);
    }
  }
}
