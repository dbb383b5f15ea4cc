import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../util/clock.js';
import { LocationService } from './location-service.js';

const c = (contact: string, expiresMs: number, q?: number) => ({ contact, key: contact, expiresMs, q });

describe('LocationService', () => {
  it('binds several contacts to one AOR, most preferred first', () => {
    const loc = new LocationService({ clock: new FakeClock() });
    const r = loc.update(
      'sip:alice@x',
      { kind: 'contacts', contacts: [c('sip:a@1', 60_000, 0.5), c('sip:a@2', 60_000)] },
      'cid',
      1,
      undefined,
    );
    expect(r.ok).toBe(true);
    expect(loc.lookup('sip:alice@x').map((b) => b.contact)).toEqual(['sip:a@2', 'sip:a@1']);
    expect(loc.lookup('sip:bob@x')).toEqual([]);
  });

  it('expires each binding on its own timer, emitting unbound(expired)', () => {
    const clock = new FakeClock();
    const loc = new LocationService({ clock });
    const gone: string[] = [];
    loc.on('unbound', (b, reason) => gone.push(`${b.contact}:${reason}`));
    loc.update(
      'sip:alice@x',
      { kind: 'contacts', contacts: [c('sip:a@1', 10_000), c('sip:a@2', 20_000)] },
      'cid',
      1,
      undefined,
    );
    clock.advance(9_999);
    expect(loc.lookup('sip:alice@x')).toHaveLength(2);
    clock.advance(1);
    expect(loc.lookup('sip:alice@x').map((b) => b.contact)).toEqual(['sip:a@2']);
    clock.advance(10_000);
    expect(loc.lookup('sip:alice@x')).toEqual([]);
    expect(gone).toEqual(['sip:a@1:expired', 'sip:a@2:expired']);
    expect(clock.pending).toBe(0);
    expect(loc.size).toBe(0);
  });

  it('a refresh re-arms the expiry (the old timer is cleared)', () => {
    const clock = new FakeClock();
    const loc = new LocationService({ clock });
    loc.update('aor', { kind: 'contacts', contacts: [c('sip:a@1', 10_000)] }, 'cid', 1, undefined);
    clock.advance(8_000);
    loc.update('aor', { kind: 'contacts', contacts: [c('sip:a@1', 10_000)] }, 'cid', 2, undefined);
    expect(clock.pending).toBe(1);
    clock.advance(8_000);
    expect(loc.lookup('aor')).toHaveLength(1);
    clock.advance(2_000);
    expect(loc.lookup('aor')).toHaveLength(0);
  });

  it('refuses an out-of-order update (same Call-ID, CSeq not higher) atomically', () => {
    const loc = new LocationService({ clock: new FakeClock() });
    loc.update('aor', { kind: 'contacts', contacts: [c('sip:a@1', 60_000)] }, 'cid', 5, undefined);
    const r = loc.update(
      'aor',
      { kind: 'contacts', contacts: [c('sip:a@2', 60_000), c('sip:a@1', 0)] },
      'cid',
      5,
      undefined,
    );
    expect(r).toEqual({ ok: false, reason: 'out-of-order' });
    expect(loc.lookup('aor').map((b) => b.contact)).toEqual(['sip:a@1']);
    // Another Call-ID (e.g. the UA rebooted) may update whatever its CSeq.
    expect(
      loc.update('aor', { kind: 'contacts', contacts: [c('sip:a@1', 0)] }, 'other', 1, undefined).ok,
    ).toBe(true);
    expect(loc.lookup('aor')).toEqual([]);
  });

  it('wildcard removes every binding, unless one is newer from the same Call-ID', () => {
    const loc = new LocationService({ clock: new FakeClock() });
    const removed: string[] = [];
    loc.on('unbound', (b, reason) => removed.push(`${b.contact}:${reason}`));
    loc.update(
      'aor',
      { kind: 'contacts', contacts: [c('sip:a@1', 60_000), c('sip:a@2', 60_000)] },
      'cid',
      3,
      undefined,
    );
    expect(loc.update('aor', { kind: 'wildcard' }, 'cid', 3, undefined).ok).toBe(false);
    expect(loc.lookup('aor')).toHaveLength(2);
    expect(loc.update('aor', { kind: 'wildcard' }, 'cid', 4, undefined).ok).toBe(true);
    expect(loc.lookup('aor')).toEqual([]);
    expect(removed).toEqual(['sip:a@1:removed', 'sip:a@2:removed']);
  });

  it('caps the bindings per AOR', () => {
    const loc = new LocationService({ clock: new FakeClock(), maxBindingsPerAor: 2 });
    const r = loc.update(
      'aor',
      { kind: 'contacts', contacts: [c('sip:a@1', 1), c('sip:a@2', 1), c('sip:a@3', 1)] },
      'cid',
      1,
      undefined,
    );
    expect(r).toEqual({ ok: false, reason: 'too-many' });
    expect(loc.lookup('aor')).toEqual([]);
  });

  it('close() clears every timer and is idempotent', () => {
    const clock = new FakeClock();
    const loc = new LocationService({ clock });
    loc.update('aor', { kind: 'contacts', contacts: [c('sip:a@1', 60_000)] }, 'cid', 1, undefined);
    loc.close();
    loc.close();
    expect(clock.pending).toBe(0);
    expect(loc.dump()).toEqual({ aors: {} });
  });
});
