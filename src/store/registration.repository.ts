import type { Db } from './database.js';
import type { SipRegistration } from './directory-types.js';

/** Adds or refreshes a binding (RFC 3261 §10.3 step 7: same AOR and contact → update). */
export async function upsertRegistration(db: Db, reg: SipRegistration): Promise<void> {
  const values = {
    org_id: reg.orgId,
    user_id: reg.userId,
    call_id: reg.callId,
    cseq: reg.cseq,
    expires_at: reg.expiresAt,
    source: reg.source,
  };
  await db
    .insertInto('sip_registrations')
    .values({ aor: reg.aor, contact: reg.contact, ...values })
    .onConflict((oc) => oc.columns(['aor', 'contact']).doUpdateSet(values))
    .execute();
}

export async function removeRegistration(db: Db, aor: string, contact?: string): Promise<void> {
  let q = db.deleteFrom('sip_registrations').where('aor', '=', aor);
  if (contact !== undefined) q = q.where('contact', '=', contact);
  await q.execute();
}

/** Unexpired bindings of an AOR at `now`. */
export async function listRegistrations(db: Db, aor: string, now: string): Promise<SipRegistration[]> {
  const rows = await db
    .selectFrom('sip_registrations')
    .selectAll()
    .where('aor', '=', aor)
    .where('expires_at', '>', now)
    .orderBy('contact')
    .execute();
  return rows.map((r) => ({
    aor: r.aor,
    contact: r.contact,
    orgId: r.org_id,
    userId: r.user_id,
    callId: r.call_id,
    cseq: Number(r.cseq),
    expiresAt: r.expires_at,
    source: r.source,
  }));
}

export async function purgeExpiredRegistrations(db: Db, now: string): Promise<number> {
  const r = await db.deleteFrom('sip_registrations').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
