/**
 * The media engine as call control sees it (main thread). It starts the media workers, gives
 * each its own slice of the RTP port range, places every group (conversation) on one worker, and
 * forwards leg descriptions and hearing plans to it. All audio work happens in the workers.
 *
 *     const engine = await MediaEngine.start({ host: '127.0.0.1', portRange: [20000, 29999] });
 *     const { port } = await engine.createLeg({ id: 'c1', group: 'conv1', codec: 'PCMU' });
 *     await engine.updateLeg('c1', { remote: { address, port } });
 *     await engine.setPlan('conv1', { c1: { hears: ['a1'] }, a1: { hears: ['c1'] } });
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type MediaErrorCode, mediaError } from './media-errors.js';
import type { LegDescription, LegStats, LegUpdate, MediaEngineOptions, MediaLogger } from './media-types.js';
import type { HearingPlan } from './mixer.js';
import type {
  MediaIoMode,
  RequestMessage,
  WorkerInit,
  WorkerMessage,
  WorkerRequest,
  WorkerResults,
} from './worker-protocol.js';

interface WorkerSlot {
  index: number;
  worker: Worker;
  portRange: [number, number];
  legs: number;
  alive: boolean;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

const noopLogger: MediaLogger = {
  child: () => noopLogger,
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
};

/** Splits [lo, hi] into `n` contiguous sub-ranges, each starting on an even port. */
export function splitPortRange(range: [number, number], n: number): [number, number][] {
  const [lo, hi] = range;
  const size = Math.floor((hi - lo + 1) / n / 2) * 2;
  if (size < 2)
    throw mediaError('MEDIA_BAD_LEG_OPTIONS', `port range ${lo}-${hi} too small for ${n} workers`);
  const start = lo % 2 === 0 ? lo : lo + 1;
  return Array.from({ length: n }, (_, i) => [start + i * size, start + (i + 1) * size - 1]);
}

export class MediaEngine {
  private readonly workers: WorkerSlot[] = [];
  private readonly groupWorker = new Map<string, WorkerSlot>();
  private readonly groupLegs = new Map<string, number>();
  private readonly legs = new Map<string, { group: string; worker: WorkerSlot; port: number }>();
  private seq = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly options: MediaEngineOptions,
    private readonly log: MediaLogger,
  ) {}

  /** Starts the workers and resolves once each is ready. */
  static async start(options: MediaEngineOptions): Promise<MediaEngine> {
    const log = (options.logger ?? noopLogger).child({ module: 'media.engine' });
    const engine = new MediaEngine(options, log);
    const n = Math.max(1, options.workers ?? availableParallelism());
    const ranges = splitPortRange(options.portRange, n);
    try {
      await Promise.all(ranges.map((r, i) => engine.spawn(i, r)));
    } catch (err) {
      await engine.close();
      throw err;
    }
    log.info({ workers: n, ranges }, 'media engine started');
    return engine;
  }

  /** The requested I/O path: the option, else `EARSHOT_MEDIA_IO`, else undefined (the worker decides). */
  private ioMode(): MediaIoMode | undefined {
    const v = this.options.io ?? process.env.EARSHOT_MEDIA_IO;
    if (v === undefined || v === '') return undefined;
    if (v === 'native' || v === 'dgram') return v;
    throw mediaError('MEDIA_BAD_LEG_OPTIONS', `EARSHOT_MEDIA_IO must be native or dgram, not ${v}`);
  }

  private spawn(index: number, portRange: [number, number]): Promise<void> {
    const url = new URL('./media-worker.ts', import.meta.url).href;
    // The worker entry is TypeScript: register the tsx loader inside the worker, then import it.
    // (An `--import tsx` in the worker's execArgv is not honoured by Node 20 under every runner.)
    const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(
      /\.cjs$/,
      '.mjs',
    );
    const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    const worker = new Worker(boot, {
      eval: true,
      workerData: { index, host: this.options.host, portRange, io: this.ioMode() } satisfies WorkerInit,
    });
    const slot: WorkerSlot = { index, worker, portRange, legs: 0, alive: true, pending: new Map() };
    this.workers.push(slot);
    const wlog = (this.options.logger ?? noopLogger).child({ module: 'media.worker', worker: index });
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'log') wlog[m.level](m.obj, m.msg);
        else if (m.type === 'reply') {
          const p = slot.pending.get(m.seq);
          if (!p) return;
          slot.pending.delete(m.seq);
          if (m.ok) p.resolve(m.result);
          else p.reject(mediaError(m.error.code as MediaErrorCode, m.error.message));
        }
      });
      const fail = (why: string) => {
        if (!slot.alive) return;
        slot.alive = false;
        if (!this.closed) this.log.error({ worker: index, why }, 'media worker failed');
        for (const p of slot.pending.values()) p.reject(mediaError('MEDIA_WORKER_FAILED', why));
        slot.pending.clear();
        reject(mediaError('MEDIA_WORKER_FAILED', why));
      };
      worker.on('error', (err) => fail(String(err)));
      worker.on('exit', (code) => fail(`exited with ${code}`));
    });
  }

  private request<K extends WorkerRequest['op']>(
    slot: WorkerSlot,
    req: Extract<WorkerRequest, { op: K }>,
  ): Promise<WorkerResults[K]> {
    if (!slot.alive) return Promise.reject(mediaError('MEDIA_WORKER_FAILED', `worker ${slot.index} is gone`));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ type: 'request', seq, req } satisfies RequestMessage);
    });
  }

  private check(): void {
    if (this.closed) throw mediaError('MEDIA_ENGINE_CLOSED');
  }

  private legSlot(id: string) {
    const leg = this.legs.get(id);
    if (!leg) throw mediaError('MEDIA_LEG_NOT_FOUND', `no leg ${id}`);
    return leg;
  }

  /** The worker a group lives on: the one already holding it, else the least loaded live one. */
  private workerFor(group: string): WorkerSlot {
    const existing = this.groupWorker.get(group);
    if (existing) return existing;
    const live = this.workers.filter((w) => w.alive);
    if (live.length === 0) throw mediaError('MEDIA_WORKER_FAILED', 'no live media worker');
    return live.reduce((a, b) => (b.legs < a.legs ? b : a));
  }

  /** Allocates the leg's RTP port (put it in the SDP) on its group's worker. */
  async createLeg(desc: LegDescription): Promise<{ port: number }> {
    this.check();
    if (this.legs.has(desc.id)) throw mediaError('MEDIA_LEG_EXISTS', `leg ${desc.id} exists`);
    const slot = this.workerFor(desc.group);
    this.groupWorker.set(desc.group, slot);
    this.groupLegs.set(desc.group, (this.groupLegs.get(desc.group) ?? 0) + 1);
    slot.legs++;
    // Reserve the id now so a concurrent duplicate is refused.
    this.legs.set(desc.id, { group: desc.group, worker: slot, port: 0 });
    try {
      const { port } = await this.request(slot, { op: 'createLeg', desc });
      this.legs.get(desc.id)!.port = port;
      return { port };
    } catch (err) {
      this.forget(desc.id);
      throw err;
    }
  }

  private forget(id: string): void {
    const leg = this.legs.get(id);
    if (!leg) return;
    this.legs.delete(id);
    leg.worker.legs--;
    const left = (this.groupLegs.get(leg.group) ?? 1) - 1;
    if (left <= 0) {
      this.groupLegs.delete(leg.group);
      this.groupWorker.delete(leg.group);
    } else this.groupLegs.set(leg.group, left);
  }

  /** After an answer or re-INVITE: new remote, direction or codec; latching restarts. */
  async updateLeg(id: string, update: LegUpdate): Promise<void> {
    this.check();
    await this.request(this.legSlot(id).worker, { op: 'updateLeg', id, update });
  }

  /**
   * Applies a group's hearing plan (verbatim from the domain's hearing rule) from the next 20 ms
   * frame. A group without legs yet is placed on a worker now, so its legs join it.
   */
  async setPlan(group: string, plan: HearingPlan): Promise<void> {
    this.check();
    const slot = this.groupWorker.get(group);
    if (!slot) return; // no legs: nothing to apply; the plan is re-sent with the legs by call control
    await this.request(slot, { op: 'setPlan', group, plan });
  }

  /** Closes a leg and frees its port. Closing an unknown or closed leg is a no-op. */
  async closeLeg(id: string): Promise<void> {
    if (this.closed) return;
    const leg = this.legs.get(id);
    if (!leg) return;
    this.forget(id);
    await this.request(leg.worker, { op: 'closeLeg', id });
  }

  async stats(id: string): Promise<LegStats> {
    this.check();
    return this.request(this.legSlot(id).worker, { op: 'stats', id });
  }

  /** Statistics of every leg on every worker. */
  async allStats(): Promise<LegStats[]> {
    this.check();
    const per = await Promise.all(
      this.workers.filter((w) => w.alive).map((w) => this.request(w, { op: 'allStats' })),
    );
    return per.flat();
  }

  async dump(): Promise<Record<string, unknown>> {
    const workers = await Promise.all(
      this.workers.map((w) =>
        w.alive ? this.request(w, { op: 'dump' }) : Promise.resolve({ index: w.index, alive: false }),
      ),
    );
    return {
      closed: this.closed,
      host: this.options.host,
      groups: Object.fromEntries([...this.groupWorker].map(([g, w]) => [g, w.index])),
      workers,
    };
  }

  /** Worker index of a leg (for tests and ops). */
  workerOf(id: string): number | undefined {
    return this.legs.get(id)?.worker.index;
  }

  /** Closes every leg and stops the workers. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.alive) {
          const exited = new Promise<void>((resolve) => w.worker.once('exit', () => resolve()));
          await this.request(w, { op: 'close' }).catch(() => undefined);
          const timer = setTimeout(() => void w.worker.terminate(), 2000);
          await exited;
          clearTimeout(timer);
        }
        w.alive = false;
      }),
    );
    this.legs.clear();
    this.groupWorker.clear();
    this.groupLegs.clear();
    this.log.info({}, 'media engine closed');
  }
}
