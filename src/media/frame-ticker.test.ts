import { describe, expect, it } from 'vitest';
import { type Clock, FakeClock, type TimerHandle } from '../util/clock.js';
import { FrameTicker } from './frame-ticker.js';

/** A clock whose single timer fires only when told, as late as a stalled thread would. */
class LateClock implements Clock {
  t = 0;
  armedFor = -1;
  private fn: (() => void) | undefined;
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    this.armedFor = this.t + ms;
    this.fn = fn;
    return { id: 1 };
  }
  clearTimer(): void {
    this.fn = undefined;
  }
  fireAt(t: number): void {
    this.t = t;
    const fn = this.fn;
    this.fn = undefined;
    fn?.();
  }
}

describe('FrameTicker', () => {
  it('ticks on absolute deadlines and catches up missed ticks back to back, up to its bound', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const t = new FrameTicker(clock, 20, () => at.push(clock.now()), 10);
    const t0 = clock.now();
    t.start();
    clock.advance(60);
    expect(at.map((x) => x - t0)).toEqual([20, 40, 60]);
    // A 150 ms stall: the timer fires once, late; the 7 due ticks run in a row, none skipped.
    const late = new LateClock();
    const u: number[] = [];
    const v = new FrameTicker(late, 20, () => u.push(1), 10);
    v.start();
    late.fireAt(150);
    expect(u.length).toBe(7);
    expect(v.skipped).toBe(0);
    expect(v.caughtUp).toBe(6);
    // Beyond the bound (fired 500 ms later), ticks are skipped; the next deadline stays on the grid.
    late.fireAt(650);
    expect(v.ticks).toBe(17);
    expect(v.skipped).toBe(15);
    expect(late.armedFor).toBe(660);
    t.stop();
    v.stop();
  });

  it('with `defer`, runs due ticks only when the deferred callback runs (after pending I/O)', () => {
    const clock = new FakeClock();
    const deferred: Array<() => void> = [];
    let ticks = 0;
    const t = new FrameTicker(
      clock,
      20,
      () => ticks++,
      10,
      (fn) => deferred.push(fn),
    );
    t.start();
    clock.advance(20);
    expect(ticks).toBe(0);
    expect(deferred.length).toBe(1);
    clock.advance(20); // no timer is re-armed until the deferred run
    expect(deferred.length).toBe(1);
    deferred.shift()!();
    expect(ticks).toBe(2); // both due ticks
    t.stop();
    clock.advance(100);
    for (const fn of deferred.splice(0)) fn();
    expect(ticks).toBe(2);
  });
});
