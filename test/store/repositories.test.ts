import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, listAudit } from '../../src/store/audit.repository.js';
import {
  appendTimeline,
  closeOpenConversations,
  findConversation,
  listConversations,
  listTimeline,
  saveConversation,
} from '../../src/store/conversation.repository.js';
import type { ConversationView } from '../../src/store/conversation-types.js';
import type { Store } from '../../src/store/database.js';
import { migrateDownAll, migrateDownOne, migrateToLatest } from '../../src/store/database.js';
import { findOrg, upsertOrg } from '../../src/store/org.repository.js';
import { findPhoneOfUser, findSipCredentials, upsertPhone } from '../../src/store/phone.repository.js';
import {
  findQueue,
  findQueueByNumber,
  listQueueMembers,
  listQueues,
  setQueueMembers,
  upsertQueue,
} from '../../src/store/queue.repository.js';
import {
  listRegistrations,
  purgeExpiredRegistrations,
  upsertRegistration,
} from '../../src/store/registration.repository.js';
import { deleteAccessToken, findAccessToken, insertAccessToken } from '../../src/store/token.repository.js';
import { listTrunks, upsertTrunk } from '../../src/store/trunk.repository.js';
import {
  findUser,
  findUserByUsername,
  getPasswordHash,
  listUsers,
  setPasswordHash,
  setPresence,
  setRoutingStatus,
  upsertUser,
} from '../../src/store/user.repository.js';
import { DIALECTS } from './dialects.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';
const T2 = '2026-01-01T00:02:00.000Z';

describe.each(DIALECTS)('store repositories on $name', (dialect) => {
  let store: Store;
  beforeAll(async () => {
    store = await dialect.open();
  });
  afterAll(async () => {
    await dialect.dispose(store);
  });

  it('upserts orgs idempotently by name', async () => {
    const a = await upsertOrg(store.db, 'Acme', T0);
    const b = await upsertOrg(store.db, 'Acme', T1);
    expect(b.id).toBe(a.id);
    expect(await findOrg(store.db, a.id)).toEqual({ id: a.id, name: 'Acme' });
    expect(await findOrg(store.db, 'nope')).toBeUndefined();
  });

  it('stores users with roles, presence, routing status and a password hash; scoped by org', async () => {
    const org = await upsertOrg(store.db, 'Users Inc', T0);
    const other = await upsertOrg(store.db, 'Other Inc', T0);
    const u = await upsertUser(
      store.db,
      { orgId: org.id, username: 'u-alice', name: 'Alice', roles: ['agent', 'supervisor'] },
      T0,
    );
    expect(u).toMatchObject({
      username: 'u-alice',
      presence: 'OFFLINE',
      routingStatus: 'OFF_QUEUE',
      roles: ['agent', 'supervisor'],
    });
    const again = await upsertUser(
      store.db,
      { orgId: org.id, username: 'u-alice', name: 'Alice A', roles: ['agent'] },
      T1,
    );
    expect(again.id).toBe(u.id);
    expect(again.roles).toEqual(['agent']);
    expect(again.name).toBe('Alice A');
    await expect(
      upsertUser(store.db, { orgId: other.id, username: 'u-alice', name: 'X', roles: [] }, T0),
    ).rejects.toThrow(/another org/);
    expect(await findUser(store.db, other.id, u.id)).toBeUndefined();
    expect(await setPresence(store.db, org.id, u.id, 'AVAILABLE')).toBe(true);
    expect(await setPresence(store.db, other.id, u.id, 'AWAY')).toBe(false);
    expect(await setRoutingStatus(store.db, org.id, u.id, 'IDLE', T1)).toBe(true);
    expect(await findUserByUsername(store.db, 'u-alice')).toMatchObject({
      presence: 'AVAILABLE',
      routingStatus: 'IDLE',
    });
    await setPasswordHash(store.db, u.id, 'scrypt$x', T0);
    await setPasswordHash(store.db, u.id, 'scrypt$y', T1);
    expect(await getPasswordHash(store.db, u.id)).toBe('scrypt$y');
    expect((await listUsers(store.db, org.id)).map((x) => x.username)).toEqual(['u-alice']);
  });

  it('keeps one selected phone per user and returns SIP credentials as HA1 only', async () => {
    const org = await upsertOrg(store.db, 'Phones Inc', T0);
    const u = await upsertUser(
      store.db,
      { orgId: org.id, username: 'p-bob', name: 'Bob', roles: ['agent'] },
      T0,
    );
    const p1 = await upsertPhone(store.db, { orgId: org.id, userId: u.id, kind: 'webrtc' });
    const p2 = await upsertPhone(store.db, {
      orgId: org.id,
      userId: u.id,
      kind: 'sip',
      sipUser: 'p-bob',
      realm: '127.0.0.1',
      ha1Md5: 'a'.repeat(32),
      ha1Sha256: 'b'.repeat(64),
    });
    expect(p2.id).toBe(p1.id);
    expect(await findPhoneOfUser(store.db, org.id, u.id)).toEqual({
      id: p1.id,
      orgId: org.id,
      userId: u.id,
      kind: 'sip',
      sipUser: 'p-bob',
    });
    expect(await findSipCredentials(store.db, 'p-bob')).toEqual({
      orgId: org.id,
      userId: u.id,
      sipUser: 'p-bob',
      realm: '127.0.0.1',
      ha1Md5: 'a'.repeat(32),
      ha1Sha256: 'b'.repeat(64),
    });
    expect(await findSipCredentials(store.db, 'nobody')).toBeUndefined();
  });

  it('stores queues, members (by join order) and trunks', async () => {
    const org = await upsertOrg(store.db, 'Queues Inc', T0);
    const a = await upsertUser(store.db, { orgId: org.id, username: 'q-a', name: 'A', roles: ['agent'] }, T0);
    const b = await upsertUser(store.db, { orgId: org.id, username: 'q-b', name: 'B', roles: ['agent'] }, T0);
    const q = await upsertQueue(store.db, org.id, 'Support', '7000');
    expect((await upsertQueue(store.db, org.id, 'Support', '7000')).id).toBe(q.id);
    await setQueueMembers(store.db, q.id, [a.id], T0);
    await setQueueMembers(store.db, q.id, [a.id, b.id], T1);
    expect(await listQueueMembers(store.db, q.id)).toEqual([
      { userId: a.id, joinedAt: T0 },
      { userId: b.id, joinedAt: T1 },
    ]);
    await setQueueMembers(store.db, q.id, [b.id], T2);
    expect((await listQueueMembers(store.db, q.id)).map((m) => m.userId)).toEqual([b.id]);
    expect(await findQueueByNumber(store.db, '7000')).toEqual(q);
    expect(await listQueues(store.db, org.id)).toEqual([q]);
    expect(await findQueue(store.db, 'other-org', q.id)).toBeUndefined();
    const t = await upsertTrunk(store.db, {
      orgId: org.id,
      name: 'pstn',
      inboundAllow: ['127.0.0.1'],
      outboundUri: 'sip:127.0.0.1:5080',
    });
    expect(await listTrunks(store.db, org.id)).toEqual([t]);
    // Explicit digest credentials and caller ID (20261129 migration): stored and listed back.
    const withCreds = await upsertTrunk(store.db, {
      orgId: org.id,
      name: 'pstn',
      inboundAllow: ['127.0.0.1'],
      outboundUri: 'sip:127.0.0.1:5080',
      outboundUsername: 'acct-1',
      outboundPassword: 's3cret',
      callerId: '+15550100',
    });
    expect(withCreds.id).toBe(t.id);
    expect(await listTrunks(store.db, org.id)).toEqual([withCreds]);
    // Dropping the fields clears the columns.
    await upsertTrunk(store.db, {
      orgId: org.id,
      name: 'pstn',
      inboundAllow: ['127.0.0.1'],
      outboundUri: 'sip:127.0.0.1:5080',
    });
    expect(await listTrunks(store.db, org.id)).toEqual([t]);
  });

  it('stores SIP registrations with expiry', async () => {
    const org = await upsertOrg(store.db, 'Reg Inc', T0);
    const u = await upsertUser(store.db, { orgId: org.id, username: 'r-c', name: 'C', roles: ['agent'] }, T0);
    const reg = {
      aor: 'sip:r-c@127.0.0.1',
      contact: 'sip:r-c@127.0.0.1:5070',
      orgId: org.id,
      userId: u.id,
      callId: 'x',
      cseq: 1,
      expiresAt: T1,
      source: 'udp:127.0.0.1:5070',
    };
    await upsertRegistration(store.db, reg);
    await upsertRegistration(store.db, { ...reg, cseq: 2 });
    expect(await listRegistrations(store.db, reg.aor, T0)).toEqual([{ ...reg, cseq: 2 }]);
    expect(await listRegistrations(store.db, reg.aor, T2)).toEqual([]);
    expect(await purgeExpiredRegistrations(store.db, T2)).toBe(1);
  });

  it('stores hashed access tokens that expire', async () => {
    const org = await upsertOrg(store.db, 'Tok Inc', T0);
    const u = await upsertUser(store.db, { orgId: org.id, username: 't-d', name: 'D', roles: ['agent'] }, T0);
    const tok = { tokenHash: 'h'.repeat(64), userId: u.id, orgId: org.id, createdAt: T0, expiresAt: T1 };
    await insertAccessToken(store.db, tok);
    expect(await findAccessToken(store.db, tok.tokenHash, T0)).toEqual(tok);
    expect(await findAccessToken(store.db, tok.tokenHash, T2)).toBeUndefined();
    await deleteAccessToken(store.db, tok.tokenHash);
    expect(await findAccessToken(store.db, tok.tokenHash, T0)).toBeUndefined();
  });

  it('saves conversations with participants and a timeline, in one transaction, scoped by org', async () => {
    const org = await upsertOrg(store.db, 'Conv Inc', T0);
    const conv: ConversationView = {
      id: `c-${dialect.name}`,
      orgId: org.id,
      state: 'active',
      startTime: T0,
      participants: [
        {
          id: `p1-${dialect.name}`,
          purpose: 'customer',
          name: 'Customer',
          address: 'sip:+1555@x',
          state: 'connected',
          held: false,
          muted: false,
          connectedTime: T0,
        },
        {
          id: `p2-${dialect.name}`,
          purpose: 'agent',
          userId: 'u1',
          name: 'Agent',
          state: 'connected',
          held: false,
          muted: true,
          connectedTime: T0,
        },
      ],
    };
    await store.db.transaction().execute(async (tx) => {
      await saveConversation(tx, conv);
      await appendTimeline(tx, org.id, conv.id, { type: 'conversation.started', at: T0 });
    });
    expect(await findConversation(store.db, org.id, conv.id)).toEqual(conv);
    expect(await findConversation(store.db, 'other', conv.id)).toBeUndefined();
    const monitor = {
      id: `p3-${dialect.name}`,
      purpose: 'monitor' as const,
      userId: 'u2',
      name: 'Sup',
      state: 'alerting' as const,
      held: false,
      muted: false,
      monitoredParticipantId: conv.participants[1]?.id,
    };
    const updated = { ...conv, participants: [...conv.participants, monitor] };
    await saveConversation(store.db, updated);
    await appendTimeline(store.db, org.id, conv.id, {
      type: 'monitor.started',
      at: T1,
      userId: 'u2',
      participantId: monitor.id,
      targetParticipantId: monitor.monitoredParticipantId,
    });
    expect((await listConversations(store.db, org.id, 'active')).map((c) => c.participants.length)).toEqual([
      3,
    ]);
    expect(await listTimeline(store.db, org.id, conv.id)).toEqual([
      { type: 'conversation.started', at: T0 },
      {
        type: 'monitor.started',
        at: T1,
        userId: 'u2',
        participantId: monitor.id,
        targetParticipantId: monitor.monitoredParticipantId,
      },
    ]);
    expect(await listTimeline(store.db, 'other', conv.id)).toBeUndefined();
    expect(await closeOpenConversations(store.db, T2, 'recovered')).toEqual([conv.id]);
    const closed = await findConversation(store.db, org.id, conv.id);
    expect(closed?.state).toBe('ended');
    expect(closed?.participants.every((p) => p.state === 'disconnected')).toBe(true);
    expect(await listConversations(store.db, org.id, 'active')).toEqual([]);
  });

  it('a failed transaction writes nothing', async () => {
    const org = await upsertOrg(store.db, 'Tx Inc', T0);
    await expect(
      store.db.transaction().execute(async (tx) => {
        await saveConversation(tx, {
          id: `tx-${dialect.name}`,
          orgId: org.id,
          state: 'active',
          startTime: T0,
          participants: [],
        });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await findConversation(store.db, org.id, `tx-${dialect.name}`)).toBeUndefined();
  });

  it('appends and lists audit records newest first', async () => {
    const org = await upsertOrg(store.db, 'Audit Inc', T0);
    await appendAudit(store.db, {
      orgId: org.id,
      at: T0,
      actorUserId: 'u',
      action: 'monitor.start',
      outcome: 'refused',
      code: 'SUPERVISOR_BUSY',
      sourceAddress: '127.0.0.1',
    });
    await appendAudit(store.db, {
      orgId: org.id,
      at: T1,
      actorUserId: 'u',
      action: 'monitor.start',
      outcome: 'started',
      conversationId: 'c',
      reason: 'quality',
    });
    const list = await listAudit(store.db, org.id);
    expect(list.map((r) => r.outcome)).toEqual(['started', 'refused']);
    expect(list[1]).toMatchObject({ code: 'SUPERVISOR_BUSY', sourceAddress: '127.0.0.1' });
    expect(await listAudit(store.db, 'other')).toEqual([]);
  });

  it('the trunk-credentials migration adds and drops its columns, keeping the trunks', async () => {
    const fresh = await dialect.open();
    try {
      const org = await upsertOrg(fresh.db, 'Migrating Inc', T0);
      const base = {
        orgId: org.id,
        name: 'pstn',
        inboundAllow: ['10.0.0.1'],
        outboundUri: 'sip:10.0.0.2:5060',
      };
      await upsertTrunk(fresh.db, { ...base, outboundUsername: 'u', outboundPassword: 'p', callerId: '100' });
      expect(await migrateDownOne(fresh.db, fresh.schema)).toEqual(['20261129T000000-trunk-credentials']);
      await expect(fresh.db.selectFrom('trunks').select('caller_id').execute()).rejects.toThrow();
      expect(await fresh.db.selectFrom('trunks').select(['name', 'outbound_uri']).execute()).toEqual([
        { name: 'pstn', outbound_uri: 'sip:10.0.0.2:5060' },
      ]);
      expect(await migrateToLatest(fresh.db, fresh.schema)).toEqual(['20261129T000000-trunk-credentials']);
      expect((await listTrunks(fresh.db, org.id)).map(({ id: _, ...t }) => t)).toEqual([base]);
    } finally {
      await dialect.dispose(fresh);
    }
  });

  it('migrations go down and up again', async () => {
    const fresh = await dialect.open();
    try {
      await migrateDownAll(fresh.db, fresh.schema);
      await expect(fresh.db.selectFrom('orgs').selectAll().execute()).rejects.toThrow();
      expect(await migrateToLatest(fresh.db, fresh.schema)).toEqual([
        '20260101T000000-initial',
        '20261129T000000-trunk-credentials',
      ]);
      expect(await fresh.db.selectFrom('orgs').selectAll().execute()).toEqual([]);
    } finally {
      await dialect.dispose(fresh);
    }
  });
});
