/**
 * The latching state machine of an RTP leg (symmetric RTP with strict source).
 *
 *                 updateLeg(remote)                 first valid packet from remote.address
 *     ┌──────┐ ─────────────────────► ┌───────────┐ ─────────────────────────────────────► ┌─────────┐
 *     │ idle │                        │ signalled │                                         │ latched │
 *     └──────┘ ◄───────────────────── └───────────┘ ◄───────────────────────────────────── └─────────┘
 *        │      updateLeg(no remote)        ▲          updateLeg (renegotiation resets)        ▲  │
 *        │                                  └───────────────────────────────────────────────────┘  │
 *        └───────────────── first valid packet (no remote known: latch on it) ──────────────────►──┘
 *
 *     any state ── close ──► closed (final)
 *
 * Once latched, packets from any other address or port are dropped and counted until the next
 * renegotiation (the Asterisk AST-2017-005 "RTP bleed" lesson).
 */
import { mediaError } from './media-errors.js';

export enum LegState {
  Idle = 'idle',
  Signalled = 'signalled',
  Latched = 'latched',
  Closed = 'closed',
}

const ALLOWED: Readonly<Record<LegState, readonly LegState[]>> = {
  [LegState.Idle]: [LegState.Signalled, LegState.Latched, LegState.Idle, LegState.Closed],
  [LegState.Signalled]: [LegState.Latched, LegState.Signalled, LegState.Idle, LegState.Closed],
  [LegState.Latched]: [LegState.Signalled, LegState.Idle, LegState.Closed],
  [LegState.Closed]: [],
};

/** Throws MEDIA_ILLEGAL_TRANSITION unless `from → to` is in the diagram. */
export function checkLegTransition(id: string, from: LegState, to: LegState): void {
  if (!ALLOWED[from].includes(to)) {
    throw mediaError('MEDIA_ILLEGAL_TRANSITION', `leg ${id}: ${from} → ${to} is not allowed`, { from, to });
  }
}
