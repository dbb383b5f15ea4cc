import { describe, expect, it } from 'vitest';
import { SipTimers } from './sip-timers.js';

describe('SIP timer values (RFC 3261 Table 4)', () => {
  it('derives every timer from T1, T2 and T4', () => {
    const t = new SipTimers();
    expect([t.T1, t.T2, t.T4]).toEqual([500, 4000, 5000]);
    expect([t.A, t.B, t.F, t.H, t.L, t.M]).toEqual([500, 32000, 32000, 32000, 32000, 32000]);
    expect([t.D(false), t.D(true)]).toEqual([32000, 0]);
    expect([t.I(false), t.I(true), t.J(false), t.J(true), t.K(false), t.K(true)]).toEqual([
      5000, 0, 32000, 0, 5000, 0,
    ]);
    expect([t.backoff(500), t.backoff(2000), t.backoff(4000)]).toEqual([1000, 4000, 4000]);
  });

  it('keeps Timer D at least 32 s when T1 is small, and scales B/F/H with T1', () => {
    const t = new SipTimers({ t1: 100, t2: 400, t4: 500 });
    expect(t.D(false)).toBe(32000);
    expect([t.B, t.F, t.H]).toEqual([6400, 6400, 6400]);
  });
});
