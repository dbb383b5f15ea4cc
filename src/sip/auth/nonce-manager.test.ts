import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../util/clock.js';
import { NonceManager } from './nonce-manager.js';

describe('NonceManager', () => {
  it('accepts its own nonce while fresh, calls it stale after the lifetime', () => {
    const clock = new FakeClock();
    const nonces = new NonceManager({ clock, lifetimeMs: 30_000 });
    const n = nonces.issue('earshot');
    expect(nonces.check(n, 'earshot')).toBe('valid');
    clock.advance(30_000);
    expect(nonces.check(n, 'earshot')).toBe('valid');
    clock.advance(1);
    expect(nonces.check(n, 'earshot')).toBe('stale');
  });

  it('refuses forged, altered, other-realm and other-secret nonces', () => {
    const clock = new FakeClock();
    const nonces = new NonceManager({ clock });
    const n = nonces.issue('earshot');
    expect(nonces.check(n, 'elsewhere')).toBe('invalid');
    const flipped = (n[5] === 'A' ? 'B' : 'A') as string;
    expect(nonces.check(n.slice(0, 5) + flipped + n.slice(6), 'earshot')).toBe('invalid');
    expect(nonces.check('dcd98b7102dd2f0e8b11d0f600bfb0c093', 'earshot')).toBe('invalid');
    expect(nonces.check('', 'earshot')).toBe('invalid');
    expect(new NonceManager({ clock }).check(n, 'earshot')).toBe('invalid');
  });

  it('issues a different nonce every time', () => {
    const nonces = new NonceManager({ clock: new FakeClock() });
    const seen = new Set(Array.from({ length: 100 }, () => nonces.issue('r')));
    expect(seen.size).toBe(100);
  });

  it('accepts nc only increasing per nonce (replays refused)', () => {
    const nonces = new NonceManager({ clock: new FakeClock() });
    const a = nonces.issue('r');
    const b = nonces.issue('r');
    expect(nonces.acceptCount(a, 1)).toBe(true);
    expect(nonces.acceptCount(a, 1)).toBe(false);
    expect(nonces.acceptCount(a, 3)).toBe(true);
    expect(nonces.acceptCount(a, 2)).toBe(false);
    expect(nonces.acceptCount(b, 1)).toBe(true);
    expect(nonces.dump().tracked).toBe(2);
  });

  it('forgets counts of expired nonces and stays under its cap', () => {
    const clock = new FakeClock();
    const nonces = new NonceManager({ clock, lifetimeMs: 1000, maxTracked: 10 });
    for (let i = 0; i < 50; i++) nonces.acceptCount(`n${i}`, 1);
    expect(nonces.dump().tracked).toBeLessThanOrEqual(10);
    clock.advance(1001);
    nonces.acceptCount('fresh', 1);
    expect(nonces.dump().tracked).toBe(1);
  });
});
