import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';
import type { Presence, Role, RoutingStatus, User } from './directory-types.js';

interface UserRow {
  id: string;
  org_id: string;
  username: string;
  name: string;
  presence: string;
  routing_status: string;
  routing_status_since: string;
  phone_id: string | null;
}

const COLUMNS = [
  'users.id',
  'users.org_id',
  'username',
  'name',
  'presence',
  'routing_status',
  'routing_status_since',
  'phones.id as phone_id',
] as const;

/** Users with their selected phone's id. */
const users = (db: Db) => db.selectFrom('users').leftJoin('phones', 'phones.user_id', 'users.id');

async function withRoles(db: Db, rows: UserRow[]): Promise<User[]> {
  if (rows.length === 0) return [];
  const roles = await db
    .selectFrom('roles')
    .select(['user_id', 'role'])
    .where(
      'user_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('role')
    .execute();
  const byUser = new Map<string, Role[]>();
  for (const r of roles) {
    const list = byUser.get(r.user_id) ?? [];
    list.push(r.role as Role);
    byUser.set(r.user_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    orgId: r.org_id,
    username: r.username,
    name: r.name,
    presence: r.presence as Presence,
    routingStatus: r.routing_status as RoutingStatus,
    routingStatusSince: Date.parse(r.routing_status_since),
    roles: byUser.get(r.id) ?? [],
    ...(r.phone_id ? { selectedPhoneId: r.phone_id } : {}),
  }));
}

export interface UserInput {
  readonly orgId: string;
  readonly username: string;
  readonly name: string;
  readonly roles: readonly Role[];
}

/**
 * Creates or updates the user `username` in `orgId` (idempotent: nothing is written when the
 * name and roles are already those given). Throws if the username belongs to another org.
 */
export async function upsertUser(db: Db, input: UserInput, now: string): Promise<User> {
  const existing = await db
    .selectFrom('users')
    .select(['id', 'org_id', 'name'])
    .where('username', '=', input.username)
    .executeTakeFirst();
  let id: string;
  if (existing) {
    if (existing.org_id !== input.orgId) throw new Error(`username ${input.username} belongs to another org`);
    id = existing.id;
    if (existing.name !== input.name)
      await db.updateTable('users').set({ name: input.name }).where('id', '=', id).execute();
  } else {
    id = randomUUID();
    await db
      .insertInto('users')
      .values({
        id,
        org_id: input.orgId,
        username: input.username,
        name: input.name,
        presence: 'OFFLINE',
        routing_status: 'OFF_QUEUE',
        routing_status_since: now,
        created_at: now,
      })
      .execute();
  }
  await setRoles(db, id, input.roles);
  return (await findUser(db, input.orgId, id)) as User;
}

/** Sets exactly these roles (writes only the difference). */
export async function setRoles(db: Db, userId: string, roles: readonly Role[]): Promise<void> {
  const current = new Set(
    (await db.selectFrom('roles').select('role').where('user_id', '=', userId).execute()).map((r) => r.role),
  );
  const wanted = new Set<string>(roles);
  const remove = [...current].filter((r) => !wanted.has(r));
  const add = [...wanted].filter((r) => !current.has(r));
  if (remove.length)
    await db.deleteFrom('roles').where('user_id', '=', userId).where('role', 'in', remove).execute();
  if (add.length)
    await db
      .insertInto('roles')
      .values(add.map((role) => ({ user_id: userId, role })))
      .execute();
}

/** The user `id` if it belongs to `orgId` (object-level check: another org's id is not found). */
export async function findUser(db: Db, orgId: string, id: string): Promise<User | undefined> {
  const row = await users(db)
    .select(COLUMNS)
    .where('users.id', '=', id)
    .where('users.org_id', '=', orgId)
    .executeTakeFirst();
  return row ? (await withRoles(db, [row]))[0] : undefined;
}

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  const row = await users(db).select(COLUMNS).where('username', '=', username).executeTakeFirst();
  return row ? (await withRoles(db, [row]))[0] : undefined;
}

export async function listUsers(db: Db, orgId: string): Promise<User[]> {
  const rows = await users(db)
    .select(COLUMNS)
    .where('users.org_id', '=', orgId)
    .orderBy('username')
    .execute();
  return withRoles(db, rows);
}

export async function setPresence(db: Db, orgId: string, id: string, presence: Presence): Promise<boolean> {
  const r = await db
    .updateTable('users')
    .set({ presence })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export async function setRoutingStatus(
  db: Db,
  orgId: string,
  id: string,
  status: RoutingStatus,
  now: string,
): Promise<boolean> {
  const r = await db
    .updateTable('users')
    .set({ routing_status: status, routing_status_since: now })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Stores a password hash (never a password). */
export async function setPasswordHash(db: Db, userId: string, hash: string, now: string): Promise<void> {
  await db
    .insertInto('credentials')
    .values({ user_id: userId, hash, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash, updated_at: now }))
    .execute();
}

export async function getPasswordHash(db: Db, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('credentials')
    .select('hash')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.hash;
}
