import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoError } from './demo-errors.js';

/** 8 kHz G.711: 8 bytes per millisecond. */
const BYTES_PER_MS = 8;
/** The pause between one speaker's phrase and the other's reply. */
const TURN_GAP_MS = 700;

/** The recorded phrases (raw 8 kHz µ-law, made by scripts/make-voices.sh). */
export interface VoiceLibrary {
  readonly customer: readonly Uint8Array[];
  readonly agent: readonly Uint8Array[];
}

/** One phrase followed by silence. */
export interface Turn {
  readonly voice: Uint8Array;
  readonly pauseAfterMs: number;
}

/** What one party says, looped: silence first, then its turns in order, then again from the first turn. */
export interface VoiceScript {
  readonly leadInMs: number;
  readonly turns: readonly Turn[];
}

/** `assets/voices` of this checkout. */
export const DEFAULT_VOICES_DIR = join(import.meta.dirname, '..', '..', 'assets', 'voices');

/** Loads `customer-N.ulaw` and `agent-N.ulaw`, in N order. */
export function loadVoices(dir: string = DEFAULT_VOICES_DIR): VoiceLibrary {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw demoError('DEMO_VOICES_MISSING', `no voices directory ${dir}`);
  }
  const load = (who: string) =>
    names
      .map((n) => ({ n, m: new RegExp(`^${who}-(\\d+)\\.ulaw$`).exec(n) }))
      .filter((x) => x.m)
      .sort((a, b) => Number(a.m?.[1]) - Number(b.m?.[1]))
      .map((x) => new Uint8Array(readFileSync(join(dir, x.n))))
      .filter((b) => b.length > 0);
  const customer = load('customer');
  const agent = load('agent');
  if (customer.length === 0 || agent.length === 0)
    throw demoError('DEMO_VOICES_MISSING', `need customer-N.ulaw and agent-N.ulaw in ${dir}`);
  return { customer, agent };
}

export function durationMs(voice: Uint8Array): number {
  return Math.round(voice.length / BYTES_PER_MS);
}

const at = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

/**
 * The agent speaks first (the greeting) and, after each phrase, stays silent about as long as the
 * customer's reply takes: both loops line up into turns when both start at the answer.
 */
export function agentScript(lib: VoiceLibrary): VoiceScript {
  return {
    leadInMs: 0,
    turns: lib.agent.map((voice, i) => ({
      voice,
      pauseAfterMs: durationMs(at(lib.customer, i)) + 2 * TURN_GAP_MS,
    })),
  };
}

/** The customer waits for the greeting, then answers each agent phrase. */
export function customerScript(lib: VoiceLibrary): VoiceScript {
  const first = lib.agent[0] as Uint8Array;
  return {
    leadInMs: durationMs(first) + TURN_GAP_MS,
    turns: lib.customer.map((voice, i) => ({
      voice,
      pauseAfterMs: durationMs(at(lib.agent, i + 1)) + 2 * TURN_GAP_MS,
    })),
  };
}
