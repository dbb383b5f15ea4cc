import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';
import type { Trunk } from './directory-types.js';

export interface TrunkInput {
  readonly orgId: string;
  readonly name: string;
  readonly inboundAllow: readonly string[];
  readonly outboundUri?: string;
  /** Digest user for the trunk's 401/407 challenges. */
  readonly outboundUsername?: string;
  /** Digest password, kept as given (a client needs the secret; the DB is a secret). */
  readonly outboundPassword?: string;
  /** The From user of INVITEs to the trunk. */
  readonly callerId?: string;
}

export async function upsertTrunk(db: Db, input: TrunkInput): Promise<Trunk> {
  const values = {
    inbound_allow: JSON.stringify(input.inboundAllow),
    outbound_uri: input.outboundUri ?? null,
    outbound_username: input.outboundUsername ?? null,
    outbound_password: input.outboundPassword ?? null,
    caller_id: input.callerId ?? null,
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
    if (
      existing.inbound_allow !== values.inbound_allow ||
      existing.outbound_uri !== values.outbound_uri ||
      existing.outbound_username !== values.outbound_username ||
      existing.outbound_password !== values.outbound_password ||
      existing.caller_id !== values.caller_id
    ) {
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
    ...(r.outbound_username ? { outboundUsername: r.outbound_username } : {}),
    ...(r.outbound_password ? { outboundPassword: r.outbound_password } : {}),
    ...(r.caller_id ? { callerId: r.caller_id } : {}),
  }));
}
