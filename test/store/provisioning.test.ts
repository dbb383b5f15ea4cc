import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyProvisioning, parseProvisioning } from '../../src/calls/app/provisioning.js';
import type { Store } from '../../src/store/database.js';
import { listTrunks } from '../../src/store/trunk.repository.js';
import { DIALECTS } from './dialects.js';

const FILE = `
org: { name: Acme }
trunks:
  - name: pstn
    inbound: { allow: ["127.0.0.1"] }
    outbound: { uri: "sip:127.0.0.1:5080" }
queues:
  - name: Support
    number: "5000"
    members: [alice, bob]
users:
  - username: alice
    name: Alice Agent
    password: "a-secret"
    roles: [agent]
    phone: { kind: sip, sipUser: alice, sipPassword: "sip-secret" }
  - username: bob
    name: Bob Agent
    password: "b-secret"
    roles: [agent]
  - username: sam
    name: Sam Supervisor
    password: "s-secret"
    roles: [supervisor]
    phone: { kind: webrtc }
  - username: rita
    name: Rita Remote
    password: "r-secret"
    roles: [supervisor]
    phone: { kind: remote, number: "+15550100" }
`;

const TRUNK_FILE = `
org: { name: Trunked }
trunks:
  - name: carrier
    inbound: { allow: ["10.0.0.9"] }
    outbound:
      uri: "sip:old-user:uri-secret@10.0.0.9:5060"
      username: acct-7
      password: "trunk-secret"
      callerId: "+15550199"
  - name: plain
    outbound: { uri: "sip:10.0.0.10" }
`;

const TABLES = [
  'orgs',
  'users',
  'credentials',
  'roles',
  'phones',
  'trunks',
  'queues',
  'queue_members',
] as const;

async function snapshot(store: Store) {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    out[t] = (await store.db.selectFrom(t).selectAll().execute()).map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

describe.each(DIALECTS)('provisioning on $name', (dialect) => {
  let store: Store;
  beforeAll(async () => {
    store = await dialect.open();
  });
  afterAll(async () => {
    await dialect.dispose(store);
  });

  it('applying the same file twice changes nothing (row counts, ids, hashes equal)', async () => {
    const doc = parseProvisioning(FILE, 'acme.yaml');
    const first = await applyProvisioning(store.db, doc, '127.0.0.1', '2026-01-01T00:00:00.000Z', 1024);
    const before = await snapshot(store);
    expect(before.users).toHaveLength(4);
    expect(before.queue_members).toHaveLength(2);
    const second = await applyProvisioning(
      store.db,
      parseProvisioning(FILE, 'acme.yaml'),
      '127.0.0.1',
      '2026-02-01T00:00:00.000Z',
      1024,
    );
    expect(second).toEqual(first);
    expect(await snapshot(store)).toEqual(before);
  });

  it('never stores a password: scrypt hashes and SIP HA1 only', async () => {
    const rows = JSON.stringify(await snapshot(store));
    for (const secret of ['a-secret', 'b-secret', 's-secret', 'r-secret', 'sip-secret'])
      expect(rows).not.toContain(secret);
    expect(rows).toContain('scrypt$');
  });

  it('trunk username, password and callerId: stored, listed back, the same file twice writes nothing', async () => {
    const doc = parseProvisioning(TRUNK_FILE, 'trunked.yaml');
    const { orgId } = await applyProvisioning(store.db, doc, '127.0.0.1', '2026-01-01T00:00:00.000Z', 1024);
    const trunks = await listTrunks(store.db, orgId);
    expect(trunks.map(({ id: _, ...t }) => t)).toEqual([
      {
        orgId,
        name: 'carrier',
        inboundAllow: ['10.0.0.9'],
        outboundUri: 'sip:old-user:uri-secret@10.0.0.9:5060',
        outboundUsername: 'acct-7',
        outboundPassword: 'trunk-secret',
        callerId: '+15550199',
      },
      { orgId, name: 'plain', inboundAllow: [], outboundUri: 'sip:10.0.0.10' },
    ]);
    const before = await snapshot(store);
    await applyProvisioning(
      store.db,
      parseProvisioning(TRUNK_FILE, 'trunked.yaml'),
      '127.0.0.1',
      '2026-02-01T00:00:00.000Z',
      1024,
    );
    expect(await snapshot(store)).toEqual(before);
    expect(await listTrunks(store.db, orgId)).toEqual(trunks);
  });
});

describe('provisioning validation', () => {
  it.each([
    ['org: [', 'acme.yaml: (root): not valid YAML/JSON'],
    ['{}', 'acme.yaml: org: required'],
    ['org: { name: A, extra: 1 }', 'acme.yaml: org.extra: unknown field'],
    [
      'org: { name: A }\nusers: [{ username: a, name: A, password: p, roles: [boss] }]',
      'acme.yaml: users[0].roles[0]: expected one of agent, supervisor, admin',
    ],
    [
      'org: { name: A }\nusers: [{ username: a, name: A, password: p, roles: [], phone: { kind: fax } }]',
      'acme.yaml: users[0].phone.kind: expected sip, webrtc or remote',
    ],
    [
      'org: { name: A }\nqueues: [{ name: Q, number: "1", members: [ghost] }]',
      'acme.yaml: queues[0].members[0]: unknown user ghost',
    ],
    [
      '{"org":{"name":"A"},"trunks":[{"name":"t","outbound":{"uri":"http://x"}}]}',
      'acme.yaml: trunks[0].outbound.uri: must match',
    ],
    [
      '{"org":{"name":"A"},"trunks":[{"name":"t","outbound":{"uri":"sip:x","callerId":"Bob <b>"}}]}',
      'acme.yaml: trunks[0].outbound.callerId: must match',
    ],
    [
      '{"org":{"name":"A"},"trunks":[{"name":"t","outbound":{"uri":"sip:x","callerId":"12#3"}}]}',
      'acme.yaml: trunks[0].outbound.callerId: must match',
    ],
    [
      '{"org":{"name":"A"},"trunks":[{"name":"t","outbound":{"uri":"sip:x","password":"pw-xyz"}}]}',
      'acme.yaml: trunks[0].outbound.username: username and password go together',
    ],
    [
      '{"org":{"name":"A"},"trunks":[{"name":"t","outbound":{"uri":"sip:x","username":"a b","password":"pw-xyz"}}]}',
      'acme.yaml: trunks[0].outbound.username: must match',
    ],
    [
      '{"org":{"name":"A"},"trunks":[{"name":"t","outbound":{"uri":"sip:x","username":"u","password":""}}]}',
      'acme.yaml: trunks[0].outbound.password: expected a non-empty string',
    ],
    [
      '{"org":{"name":"A"},"trunks":[{"name":"t","outbound":{"uri":"sip:x","user":"u"}}]}',
      'acme.yaml: trunks[0].outbound.user: unknown field (expected one of uri, username, password, callerId)',
    ],
  ])('%j → %s', (text, message) => {
    expect(() => parseProvisioning(text, 'acme.yaml')).toThrow(message);
    try {
      parseProvisioning(text, 'acme.yaml');
    } catch (err) {
      expect((err as { code: string }).code).toBe('PROVISIONING_INVALID');
      // A problem names the path, never a password's value.
      expect((err as Error).message).not.toContain('pw-xyz');
    }
  });
});
