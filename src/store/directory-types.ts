/**
 * Domain types of the directory (orgs, users, phones, queues, trunks) as repositories return
 * them. DEVIATION: these belong to `src/center/` once it exports them; until then the store
 * defines them here, and `src/center` types will be aliased in.
 */
export const PRESENCES = [
  'AVAILABLE',
  'AWAY',
  'BUSY',
  'BREAK',
  'MEAL',
  'MEETING',
  'TRAINING',
  'OFFLINE',
] as const;
export type Presence = (typeof PRESENCES)[number];

export const ROUTING_STATUSES = ['OFF_QUEUE', 'IDLE', 'INTERACTING', 'NOT_RESPONDING'] as const;
export type RoutingStatus = (typeof ROUTING_STATUSES)[number];

export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PHONE_KINDS = ['webrtc', 'sip', 'remote'] as const;
export type PhoneKind = (typeof PHONE_KINDS)[number];

export interface Org {
  readonly id: string;
  readonly name: string;
}

export interface User {
  readonly id: string;
  readonly orgId: string;
  readonly username: string;
  readonly name: string;
  readonly presence: Presence;
  readonly routingStatus: RoutingStatus;
  readonly roles: readonly Role[];
}

export interface Phone {
  readonly id: string;
  readonly orgId: string;
  readonly userId: string;
  readonly kind: PhoneKind;
  /** `sip` phones: the user part of the AOR they register. */
  readonly sipUser?: string;
  /** `remote` phones: the number dialled through the trunk. */
  readonly number?: string;
}

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
