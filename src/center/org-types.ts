/**
 * The organization's objects (SPEC §1): organizations, users, roles, presence and routing status,
 * phones and queues. Plain data; every object belongs to exactly one organization.
 */

export interface Organization {
  readonly id: string;
  readonly name: string;
}

/** Roles grant permissions (CONTRACT.md §2); see `permissions.ts`. */
export type Role = 'agent' | 'supervisor' | 'admin';
export const ROLES: readonly Role[] = ['agent', 'supervisor', 'admin'];

/** SPEC §1: a user's presence. Only `AVAILABLE` supervisors may start a session (R3). */
export type Presence = 'AVAILABLE' | 'AWAY' | 'BUSY' | 'BREAK' | 'MEAL' | 'MEETING' | 'TRAINING' | 'OFFLINE';
export const PRESENCES: readonly Presence[] = [
  'AVAILABLE',
  'AWAY',
  'BUSY',
  'BREAK',
  'MEAL',
  'MEETING',
  'TRAINING',
  'OFFLINE',
];

/**
 * SPEC §1: `OFF_QUEUE`, or on queue: `IDLE` (ready), `INTERACTING`, `NOT_RESPONDING`.
 * Transitions live in `routing-status.ts`.
 */
export type RoutingStatus = 'OFF_QUEUE' | 'IDLE' | 'INTERACTING' | 'NOT_RESPONDING';
export const ROUTING_STATUSES: readonly RoutingStatus[] = [
  'OFF_QUEUE',
  'IDLE',
  'INTERACTING',
  'NOT_RESPONDING',
];

/** SPEC §1: `webrtc` (browser phone), `sip` (registered device), `remote` (a number via the trunk). */
export type PhoneKind = 'sip' | 'webrtc' | 'remote';

export interface Phone {
  readonly id: string;
  readonly orgId: string;
  readonly userId: string;
  readonly kind: PhoneKind;
  /** `sip` phones: the user part they register. */
  readonly sipUser?: string;
  /** `remote` phones: the number dialled through the trunk. */
  readonly number?: string;
}

/** R8: `webrtc` and `sip` phones are auto-answered; a `remote` phone rings until picked up. */
export function phoneAutoAnswers(kind: PhoneKind): boolean {
  return kind !== 'remote';
}

export interface User {
  readonly id: string;
  readonly orgId: string;
  readonly username: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly presence: Presence;
  readonly routingStatus: RoutingStatus;
  /** Epoch ms of the last change of `routingStatus` (longest-idle routing orders by it). */
  readonly routingStatusSince: number;
  /** The user's selected phone (station), if any (R2). */
  readonly selectedPhoneId?: string;
}

export interface Queue {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  /** The number customers dial (`sip:<number>@host`). */
  readonly number: string;
  /** User ids of the members. */
  readonly memberIds: readonly string[];
}
