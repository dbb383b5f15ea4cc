import type { Db } from './database.js';
import type { AccessToken } from './directory-types.js';

export async function insertAccessToken(db: Db, token: AccessToken): Promise<void> {
  await db
    .insertInto('access_tokens')
    .values({
      token_hash: token.tokenHash,
      user_id: token.userId,
      org_id: token.orgId,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
    })
    .execute();
}

/** The unexpired token with this hash at `now`. */
export async function findAccessToken(
  db: Db,
  tokenHash: string,
  now: string,
): Promise<AccessToken | undefined> {
  const r = await db
    .selectFrom('access_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return r
    ? {
        tokenHash: r.token_hash,
        userId: r.user_id,
        orgId: r.org_id,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }
    : undefined;
}

export async function deleteAccessToken(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('access_tokens').where('token_hash', '=', tokenHash).execute();
}

export async function purgeExpiredAccessTokens(db: Db, now: string): Promise<number> {
  const r = await db.deleteFrom('access_tokens').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
