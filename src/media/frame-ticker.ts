/**
 * The worker's 20 ms clock. Deadlines are absolute (start + n × period) so timer lateness does not
 * accumulate; if the thread stalled, up to `maxCatchUp` missed ticks run back to back (each one
 * still pops one frame per source, so a listener's audio stays continuous: it arrives late, in a
 * burst, instead of with a hole), and only beyond that are ticks skipped (audio that late is
 * useless; the jitter buffers then drain the excess).
 *
 * `defer` (optional) runs the due ticks a moment after the timer fires: the media worker passes
 * `setImmediate`, so the datagrams that queued up on its sockets while the thread was stalled are
 * read (poll phase) before the catch-up ticks pop the jitter buffers (check phase). Without it, a
 * stalled worker woke up, ticked on buffers that did not yet hold the frames already waiting in
 * the kernel, and played an underrun.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

export class FrameTicker {
  private next = 0;
  private timer: TimerHandle | undefined;
  private running = false;
  private deferred = false;
  private readonly runDue = () => this.run();
  ticks = 0;
  skipped = 0;
  /** Ticks that ran late, behind another one (catch-up). */
  caughtUp = 0;

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly onTick: () => void,
    private readonly maxCatchUp = 3,
    private readonly defer?: (fn: () => void) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.next = this.clock.now() + this.periodMs;
    this.arm();
  }

  private arm(): void {
    this.timer = this.clock.setTimer(Math.max(0, this.next - this.clock.now()), () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    if (!this.running) return;
    if (this.defer) {
      if (this.deferred) return;
      this.deferred = true;
      this.defer(this.runDue);
    } else this.run();
  }

  private run(): void {
    this.deferred = false;
    if (!this.running) return;
    const now = this.clock.now();
    let run = 0;
    while (this.next <= now && run < this.maxCatchUp) {
      this.onTick();
      this.ticks++;
      if (run > 0) this.caughtUp++;
      this.next += this.periodMs;
      run++;
    }
    if (this.next <= now) {
      const missed = Math.floor((now - this.next) / this.periodMs) + 1;
      this.skipped += missed;
      this.next += missed * this.periodMs;
    }
    if (this.running) this.arm();
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}
