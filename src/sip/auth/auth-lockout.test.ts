import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../util/clock.js';
import { AuthLockout } from './auth-lockout.js';

describe('AuthLockout', () => {
  const make = () => {
    const clock = new FakeClock();
    return {
      clock,
      lockout: new AuthLockout({ clock, maxFailures: 3, windowMs: 10_000, lockoutMs: 60_000 }),
    };
  };

  it('locks a source out at the Nth failure within the window, and only that source', () => {
    const { lockout } = make();
    expect(lockout.recordFailure('10.0.0.1')).toBe(false);
    expect(lockout.recordFailure('10.0.0.1')).toBe(false);
    expect(lockout.isLocked('10.0.0.1')).toBe(false);
    expect(lockout.recordFailure('10.0.0.1')).toBe(true);
    expect(lockout.isLocked('10.0.0.1')).toBe(true);
    expect(lockout.isLocked('10.0.0.2')).toBe(false);
    expect(lockout.dump().locked).toEqual(['10.0.0.1']);
  });

  it('lifts the lockout when it expires', () => {
    const { clock, lockout } = make();
    for (let i = 0; i < 3; i++) lockout.recordFailure('a');
    clock.advance(59_999);
    expect(lockout.isLocked('a')).toBe(true);
    clock.advance(1);
    expect(lockout.isLocked('a')).toBe(false);
    expect(lockout.recordFailure('a')).toBe(false);
  });

  it('a success does not lift an active lockout', () => {
    const { lockout } = make();
    for (let i = 0; i < 3; i++) lockout.recordFailure('a');
    lockout.recordSuccess('a');
    expect(lockout.isLocked('a')).toBe(true);
  });

  it('failures outside the window do not add up; a success resets the count', () => {
    const { clock, lockout } = make();
    lockout.recordFailure('a');
    lockout.recordFailure('a');
    clock.advance(10_000);
    expect(lockout.recordFailure('a')).toBe(false);
    lockout.recordFailure('a');
    lockout.recordSuccess('a');
    expect(lockout.recordFailure('a')).toBe(false);
    expect(lockout.recordFailure('a')).toBe(false);
    expect(lockout.recordFailure('a')).toBe(true);
  });

  it('tracks at most maxTracked sources', () => {
    const clock = new FakeClock();
    const lockout = new AuthLockout({ clock, maxTracked: 100 });
    for (let i = 0; i < 1000; i++) lockout.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(lockout.dump().tracked).toBe(100);
  });
});
