import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../store/database.js';
import { findPhoneOfUser, issueWebrtcCredentials } from '../../store/phone.repository.js';
import { appError } from './app-errors.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface PhoneCredentials {
  readonly sipUser: string;
  readonly password: string;
  /** The SIP domain and digest realm (EARSHOT_SIP_HOST). */
  readonly domain: string;
}

/**
 * SIP credentials for the caller's own `webrtc` phone, generated per request ("per login"): a
 * fresh random password (144 bits) is returned to its owner once, and only its HA1s (MD5 and
 * SHA-256, realm = `realm`) are stored, so nothing in the store can give the password back. The
 * SIP user is the phone id (the AOR call control looks up). Asking again rotates the password:
 * a console page that fetched credentials earlier fails its next digest challenge and must fetch
 * again — the newest page owns the browser phone.
 * NOT_FOUND when the caller has no phone or a phone of another kind.
 */
export async function issuePhoneCredentials(
  db: Db,
  orgId: string,
  userId: string,
  realm: string,
): Promise<PhoneCredentials> {
  const phone = await findPhoneOfUser(db, orgId, userId);
  if (phone?.kind !== 'webrtc') throw appError('NOT_FOUND', 'your selected phone is not a webrtc phone');
  const password = randomBytes(18).toString('base64url');
  const sipUser = phone.id;
  const issued = await issueWebrtcCredentials(db, orgId, phone.id, {
    realm,
    ha1Md5: md5(`${sipUser}:${realm}:${password}`),
    ha1Sha256: sha256(`${sipUser}:${realm}:${password}`),
  });
  if (!issued) throw appError('NOT_FOUND', 'your selected phone is not a webrtc phone');
  return { sipUser, password, domain: realm };
}
