import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';
import type { Queue, QueueMember } from './directory-types.js';

export async function upsertQueue(db: Db, orgId: string, name: string, number: string): Promise<Queue> {
  const existing = await db
    .selectFrom('queues')
    .select(['id', 'org_id', 'name', 'number'])
    .where('org_id', '=', orgId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (existing) {
    if (existing.number !== number)
      await db.updateTable('queues').set({ number }).where('id', '=', existing.id).execute();
    return { id: existing.id, orgId, name, number };
  }
  const id = randomUUID();
  await db.insertInto('queues').values({ id, org_id: orgId, name, number }).execute();
  return { id, orgId, name, number };
}

/** Sets exactly these members (writes only the difference; a kept member keeps its `joinedAt`). */
export async function setQueueMembers(
  db: Db,
  queueId: string,
  userIds: readonly string[],
  now: string,
): Promise<void> {
  const current = new Set(
    (await db.selectFrom('queue_members').select('user_id').where('queue_id', '=', queueId).execute()).map(
      (r) => r.user_id,
    ),
  );
  const wanted = new Set(userIds);
  const remove = [...current].filter((u) => !wanted.has(u));
  const add = [...wanted].filter((u) => !current.has(u));
  if (remove.length)
    await db
      .deleteFrom('queue_members')
      .where('queue_id', '=', queueId)
      .where('user_id', 'in', remove)
      .execute();
  if (add.length) {
    await db
      .insertInto('queue_members')
      .values(add.map((user_id) => ({ queue_id: queueId, user_id, joined_at: now })))
      .execute();
  }
}

const toQueue = (r: { id: string; org_id: string; name: string; number: string }): Queue => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  number: r.number,
});

export async function listQueues(db: Db, orgId: string): Promise<Queue[]> {
  const rows = await db
    .selectFrom('queues')
    .select(['id', 'org_id', 'name', 'number'])
    .where('org_id', '=', orgId)
    .orderBy('name')
    .execute();
  return rows.map(toQueue);
}

export async function findQueue(db: Db, orgId: string, id: string): Promise<Queue | undefined> {
  const r = await db
    .selectFrom('queues')
    .select(['id', 'org_id', 'name', 'number'])
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return r ? toQueue(r) : undefined;
}

/** The queue customers reach by calling `number` (any org: numbers are unique). */
export async function findQueueByNumber(db: Db, number: string): Promise<Queue | undefined> {
  const r = await db
    .selectFrom('queues')
    .select(['id', 'org_id', 'name', 'number'])
    .where('number', '=', number)
    .executeTakeFirst();
  return r ? toQueue(r) : undefined;
}

export async function listQueueMembers(db: Db, queueId: string): Promise<QueueMember[]> {
  const rows = await db
    .selectFrom('queue_members')
    .select(['user_id', 'joined_at'])
    .where('queue_id', '=', queueId)
    .orderBy('joined_at')
    .orderBy('user_id')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, joinedAt: r.joined_at }));
}
