/**
 * The shapes of CONTRACT.md §4–§5 as the console reads them. Fields the contract leaves open
 * (queue members, admin lists) are optional and read defensively.
 */
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
export type RoutingStatus = 'OFF_QUEUE' | 'IDLE' | 'INTERACTING' | 'NOT_RESPONDING';
export type PhoneKind = 'webrtc' | 'sip' | 'remote';

export interface UserPhone {
  kind: PhoneKind;
  sipUser?: string;
  number?: string;
}

export interface Me {
  id: string;
  username?: string;
  name: string;
  presence: Presence;
  routingStatus: RoutingStatus;
  permissions: string[];
  roles?: string[];
  phone?: UserPhone | null;
}

export type ParticipantPurpose = 'customer' | 'agent' | 'acd' | 'monitor' | 'coach';
export type ParticipantState = 'alerting' | 'connected' | 'held' | 'disconnected';

export interface Participant {
  id: string;
  purpose: ParticipantPurpose;
  userId?: string;
  name: string;
  address?: string;
  state: ParticipantState;
  held?: boolean;
  muted?: boolean;
  monitoredParticipantId?: string;
  coachedParticipantId?: string;
  connectedTime?: string;
  endTime?: string;
  queueId?: string;
}

export interface Conversation {
  id: string;
  state: string;
  startTime?: string;
  participants: Participant[];
  queueId?: string;
}

export interface TimelineEntry {
  type: string;
  at: string;
  userId?: string;
  participantId?: string;
  targetParticipantId?: string;
  reason?: string;
}

export interface Queue {
  id: string;
  name: string;
  number?: string;
}

export interface QueueMember {
  id: string;
  name: string;
  presence?: string;
  routingStatus?: string;
}

/** Permission names of CONTRACT.md §2 (R1). */
export const PERM_MONITOR = 'conversation:call:monitor';
export const PERM_COACH = 'conversation:call:coach';
export const PERM_ANALYTICS = 'analytics:conversation:view';
