/**
 * Domain types of the directory as repositories return them: the domain's own (`src/center/`)
 * where it defines them, plus the store-only records (credentials, registrations, tokens, audit).
 */
import type { Organization, PhoneKind } from '../center/org-types.js';

export type {
  Organization as Org,
  Phone,
  PhoneKind,
  Presence,
  Role,
  RoutingStatus,
  User,
} from '../center/org-types.js';
export { PRESENCES, ROLES, ROUTING_STATUSES } from '../center/org-types.js';
export const PHONE_KINDS: readonly PhoneKind[] = ['webrtc', 'sip', 'remote'];
export type OrgRecord = Organization;

/** What a registrar needs to challenge a `sip` phone: HA1 per algorithm (RFC 8760), never the password. */
export interface SipCredentials {
  readonly orgId: string;
  readonly userId: string;
  readonly sipUser: string;
  readonly realm: string;
  readonly ha1Md5: string;
  readonly ha1Sha256: string;
}

export interface Queue {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly number: string;
}

export interface QueueMember {
  readonly userId: string;
  readonly joinedAt: string;
}

export interface Trunk {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly inboundAllow: readonly string[];
  readonly outboundUri?: string;
  /** Digest user answering the trunk's 401/407 (wins over the outbound URI's userinfo). */
  readonly outboundUsername?: string;
  /** Digest password; never in API responses, logs or on the wire. */
  readonly outboundPassword?: string;
  /** The From user of INVITEs to the trunk (default `earshot`). */
  readonly callerId?: string;
}

export interface SipRegistration {
  readonly aor: string;
  readonly contact: string;
  readonly orgId: string;
  readonly userId: string;
  readonly callId: string;
  readonly cseq: number;
  readonly expiresAt: string;
  readonly source: string;
}

export interface AccessToken {
  readonly tokenHash: string;
  readonly userId: string;
  readonly orgId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface AuditRecord {
  readonly id: number;
  readonly orgId: string;
  readonly at: string;
  readonly actorUserId: string;
  /** e.g. `monitor.start`, `coach.start`, `supervision.switch`, `supervision.stop`. */
  readonly action: string;
  /** `started`, `refused`, `ended`. */
  readonly outcome: 'started' | 'refused' | 'ended';
  readonly code?: string;
  readonly conversationId?: string;
  readonly targetParticipantId?: string;
  readonly participantId?: string;
  readonly sourceAddress?: string;
  readonly reason?: string;
}
