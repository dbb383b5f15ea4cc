import type pino from 'pino';
import type { ConversationCommand } from '../center/index.js';
import type { LegDescription, LegUpdate, HearingPlan as MediaPlan } from '../media/media-types.js';
import type { WebRtcGateway } from '../media/webrtc/webrtc-gateway.js';
import type { LocationService } from '../sip/registrar/location-service.js';
import type { InviteOptions, InviteResult } from '../sip/ua/outgoing-invite.js';
import type { Db } from '../store/database.js';
import type { Clock } from '../util/clock.js';
import type { AppServices } from './app/services.js';
import type { CallLeg } from './call-leg.js';

/** What call control needs from the SIP stack: send INVITEs (inbound ones are handed to `handleInvite`). */
export interface CallSipPort {
  invite(target: string, options: InviteOptions): Promise<InviteResult>;
}

/** What call control needs from the media engine (`MediaEngine` implements it). */
export interface CallMediaPort {
  createLeg(desc: LegDescription): Promise<{ port: number }>;
  updateLeg(id: string, update: LegUpdate): Promise<void>;
  setPlan(group: string, plan: MediaPlan): Promise<void>;
  closeLeg(id: string): Promise<void>;
}

/** What call control needs of the WebRTC gateway for browser phones (`WebRtcGateway` implements it). */
export type CallWebRtcPort = Pick<WebRtcGateway, 'createEndpoint' | 'get'>;

/** Settings of call control. */
export interface CallSettings {
  /** EARSHOT_SIP_HOST: our SIP domain (AORs, From). */
  readonly sipHost: string;
  /** EARSHOT_MEDIA_HOST: the address in our SDP. */
  readonly mediaHost: string;
  /** EARSHOT_RING_TIMEOUT_S in ms: agent offers and remote supervisor phones ring this long. */
  readonly ringTimeoutMs: number;
  /** While customers wait, the offer loop also re-runs this often: a safety poll (status changes kick it). Default 30000. */
  readonly requeueIntervalMs?: number;
  /** RFC 4733 telephone-event payload type we offer. Default 101. */
  readonly telephoneEventPt?: number;
}

/**
 * The shared state the call-control modules work on (one owner: `CallControl`). Modules take it
 * as a parameter instead of importing each other.
 */
export interface CallRuntime {
  readonly sip: CallSipPort;
  readonly media: CallMediaPort;
  /** The WebRTC gateway for browser (`webrtc`) phones; without it such phones are unreachable. */
  readonly webrtc?: CallWebRtcPort;
  readonly location: Pick<LocationService, 'lookup'>;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: pino.Logger;
  readonly settings: Required<CallSettings>;
  /** participantId → leg. */
  readonly legs: Map<string, CallLeg>;
  services(): AppServices;
  /** Applies a command; domain refusals because the party is already gone are swallowed (logged). */
  command(orgId: string, conversationId: string, command: ConversationCommand): Promise<boolean>;
  /** Re-sends the conversation's latest plan (after a media leg was created or renegotiated). */
  resendPlan(conversationId: string): void;
  /** Ends a leg: CANCEL or BYE as its state needs, closes its media leg, forgets it. Idempotent. */
  release(leg: CallLeg, why: string): Promise<void>;
  /** Registers a background task so `CallControl.idle()` and `close()` wait for it. */
  track<T>(task: Promise<T>): Promise<T>;
  /** Runs the offer loop soon. */
  kickRouting(): void;
  readonly closing: boolean;
}
