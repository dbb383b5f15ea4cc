/** Messages between the engine (main thread) and a media worker. Structured-clone friendly. */

import type { LegDescription, LegStats, LegUpdate } from './media-types.js';
import type { HearingPlan } from './mixer.js';

/** How a worker moves datagrams: the native batched addon, or Node's `dgram` (the fallback). */
export type MediaIoMode = 'native' | 'dgram';

export interface WorkerInit {
  index: number;
  host: string;
  portRange: [number, number];
  /** Requested I/O path; absent: native when the addon loads, else dgram. */
  io?: MediaIoMode;
}

export type WorkerRequest =
  | { op: 'createLeg'; desc: LegDescription }
  | { op: 'updateLeg'; id: string; update: LegUpdate }
  | { op: 'setPlan'; group: string; plan: HearingPlan }
  | { op: 'closeLeg'; id: string }
  | { op: 'stats'; id: string }
  | { op: 'allStats' }
  | { op: 'dump' }
  | { op: 'close' };

export interface WorkerResults {
  createLeg: { port: number };
  updateLeg: null;
  setPlan: null;
  closeLeg: null;
  stats: LegStats;
  allStats: LegStats[];
  dump: Record<string, unknown>;
  close: null;
}

export interface RequestMessage {
  type: 'request';
  seq: number;
  req: WorkerRequest;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'reply'; seq: number; ok: true; result: unknown }
  | { type: 'reply'; seq: number; ok: false; error: { code: string; message: string } }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; obj: Record<string, unknown> };
