/**
 * The media engine's two datagram paths; socket-level media suites run once per mode. The native
 * path needs `native/udp-batch` built (`node scripts/build-native.mjs`, run by the pretest step):
 * each suite asserts its workers really run the mode it names, so a missing addon fails the
 * native half loudly instead of silently testing dgram twice.
 */
import type { MediaEngine } from '../../src/media/media-engine.js';

export const IO_MODES = ['native', 'dgram'] as const;
export type IoMode = (typeof IO_MODES)[number];

/** The I/O path of each worker of a running engine. */
export async function workerIo(engine: MediaEngine): Promise<string[]> {
  const dump = (await engine.dump()) as { workers: Array<{ io?: string }> };
  return dump.workers.map((w) => String(w.io));
}
