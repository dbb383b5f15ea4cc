/**
 * Table types of the store (Kysely `Database`). Rows never leave `src/store/`: repositories map
 * them to domain types. Times are ISO-8601 UTC strings (they sort and compare as text on both
 * dialects); booleans are 0/1 integers (SQLite has no boolean).
 */
import type { Generated } from 'kysely';

export interface OrgsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  org_id: string;
  username: string;
  name: string;
  presence: string;
  routing_status: string;
  routing_status_since: string;
  created_at: string;
}

/** Login credentials: only scrypt hashes (`scrypt$N$r$p$salt$hash`), never a password. */
export interface CredentialsTable {
  user_id: string;
  hash: string;
  updated_at: string;
}

export interface RolesTable {
  user_id: string;
  role: string;
}

/** A user's selected phone. SIP digest needs HA1 (RFC 2617/8760), stored per algorithm, never the password. */
export interface PhonesTable {
  id: string;
  org_id: string;
  user_id: string;
  kind: string;
  sip_user: string | null;
  realm: string | null;
  ha1_md5: string | null;
  ha1_sha256: string | null;
  number: string | null;
}

export interface TrunksTable {
  id: string;
  org_id: string;
  name: string;
  inbound_allow: string;
  outbound_uri: string | null;
  /** Digest user for the trunk's challenges (20261129 migration). */
  outbound_username: string | null;
  /** Digest password, as given: a client needs the secret (docs/operations.md: the DB is a secret). */
  outbound_password: string | null;
  /** The From user of INVITEs to the trunk. */
  caller_id: string | null;
}

export interface QueuesTable {
  id: string;
  org_id: string;
  name: string;
  number: string;
}

export interface QueueMembersTable {
  queue_id: string;
  user_id: string;
  joined_at: string;
}

export interface SipRegistrationsTable {
  aor: string;
  contact: string;
  org_id: string;
  user_id: string;
  call_id: string;
  cseq: number;
  expires_at: string;
  source: string;
}

export interface ConversationsTable {
  id: string;
  org_id: string;
  state: string;
  queue_id: string | null;
  start_time: string;
  end_time: string | null;
}

export interface ParticipantsTable {
  id: string;
  conversation_id: string;
  org_id: string;
  seq: number;
  purpose: string;
  user_id: string | null;
  name: string;
  address: string | null;
  state: string;
  held: number;
  muted: number;
  monitored_participant_id: string | null;
  coached_participant_id: string | null;
  connected_time: string | null;
  end_time: string | null;
}

export interface TimelineEventsTable {
  id: Generated<number>;
  conversation_id: string;
  org_id: string;
  type: string;
  at: string;
  user_id: string | null;
  participant_id: string | null;
  target_participant_id: string | null;
  reason: string | null;
}

export interface AuditRecordsTable {
  id: Generated<number>;
  org_id: string;
  at: string;
  actor_user_id: string;
  action: string;
  outcome: string;
  code: string | null;
  conversation_id: string | null;
  target_participant_id: string | null;
  participant_id: string | null;
  source_address: string | null;
  reason: string | null;
}

/** Access tokens are stored as SHA-256 hashes of the random bearer value. */
export interface AccessTokensTable {
  token_hash: string;
  user_id: string;
  org_id: string;
  created_at: string;
  expires_at: string;
}

export interface Database {
  orgs: OrgsTable;
  users: UsersTable;
  credentials: CredentialsTable;
  roles: RolesTable;
  phones: PhonesTable;
  trunks: TrunksTable;
  queues: QueuesTable;
  queue_members: QueueMembersTable;
  sip_registrations: SipRegistrationsTable;
  conversations: ConversationsTable;
  participants: ParticipantsTable;
  timeline_events: TimelineEventsTable;
  audit_records: AuditRecordsTable;
  access_tokens: AccessTokensTable;
}
