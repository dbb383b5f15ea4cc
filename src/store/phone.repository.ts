import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';
import type { Phone, PhoneKind, SipCredentials } from './directory-types.js';

export interface PhoneInput {
  readonly orgId: string;
  readonly userId: string;
  readonly kind: PhoneKind;
  readonly sipUser?: string;
  readonly realm?: string;
  readonly ha1Md5?: string;
  readonly ha1Sha256?: string;
  readonly number?: string;
}

/** Sets the user's selected phone (one per user); writes nothing when unchanged. */
export async function upsertPhone(db: Db, input: PhoneInput): Promise<Phone> {
  const values = {
    kind: input.kind,
    sip_user: input.sipUser ?? null,
    realm: input.realm ?? null,
    ha1_md5: input.ha1Md5 ?? null,
    ha1_sha256: input.ha1Sha256 ?? null,
    number: input.number ?? null,
  };
  const existing = await db
    .selectFrom('phones')
    .selectAll()
    .where('user_id', '=', input.userId)
    .executeTakeFirst();
  if (existing?.kind === 'webrtc' && input.kind === 'webrtc' && !input.sipUser) {
    // A webrtc phone keeps the SIP credentials issued to its owner (issueWebrtcCredentials).
    values.sip_user = existing.sip_user;
    values.realm = existing.realm;
    values.ha1_md5 = existing.ha1_md5;
    values.ha1_sha256 = existing.ha1_sha256;
  }
  if (!existing) {
    await db
      .insertInto('phones')
      .values({ id: randomUUID(), org_id: input.orgId, user_id: input.userId, ...values })
      .execute();
  } else if ((Object.keys(values) as (keyof typeof values)[]).some((k) => existing[k] !== values[k])) {
    await db.updateTable('phones').set(values).where('id', '=', existing.id).execute();
  }
  return (await findPhoneOfUser(db, input.orgId, input.userId)) as Phone;
}

export async function removePhone(db: Db, orgId: string, userId: string): Promise<void> {
  await db.deleteFrom('phones').where('user_id', '=', userId).where('org_id', '=', orgId).execute();
}

export async function findPhoneOfUser(db: Db, orgId: string, userId: string): Promise<Phone | undefined> {
  const r = await db
    .selectFrom('phones')
    .select(['id', 'org_id', 'user_id', 'kind', 'sip_user', 'number'])
    .where('user_id', '=', userId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (!r) return undefined;
  return {
    id: r.id,
    orgId: r.org_id,
    userId: r.user_id,
    kind: r.kind as PhoneKind,
    ...(r.sip_user ? { sipUser: r.sip_user } : {}),
    ...(r.number ? { number: r.number } : {}),
  };
}

/**
 * Stores the digest credentials just issued for a `webrtc` phone (HA1s only: the password itself
 * is handed to its owner once and never stored). The phone's SIP user is its id. Returns the
 * phone, or undefined when `phoneId` is not a webrtc phone of `orgId`.
 */
export async function issueWebrtcCredentials(
  db: Db,
  orgId: string,
  phoneId: string,
  c: { realm: string; ha1Md5: string; ha1Sha256: string },
): Promise<Phone | undefined> {
  const r = await db
    .updateTable('phones')
    .set({ sip_user: phoneId, realm: c.realm, ha1_md5: c.ha1Md5, ha1_sha256: c.ha1Sha256 })
    .where('id', '=', phoneId)
    .where('org_id', '=', orgId)
    .where('kind', '=', 'webrtc')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return undefined;
  const row = await db.selectFrom('phones').select(['user_id']).where('id', '=', phoneId).executeTakeFirst();
  return row ? findPhoneOfUser(db, orgId, row.user_id) : undefined;
}

/** Every phone of `orgId` (no secrets), ordered by id. */
export async function listPhones(db: Db, orgId: string): Promise<Phone[]> {
  const rows = await db
    .selectFrom('phones')
    .select(['id', 'org_id', 'user_id', 'kind', 'sip_user', 'number'])
    .where('org_id', '=', orgId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    orgId: r.org_id,
    userId: r.user_id,
    kind: r.kind as PhoneKind,
    ...(r.sip_user ? { sipUser: r.sip_user } : {}),
    ...(r.number ? { number: r.number } : {}),
  }));
}

/**
 * The digest credentials of the phone registering as `sipUser`, for the registrar: a `sip` phone
 * (provisioned password) or a `webrtc` phone (credentials issued to its owner).
 */
export async function findSipCredentials(db: Db, sipUser: string): Promise<SipCredentials | undefined> {
  const r = await db
    .selectFrom('phones')
    .select(['org_id', 'user_id', 'sip_user', 'realm', 'ha1_md5', 'ha1_sha256'])
    .where('sip_user', '=', sipUser)
    .where('kind', 'in', ['sip', 'webrtc'])
    .executeTakeFirst();
  if (!r?.sip_user || !r.realm || !r.ha1_md5 || !r.ha1_sha256) return undefined;
  return {
    orgId: r.org_id,
    userId: r.user_id,
    sipUser: r.sip_user,
    realm: r.realm,
    ha1Md5: r.ha1_md5,
    ha1Sha256: r.ha1_sha256,
  };
}
