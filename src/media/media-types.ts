/** Types shared by the engine (main thread), its workers and callers. */
import type { G711Codec } from './g711.js';
import type { Direction } from './sdp-audio.js';

export type { G711Codec } from './g711.js';
export type { HearingEntry, HearingPlan } from './mixer.js';
export type { Direction } from './sdp-audio.js';
export type { SystemSourceName } from './system-source.js';

export interface RemoteAddress {
  address: string;
  port: number;
}

/** What call control says about a leg when creating it. */
export interface LegDescription {
  /** Chosen by the caller; unique per engine. */
  id: string;
  /** Conversation id: all legs of a group live on one worker and may hear each other. */
  group: string;
  codec: G711Codec;
  /** Packet duration in ms; only 20 is supported. */
  ptime?: 20;
  /** RFC 4733 telephone-event payload type negotiated for this leg, if any. */
  telephoneEventPt?: number;
  /** Our direction (as in our SDP). Default sendrecv. */
  direction?: Direction;
  /** The peer's address from its SDP, when known. */
  remote?: RemoteAddress;
}

/** A renegotiation (answer, re-INVITE): every field optional; latching restarts. */
export interface LegUpdate {
  remote?: RemoteAddress | null;
  direction?: Direction;
  codec?: G711Codec;
  telephoneEventPt?: number | null;
}

export interface LegStats {
  id: string;
  state: string;
  port: number;
  /** Where the leg sends (the latched source, else the signalled remote). */
  peer: RemoteAddress | null;
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** RFC 3550 cumulative loss of the incoming stream. */
  lost: number;
  /** RFC 3550 interarrival jitter of the incoming stream, in ms. */
  jitterMs: number;
  /** Packets that arrived after their playout time. */
  late: number;
  duplicates: number;
  /** Audible frames dropped by the jitter buffer to shorten it (drift, a target that fell), plus oversize. */
  dropped: number;
  /** Quiet frames the jitter buffer removed to shorten it (inaudible; not loss). */
  droppedQuiet: number;
  /** Frames and late packets discarded while no listener heard this leg (kept at target depth; not loss). */
  discardedUnheard: number;
  concealed: number;
  /** Datagrams that were not valid RTP for this leg (short, bad version/padding/lengths, wrong size). */
  malformed: number;
  /** Valid RTP with a payload type not negotiated on this leg. */
  unexpectedPayloadType: number;
  /** Packets from a source other than the latched (or signalled) one. */
  strictSourceDrops: number;
  ssrcChanges: number;
  telephoneEvents: number;
  /** What the peer reports about our stream in RTCP, when it does. */
  remoteReport: { fractionLost: number; cumulativeLost: number; jitterMs: number } | null;
}

export interface MediaEngineOptions {
  /** Address the RTP sockets bind to and advertise. */
  host: string;
  /** Inclusive RTP port range; split evenly between the workers (even ports RTP, odd RTCP). */
  portRange: [number, number];
  /** Worker threads; default one per core. */
  workers?: number;
  /**
   * Datagram I/O of the workers: `native` (batched recvmmsg/sendmmsg addon, `native/udp-batch`)
   * or `dgram` (pure Node). Default: env `EARSHOT_MEDIA_IO`, else native when the addon loads,
   * else dgram (decided per worker at start; `dump().workers[i].io` says which).
   */
  io?: 'native' | 'dgram';
  /** A pino-compatible logger; the engine logs under `media.engine` / `media.worker`. */
  logger?: MediaLogger;
}

/** The subset of pino the engine uses. */
export interface MediaLogger {
  child(bindings: Record<string, unknown>): MediaLogger;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
