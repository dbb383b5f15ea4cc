import type { HearingPlan as DomainPlan } from '../center/index.js';
import type { HearingPlan as MediaPlan } from '../media/media-types.js';

/**
 * The domain's hearing plan → the media engine's plan. Media legs are named after participant
 * ids, so the mapping is 1:1 (src/media/README.md): each listening leg's voices and system audio.
 */
export function toMediaPlan(plan: DomainPlan): MediaPlan {
  const out: Record<string, { hears: readonly string[]; system: 'none' | 'music' | 'ringback' }> = {};
  for (const leg of plan.legs) out[leg.participantId] = { hears: leg.hears, system: leg.system };
  return out;
}
