import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';
import type { Org } from './directory-types.js';

/** Finds the org named `name`, creating it if missing (idempotent; the id never changes). */
export async function upsertOrg(db: Db, name: string, now: string): Promise<Org> {
  const found = await db
    .selectFrom('orgs')
    .select(['id', 'name'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (found) return found;
  const id = randomUUID();
  await db.insertInto('orgs').values({ id, name, created_at: now }).execute();
  return { id, name };
}

export async function findOrg(db: Db, id: string): Promise<Org | undefined> {
  return db.selectFrom('orgs').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
}

export async function listOrgs(db: Db): Promise<Org[]> {
  return db.selectFrom('orgs').select(['id', 'name']).orderBy('name').execute();
}
