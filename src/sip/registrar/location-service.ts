import type { Clock, TimerHandle } from '../../util/clock.js';
import { TypedEmitter } from '../../util/typed-emitter.js';

/** Where a binding's REGISTER came from: the flow to reach the UA through NATs and over its TCP connection. */
export interface BindingSource {
  readonly transport: string;
  readonly address: string;
  readonly port: number;
  readonly connectionId: string | undefined;
}

/** One Contact bound to an address-of-record (RFC 3261 §10.3). */
export interface Binding {
  /** The canonical AOR, e.g. `sip:alice@example.com`. */
  readonly aor: string;
  /** The Contact URI as registered. */
  readonly contact: string;
  /** Comparison key of the contact URI (RFC 3261 §19.1.4 equality). */
  readonly key: string;
  readonly callId: string;
  readonly cseq: number;
  /** Absolute expiry time (clock ms). */
  readonly expiresAt: number;
  /** The `q` preference, 0..1 (default 1). */
  readonly q: number;
  readonly source: BindingSource | undefined;
}

/** One Contact of a REGISTER, with the expiry the registrar granted (0 = remove). */
export interface ContactUpdate {
  readonly contact: string;
  readonly key: string;
  readonly expiresMs: number;
  readonly q?: number | undefined;
}

export type LocationUpdate =
  | { readonly kind: 'contacts'; readonly contacts: readonly ContactUpdate[] }
  /** `Contact: *` with `Expires: 0`: remove every binding of the AOR. */
  | { readonly kind: 'wildcard' };

export type UpdateResult =
  | { ok: true; bindings: Binding[] }
  | { ok: false; reason: 'out-of-order' | 'too-many' };

export type LocationEvents = {
  bound: [binding: Binding];
  unbound: [binding: Binding, reason: 'expired' | 'removed'];
};

export interface LocationServiceOptions {
  readonly clock: Clock;
  /** Most bindings one AOR may hold (default 10). */
  readonly maxBindingsPerAor?: number;
}

interface Slot {
  binding: Binding;
  timer: TimerHandle;
}

/**
 * The location service: bindings of contacts to addresses-of-record, each with an expiry timer armed when
 * it is bound and cleared when it is refreshed or removed. Updates are atomic (all contacts or none).
 * Events: `bound`, `unbound` (expired or removed).
 */
export class LocationService extends TypedEmitter<LocationEvents> {
  private readonly clock: Clock;
  private readonly maxPerAor: number;
  private readonly aors = new Map<string, Map<string, Slot>>();
  private closed = false;

  constructor(options: LocationServiceOptions) {
    super();
    this.clock = options.clock;
    this.maxPerAor = options.maxBindingsPerAor ?? 10;
  }

  /** The current bindings of an AOR, most preferred (highest q) first. */
  lookup(aor: string): Binding[] {
    const slots = this.aors.get(aor);
    if (!slots) return [];
    return [...slots.values()].map((s) => s.binding).sort((a, b) => b.q - a.q);
  }

  /**
   * Applies one REGISTER's contacts to an AOR, atomically.
   *
   * RFC 3261 §10.3 step 7: "If the binding does not exist, it is tentatively added. If the binding does exist,
   * the registrar checks the Call-ID value. If the Call-ID value in the existing binding differs from the
   * Call-ID value in the request, the binding MUST be removed if the expiration time is zero and updated
   * otherwise. If they are the same, the registrar compares the CSeq value. If the value is higher than that
   * of the existing binding, it MUST update or remove the binding as above. If not, the update MUST be aborted
   * and the request fails. This algorithm ensures that out-of-order requests from the same UA are ignored."
   * "The binding updates MUST be committed (that is, made visible to the proxy or redirect server) if and
   * only if all binding updates and additions succeed."
   */
  update(
    aor: string,
    update: LocationUpdate,
    callId: string,
    cseq: number,
    source: BindingSource | undefined,
  ): UpdateResult {
    const slots = this.aors.get(aor) ?? new Map<string, Slot>();
    const stale = (b: Binding) => b.callId === callId && cseq <= b.cseq;
    if (update.kind === 'wildcard') {
      // RFC 3261 §10.3 step 6: the same Call-ID/CSeq check applies to each binding removed by "*".
      for (const s of slots.values()) if (stale(s.binding)) return { ok: false, reason: 'out-of-order' };
      for (const s of [...slots.values()]) this.remove(s, 'removed');
      return { ok: true, bindings: [] };
    }
    let count = slots.size;
    for (const c of update.contacts) {
      const existing = slots.get(c.key);
      if (existing && stale(existing.binding)) return { ok: false, reason: 'out-of-order' };
      if (!existing && c.expiresMs > 0) count++;
      if (existing && c.expiresMs === 0) count--;
    }
    if (count > this.maxPerAor) return { ok: false, reason: 'too-many' };
    const now = this.clock.now();
    for (const c of update.contacts) {
      const existing = slots.get(c.key);
      if (c.expiresMs === 0) {
        if (existing) this.remove(existing, 'removed');
        continue;
      }
      if (existing) this.clock.clearTimer(existing.timer);
      const binding: Binding = {
        aor,
        contact: c.contact,
        key: c.key,
        callId,
        cseq,
        expiresAt: now + c.expiresMs,
        q: c.q ?? 1,
        source,
      };
      const slot: Slot = {
        binding,
        timer: this.clock.setTimer(c.expiresMs, () => this.remove(slot, 'expired')),
      };
      slots.set(c.key, slot);
      if (!this.aors.has(aor)) this.aors.set(aor, slots);
      this.emit('bound', binding);
    }
    return { ok: true, bindings: this.lookup(aor) };
  }

  /** Number of AORs with at least one binding. */
  get size(): number {
    return this.aors.size;
  }

  dump(): {
    aors: Record<
      string,
      Array<{ contact: string; expiresInMs: number; q: number; callId: string; cseq: number }>
    >;
  } {
    const now = this.clock.now();
    const aors: ReturnType<LocationService['dump']>['aors'] = {};
    for (const [aor] of this.aors) {
      aors[aor] = this.lookup(aor).map((b) => ({
        contact: b.contact,
        expiresInMs: b.expiresAt - now,
        q: b.q,
        callId: b.callId,
        cseq: b.cseq,
      }));
    }
    return { aors };
  }

  /** Clears every timer and binding (no events). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const slots of this.aors.values()) for (const s of slots.values()) this.clock.clearTimer(s.timer);
    this.aors.clear();
    this.removeAllListeners();
  }

  private remove(slot: Slot, reason: 'expired' | 'removed'): void {
    const { aor, key } = slot.binding;
    const slots = this.aors.get(aor);
    if (slots?.get(key) !== slot) return;
    this.clock.clearTimer(slot.timer);
    slots.delete(key);
    if (slots.size === 0) this.aors.delete(aor);
    this.emit('unbound', slot.binding, reason);
  }
}
