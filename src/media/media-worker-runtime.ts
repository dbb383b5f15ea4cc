/**
 * Everything one media worker does, independent of how it is hosted: it owns its legs' sockets and
 * its port sub-range, runs the 20 ms mixer clock, and answers the engine's requests. The thread
 * entry (`media-worker.ts`) only wires `parentPort` to `handle()`.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { FrameTicker } from './frame-ticker.js';
import { bindDgram } from './leg-socket.js';
import { mediaError } from './media-errors.js';
import type { LegDescription, LegStats } from './media-types.js';
import { Mixer } from './mixer.js';
import { NativeIo, type NativeIoOptions } from './native-io.js';
import { PortAllocator } from './port-allocator.js';
import { type LegHost, RtpLeg } from './rtp-leg.js';
import { RtpView } from './rtp-packet.js';
import { loadUdpBatch, type UdpBatchAddon } from './udp-batch-addon.js';
import type { MediaIoMode, WorkerInit, WorkerMessage, WorkerRequest } from './worker-protocol.js';

const RTCP_INTERVAL_MS = 5000;
/** A stalled worker replays up to 200 ms of missed ticks; beyond that it skips. */
const MAX_CATCH_UP_TICKS = 10;

export type WorkerLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  obj?: Record<string, unknown>,
) => void;

/**
 * Picks the worker's datagram path: `native` when requested or unspecified and the addon loads;
 * `dgram` when requested, or as the fallback (logged: info when unspecified, warn when native was
 * asked for).
 */
export function chooseIo(
  requested: MediaIoMode | undefined,
  log: WorkerLog,
  load: () => UdpBatchAddon | Error = loadUdpBatch,
): UdpBatchAddon | undefined {
  if (requested === 'dgram') return undefined;
  const addon = load();
  if (!(addon instanceof Error)) return addon;
  log(requested === 'native' ? 'warn' : 'info', 'native media I/O unavailable: using dgram', {
    reason: addon.message,
  });
  return undefined;
}

export class MediaWorkerRuntime implements LegHost {
  readonly view = new RtpView();
  private readonly legs = new Map<string, RtpLeg>();
  private readonly mixer = new Mixer();
  private readonly ports: PortAllocator;
  private readonly ticker: FrameTicker;
  private rtcpTimer: TimerHandle | undefined;
  private closed = false;
  private tickErrors = 0;
  /** `clock.now()` at the start of the running tick, -1 outside a tick. */
  private tickNow = -1;
  /** The native batched I/O, or undefined on the dgram path. */
  private readonly native: NativeIo | undefined;

  constructor(
    private readonly init: WorkerInit,
    private readonly clock: Clock,
    private readonly log: WorkerLog,
    /** Runs a callback after pending I/O (the thread passes `setImmediate`); see `FrameTicker`. */
    defer?: (fn: () => void) => void,
    /** The native addon to use (see `chooseIo`); undefined: dgram. */
    addon?: UdpBatchAddon,
    nativeOptions?: NativeIoOptions,
  ) {
    const native = addon
      ? new NativeIo(addon, {
          ...nativeOptions,
          onFallback: (why) => log('warn', 'media I/O fell back', { why }),
        })
      : undefined;
    this.native = native;
    if (native) {
      const d = native.dump();
      const why = [d.uringUnavailable, d.rxRingUnavailable].filter(
        (w) => w !== undefined && w !== 'disabled',
      );
      if (why.length > 0)
        log('info', 'media I/O without io_uring features', { engine: d.engine, rx: d.rx, why });
    }
    this.ports = new PortAllocator(
      init.host,
      init.portRange,
      native ? (host, port) => native.bind(host, port) : bindDgram,
    );
    this.ticker = new FrameTicker(clock, 20, () => this.tick(), MAX_CATCH_UP_TICKS, defer);
    this.ticker.start();
    this.armRtcp();
  }

  /**
   * The time; during a tick, the tick's start: on the native path every datagram of a drain is
   * read at that moment (it waited in the kernel until then), so one clock read serves them all
   * instead of one per packet.
   */
  now(): number {
    return this.tickNow >= 0 ? this.tickNow : this.clock.now();
  }

  get io(): MediaIoMode {
    return this.native ? 'native' : 'dgram';
  }

  /**
   * One frame. On the native path the tick is also the I/O: read every socket first (what arrived
   * since the last tick, in one pass), mix, then send the whole tick's output in one batch.
   */
  private tick(): void {
    const native = this.native;
    this.tickNow = this.clock.now();
    try {
      native?.drain();
      this.mixer.tick();
    } catch (err) {
      // The mixer is written not to throw; if it ever does, keep the clock running and say so once.
      if (this.tickErrors++ === 0) this.log('error', 'mixer tick failed', { err: String(err) });
    }
    this.tickNow = -1;
    native?.flush();
  }

  private armRtcp(): void {
    this.rtcpTimer = this.clock.setTimer(RTCP_INTERVAL_MS, () => {
      for (const leg of this.legs.values()) {
        try {
          leg.sendRtcpReport();
        } catch {
          // a send failure on one leg must not stop the others
        }
      }
      this.native?.flush();
      if (!this.closed) this.armRtcp();
    });
  }

  relayEvent(from: RtpLeg, packet: Buffer): void {
    const listeners = this.mixer.listenersOf(from.id);
    for (let i = 0; i < listeners.length; i++) (listeners[i] as RtpLeg).emitEvent(packet, this.view);
  }

  private leg(id: string): RtpLeg {
    const leg = this.legs.get(id);
    if (!leg) throw mediaError('MEDIA_LEG_NOT_FOUND', `no leg ${id}`);
    return leg;
  }

  async handle(req: WorkerRequest): Promise<unknown> {
    if (this.closed && req.op !== 'close') throw mediaError('MEDIA_ENGINE_CLOSED');
    switch (req.op) {
      case 'createLeg':
        return this.createLeg(req.desc);
      case 'updateLeg':
        this.leg(req.id).update(req.update);
        this.mixer.legChanged();
        return null;
      case 'setPlan':
        this.mixer.setPlan(req.group, req.plan);
        return null;
      case 'closeLeg': {
        const leg = this.legs.get(req.id);
        if (!leg) return null; // closing twice is fine
        this.legs.delete(req.id);
        this.mixer.removeLeg(req.id);
        leg.close();
        this.ports.release(leg.port);
        if (![...this.legs.values()].some((l) => l.group === leg.group)) this.mixer.clearPlan(leg.group);
        return null;
      }
      case 'stats':
        return this.leg(req.id).stats();
      case 'allStats':
        return [...this.legs.values()].map((l) => l.stats()) satisfies LegStats[];
      case 'dump':
        return this.dump();
      case 'close':
        this.close();
        return null;
    }
  }

  private async createLeg(desc: LegDescription): Promise<{ port: number }> {
    if (this.legs.has(desc.id)) throw mediaError('MEDIA_LEG_EXISTS', `leg ${desc.id} exists`);
    if (desc.codec !== 'PCMU' && desc.codec !== 'PCMA') {
      throw mediaError('MEDIA_BAD_LEG_OPTIONS', `unsupported codec ${String(desc.codec)}`);
    }
    if (desc.ptime !== undefined && desc.ptime !== 20) {
      throw mediaError('MEDIA_BAD_LEG_OPTIONS', `unsupported ptime ${String(desc.ptime)}`);
    }
    const { port, rtp, rtcp } = await this.ports.allocate();
    if (this.legs.has(desc.id) || this.closed) {
      rtp.close();
      rtcp.close();
      this.ports.release(port);
      throw mediaError(this.closed ? 'MEDIA_ENGINE_CLOSED' : 'MEDIA_LEG_EXISTS');
    }
    const leg = new RtpLeg(desc, port, rtp, rtcp, this);
    this.legs.set(desc.id, leg);
    this.mixer.addLeg(leg);
    return { port };
  }

  dump(): Record<string, unknown> {
    return {
      index: this.init.index,
      portRange: this.init.portRange,
      portsInUse: this.ports.inUse,
      ticks: this.ticker.ticks,
      skippedTicks: this.ticker.skipped,
      caughtUpTicks: this.ticker.caughtUp,
      tickErrors: this.tickErrors,
      io: this.io,
      ...(this.native ? { native: this.native.dump() } : {}),
      mixer: this.mixer.dump(),
      legs: [...this.legs.values()].map((l) => l.dump()),
    };
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker.stop();
    this.clock.clearTimer(this.rtcpTimer);
    for (const leg of this.legs.values()) leg.close();
    this.legs.clear();
    this.native?.close();
  }
}

export type { WorkerMessage };
