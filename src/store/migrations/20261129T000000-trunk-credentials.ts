/**
 * Trunk digest credentials and caller ID as explicit fields (issue #6 follow-up): the user and
 * password Earshot answers a trunk's 401/407 with, and the From user of INVITEs to the trunk. The
 * password is kept as given (a client needs the secret; the realm is only known from the
 * challenge), so the database is a secret (docs/operations.md).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists (Kysely's advice)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('trunks').addColumn('outbound_username', 'text').execute();
  await db.schema.alterTable('trunks').addColumn('outbound_password', 'text').execute();
  await db.schema.alterTable('trunks').addColumn('caller_id', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('trunks').dropColumn('caller_id').execute();
  await db.schema.alterTable('trunks').dropColumn('outbound_password').execute();
  await db.schema.alterTable('trunks').dropColumn('outbound_username').execute();
}
