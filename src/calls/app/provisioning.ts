import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ROLES, type Role } from '../../center/index.js';
import type { Db } from '../../store/database.js';
import { upsertOrg } from '../../store/org.repository.js';
import { removePhone, upsertPhone } from '../../store/phone.repository.js';
import { setQueueMembers, upsertQueue } from '../../store/queue.repository.js';
import { upsertTrunk } from '../../store/trunk.repository.js';
import { getPasswordHash, setPasswordHash, upsertUser } from '../../store/user.repository.js';
import { appError } from './app-errors.js';
import { hashPassword, verifyPassword } from './password-hash.js';

/** CONTRACT.md §2. */
export interface ProvisioningDoc {
  org: { name: string };
  trunks: { name: string; inbound: { allow: string[] }; outbound?: TrunkOutbound }[];
  queues: { name: string; number: string; members: string[] }[];
  users: {
    username: string;
    name: string;
    password: string;
    roles: Role[];
    phone?:
      | { kind: 'sip'; sipUser: string; sipPassword: string }
      | { kind: 'webrtc' }
      | { kind: 'remote'; number: string };
  }[];
}

/**
 * CONTRACT.md §2 `trunks[].outbound`: where calls to numbers go, and (optional) the digest
 * credentials answering the trunk's 401/407 (the realm comes from the challenge) and the From user
 * of INVITEs to the trunk. `username`/`password` win over a `sip:user:password@host` userinfo.
 */
export interface TrunkOutbound {
  uri: string;
  username?: string;
  password?: string;
  callerId?: string;
}

/** A SIP URI user part for From: RFC 3261 §25.1 unreserved characters (no escapes, no `#`), an optional leading `+`. */
export const CALLER_ID_PATTERN = /^\+?[A-Za-z0-9._~*-]+$/;
/** A digest username: printable, no space, quote, backslash, `@` or `:`. */
const DIGEST_USER_PATTERN = /^[!#-9;-?A-[\]-~]+$/;

class Problems {
  constructor(private readonly file: string) {}
  fail(path: string, problem: string): never {
    throw appError('PROVISIONING_INVALID', `${this.file}: ${path || '(root)'}: ${problem}`, { path });
  }
}

type Obj = Record<string, unknown>;
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
function obj(
  p: Problems,
  v: unknown,
  path: string,
  keys: readonly string[],
  required: readonly string[],
): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) p.fail(path, 'expected a mapping');
  for (const k of Object.keys(v))
    if (!keys.includes(k)) p.fail(join(path, k), `unknown field (expected one of ${keys.join(', ')})`);
  for (const k of required) if ((v as Obj)[k] === undefined) p.fail(join(path, k), 'required');
  return v as Obj;
}
function str(p: Problems, v: unknown, path: string, re?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) p.fail(path, 'expected a non-empty string');
  if (re && !re.test(v)) p.fail(path, `must match ${re}`);
  return v;
}
function arr(p: Problems, v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) p.fail(path, 'expected a list');
  return v;
}

/** Parses (YAML or JSON) and validates a provisioning document; errors name file, path and problem. */
export function parseProvisioning(text: string, file: string): ProvisioningDoc {
  const p = new Problems(file);
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    p.fail('', `not valid YAML/JSON (${(err as Error).message.split('\n')[0]})`);
  }
  return validateProvisioning(raw, file, p);
}

export function validateProvisioning(
  raw: unknown,
  file = 'request',
  p = new Problems(file),
): ProvisioningDoc {
  const root = obj(p, raw, '', ['org', 'trunks', 'queues', 'users'], ['org']);
  const org = obj(p, root.org, 'org', ['name'], ['name']);
  const users = arr(p, root.users, 'users').map((u, i) => {
    const at = `users[${i}]`;
    const o = obj(
      p,
      u,
      at,
      ['username', 'name', 'password', 'roles', 'phone'],
      ['username', 'name', 'password', 'roles'],
    );
    const roles = arr(p, o.roles, `${at}.roles`).map((r, j) => {
      if (!(ROLES as readonly unknown[]).includes(r))
        p.fail(`${at}.roles[${j}]`, `expected one of ${ROLES.join(', ')}`);
      return r as Role;
    });
    let phone: ProvisioningDoc['users'][number]['phone'];
    if (o.phone !== undefined) {
      const kind = (o.phone as Obj | null)?.kind;
      if (kind === 'sip') {
        const ph = obj(
          p,
          o.phone,
          `${at}.phone`,
          ['kind', 'sipUser', 'sipPassword'],
          ['sipUser', 'sipPassword'],
        );
        phone = {
          kind,
          sipUser: str(p, ph.sipUser, `${at}.phone.sipUser`, /^[A-Za-z0-9._~-]+$/),
          sipPassword: str(p, ph.sipPassword, `${at}.phone.sipPassword`),
        };
      } else if (kind === 'webrtc') {
        obj(p, o.phone, `${at}.phone`, ['kind'], []);
        phone = { kind };
      } else if (kind === 'remote') {
        const ph = obj(p, o.phone, `${at}.phone`, ['kind', 'number'], ['number']);
        phone = { kind, number: str(p, ph.number, `${at}.phone.number`, /^\+?[0-9*#]+$/) };
      } else p.fail(`${at}.phone.kind`, 'expected sip, webrtc or remote');
    }
    return {
      username: str(p, o.username, `${at}.username`, /^[A-Za-z0-9._-]+$/),
      name: str(p, o.name, `${at}.name`),
      password: str(p, o.password, `${at}.password`),
      roles,
      ...(phone ? { phone } : {}),
    };
  });
  const usernames = new Set<string>();
  users.forEach((u, i) => {
    if (usernames.has(u.username)) p.fail(`users[${i}].username`, `duplicate username ${u.username}`);
    usernames.add(u.username);
  });
  const queues = arr(p, root.queues, 'queues').map((q, i) => {
    const at = `queues[${i}]`;
    const o = obj(p, q, at, ['name', 'number', 'members'], ['name', 'number']);
    const members = arr(p, o.members, `${at}.members`).map((m, j) => {
      const s = str(p, m, `${at}.members[${j}]`);
      if (!usernames.has(s)) p.fail(`${at}.members[${j}]`, `unknown user ${s}`);
      return s;
    });
    return {
      name: str(p, o.name, `${at}.name`),
      number: str(p, o.number, `${at}.number`, /^[0-9+*#]+$/),
      members,
    };
  });
  const trunks = arr(p, root.trunks, 'trunks').map((t, i) => {
    const at = `trunks[${i}]`;
    const o = obj(p, t, at, ['name', 'inbound', 'outbound'], ['name']);
    const inbound =
      o.inbound === undefined ? { allow: [] } : obj(p, o.inbound, `${at}.inbound`, ['allow'], []);
    const allow = arr(p, inbound.allow, `${at}.inbound.allow`).map((a, j) =>
      str(p, a, `${at}.inbound.allow[${j}]`),
    );
    let outbound: TrunkOutbound | undefined;
    if (o.outbound !== undefined) {
      const ob = obj(p, o.outbound, `${at}.outbound`, ['uri', 'username', 'password', 'callerId'], ['uri']);
      if ((ob.username === undefined) !== (ob.password === undefined))
        p.fail(
          `${at}.outbound.${ob.username === undefined ? 'username' : 'password'}`,
          'username and password go together',
        );
      outbound = {
        uri: str(p, ob.uri, `${at}.outbound.uri`, /^sips?:/),
        ...(ob.username !== undefined
          ? { username: str(p, ob.username, `${at}.outbound.username`, DIGEST_USER_PATTERN) }
          : {}),
        // Never echoed in a problem: `str` names the path, not the value.
        ...(ob.password !== undefined ? { password: str(p, ob.password, `${at}.outbound.password`) } : {}),
        ...(ob.callerId !== undefined
          ? { callerId: str(p, ob.callerId, `${at}.outbound.callerId`, CALLER_ID_PATTERN) }
          : {}),
      };
    }
    return {
      name: str(p, o.name, `${at}.name`),
      inbound: { allow },
      ...(outbound ? { outbound } : {}),
    };
  });
  return { org: { name: str(p, org.name, 'org.name') }, trunks, queues, users };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Applies a provisioning document idempotently (one transaction): objects are matched by their
 * natural keys (org name, username, queue and trunk names), ids never change, and a password is
 * re-hashed only if it no longer matches — so the same document twice writes nothing.
 * `realm` is the SIP digest realm (EARSHOT_SIP_HOST): HA1 = H(user:realm:password), RFC 8760.
 */
export async function applyProvisioning(
  db: Db,
  doc: ProvisioningDoc,
  realm: string,
  now: string,
  passwordCost?: number,
): Promise<{ orgId: string }> {
  return db.transaction().execute(async (tx) => {
    const org = await upsertOrg(tx, doc.org.name, now);
    const ids = new Map<string, string>();
    for (const u of doc.users) {
      const user = await upsertUser(
        tx,
        { orgId: org.id, username: u.username, name: u.name, roles: u.roles },
        now,
      );
      ids.set(u.username, user.id);
      const stored = await getPasswordHash(tx, user.id);
      if (!stored || !(await verifyPassword(u.password, stored))) {
        await setPasswordHash(tx, user.id, await hashPassword(u.password, passwordCost), now);
      }
      const ph = u.phone;
      if (!ph) await removePhone(tx, org.id, user.id);
      else if (ph.kind === 'sip') {
        await upsertPhone(tx, {
          orgId: org.id,
          userId: user.id,
          kind: 'sip',
          sipUser: ph.sipUser,
          realm,
          ha1Md5: md5(`${ph.sipUser}:${realm}:${ph.sipPassword}`),
          ha1Sha256: sha256(`${ph.sipUser}:${realm}:${ph.sipPassword}`),
        });
      } else if (ph.kind === 'remote')
        await upsertPhone(tx, { orgId: org.id, userId: user.id, kind: 'remote', number: ph.number });
      else await upsertPhone(tx, { orgId: org.id, userId: user.id, kind: 'webrtc' });
    }
    for (const q of doc.queues) {
      const queue = await upsertQueue(tx, org.id, q.name, q.number);
      await setQueueMembers(
        tx,
        queue.id,
        q.members.map((m) => ids.get(m) as string),
        now,
      );
    }
    for (const t of doc.trunks) {
      await upsertTrunk(tx, {
        orgId: org.id,
        name: t.name,
        inboundAllow: t.inbound.allow,
        ...(t.outbound
          ? {
              outboundUri: t.outbound.uri,
              ...(t.outbound.username !== undefined ? { outboundUsername: t.outbound.username } : {}),
              ...(t.outbound.password !== undefined ? { outboundPassword: t.outbound.password } : {}),
              ...(t.outbound.callerId !== undefined ? { callerId: t.outbound.callerId } : {}),
            }
          : {}),
      });
    }
    return { orgId: org.id };
  });
}
