import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';
import type { Trunk } from './directory-types.js';

export interface TrunkInput {
  readonly orgId: string;
  readonly name: string;
  readonly inboundAllow: readonly string[];
  readonly outboundUri?: string;
}

export async function upsertTrunk(db: Db, input: TrunkInput): Promise<Trunk> {
  const values = {
    inbound_allow: JSON.stringify(input.inboundAllow),
    outbound_uri: input.outboundUri ?? null,
  };
  const existing = await db
    .selectFrom('trunks')
    .selectAll()
    .where('org_id', '=', input.orgId)
    .where('name', '=', input.name)
    .executeTakeFirst();
  let id: string;
  if (existing) {
    id = existing.id;
    if (existing.inbound_allow !== values.inbound_allow || existing.outbound_uri !== values.outbound_uri) {
      await db.updateTable('trunks').set(values).where('id', '=', id).execute();
    }
  } else {
    id = randomUUID();
    await db
      .insertInto('trunks')
      .values({ id, org_id: input.orgId, name: input.name, ...values })
      .execute();
  }
  return { id, ...input };
}

export async function listTrunks(db: Db, orgId?: string): Promise<Trunk[]> {
  let q = db.selectFrom('trunks').selectAll().orderBy('name');
  if (orgId) q = q.where('org_id', '=', orgId);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    inboundAllow: JSON.parse(r.inbound_allow) as string[],
    ...(r.outbound_uri ? { outboundUri: r.outbound_uri } : {}),
  }));
}
