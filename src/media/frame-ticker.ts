/**
 * The worker's 20 ms clock. Deadlines are absolute (start + n × period) so timer lateness does not
 * accumulate; if the thread stalled, up to `maxCatchUp` missed ticks run back to back and the rest
 * are skipped (audio that late is useless).
 */
import type { Clock, TimerHandle } from '../util/clock.js';

export class FrameTicker {
  private next = 0;
  private timer: TimerHandle | undefined;
  private running = false;
  ticks = 0;
  skipped = 0;

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly onTick: () => void,
    private readonly maxCatchUp = 3,
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
    const now = this.clock.now();
    let run = 0;
    while (this.next <= now && run < this.maxCatchUp) {
      this.onTick();
      this.ticks++;
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
