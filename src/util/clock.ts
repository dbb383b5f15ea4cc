/**
 * Time is injected (CONVENTIONS.md habit 4). Protocol and domain code take a `Clock`;
 * tests use `FakeClock` and never sleep.
 */
export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Arms a one-shot timer; returns a handle for `clearTimer`. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
}

type NodeTimer = { ref(): unknown; unref(): unknown };

/** The real clock, backed by `Date.now` and `setTimeout`. */
export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();

  now(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    this.timers.set(id, t);
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }

  /** Number of armed timers (for `dump()` and leak checks). */
  get pending(): number {
    return this.timers.size;
  }

  /** Lets the process exit while timers are armed (used by long-lived protocol timers). */
  unrefAll(): void {
    for (const t of this.timers.values()) (t as unknown as NodeTimer).unref();
  }
}

interface FakeTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/** A deterministic clock for tests: time moves only through `advance`/`runAll`. */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, at: this.current + Math.max(0, ms), seq: this.seq++, fn });
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Moves time forward by `ms`, firing due timers in order (timers armed while firing run too). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.nextDue(target);
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.fn();
    }
    this.current = target;
  }

  /** The delays (from now) of every armed timer, soonest first. */
  pendingDelays(): number[] {
    return this.timers.map((t) => t.at - this.current).sort((a, b) => a - b);
  }

  get pending(): number {
    return this.timers.length;
  }

  private nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
