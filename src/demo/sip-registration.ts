import type { Logger } from 'pino';
import type { SipUserAgent } from '../sip/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { demoError } from './demo-errors.js';

/** How long `unregister` waits for the registrar's answer. */
const UNREGISTER_WAIT_MS = 2000;

export interface RegistrationOptions {
  /** The registrar: `{host, port}` of Earshot's SIP side. */
  readonly registrar: { readonly host: string; readonly port: number };
  readonly username: string;
  readonly password: string;
  /** Requested expiry in seconds (default 300). */
  readonly expiresS?: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Keeps one phone registered (RFC 3261 §10.2): REGISTER with digest credentials, refreshed before the
 * granted expiry, removed with `Expires: 0` on `unregister`.
 */
export class SipRegistration {
  private timer: TimerHandle | undefined;
  private stopped = false;
  registered = false;
  grantedS = 0;
  refreshes = 0;

  constructor(
    private readonly ua: SipUserAgent,
    private readonly o: RegistrationOptions,
  ) {}

  /** The address-of-record: `sip:<user>@<registrar host>` (CONTRACT.md §3). */
  get aor(): string {
    return `sip:${this.o.username}@${this.o.registrar.host}`;
  }

  /** Registers once; rejects with DEMO_REGISTRATION_FAILED. Arms the refresh on success. */
  async register(): Promise<void> {
    const expires = this.o.expiresS ?? 300;
    const res = await this.send(expires);
    if (res.status < 200 || res.status >= 300) {
      this.registered = false;
      throw demoError(
        'DEMO_REGISTRATION_FAILED',
        `${this.aor}: REGISTER answered ${res.status} ${res.reason}`,
      );
    }
    // RFC 3261 §10.2.4: "The registrar returns the expiration interval it actually granted in the
    // Contact (expires parameter) or Expires header field of the 200 response."
    const granted = grantedExpiry(res.getAll('contact'), res.get('expires')) ?? expires;
    this.registered = true;
    this.grantedS = granted;
    this.arm(granted);
  }

  private arm(grantedS: number): void {
    this.o.clock.clearTimer(this.timer);
    if (this.stopped) return;
    // Refresh well before expiry ("refreshing … before expiration", §10.2.1).
    const ms = Math.max(1000, grantedS * 1000 * 0.8);
    this.timer = this.o.clock.setTimer(ms, () => {
      this.timer = undefined;
      this.refreshes++;
      this.register().catch((err: unknown) => {
        this.o.logger.warn({ err, aor: this.aor }, 'registration refresh failed; retrying');
        if (!this.stopped) this.arm(12.5); // 10 s
      });
    });
  }

  /**
   * RFC 3261 §10.2.2: "A UA requests the immediate removal of a binding by specifying an expiration
   * interval of "0" for that contact address in a REGISTER request." Idempotent; never throws.
   */
  async unregister(): Promise<void> {
    this.stopped = true;
    this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (!this.registered) return;
    this.registered = false;
    // Bounded: a registrar that is already gone would keep a UDP transaction alive for 64*T1.
    let timer: TimerHandle | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = this.o.clock.setTimer(UNREGISTER_WAIT_MS, resolve);
    });
    await Promise.race([
      this.send(0).then(
        () => undefined,
        (err: unknown) => this.o.logger.debug({ err }, 'unregister failed'),
      ),
      gaveUp,
    ]);
    this.o.clock.clearTimer(timer);
  }

  private send(expires: number) {
    const { host, port } = this.o.registrar;
    return this.ua.request(`sip:${host}:${port}`, 'REGISTER', {
      from: this.aor,
      to: this.aor,
      headers: { expires: String(expires) },
      credentials: { username: this.o.username, password: this.o.password },
    });
  }

  dump(): Record<string, unknown> {
    return {
      aor: this.aor,
      registered: this.registered,
      grantedS: this.grantedS,
      refreshes: this.refreshes,
      refreshArmed: this.timer !== undefined,
    };
  }
}

function grantedExpiry(contacts: readonly string[], expires: string | undefined): number | undefined {
  for (const c of contacts) {
    const m = /;\s*expires\s*=\s*(\d+)/i.exec(c);
    if (m?.[1]) return Number(m[1]);
  }
  return expires !== undefined && /^\d+$/.test(expires.trim()) ? Number(expires) : undefined;
}
