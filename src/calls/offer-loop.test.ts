import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sipError } from '../sip/sip-errors.js';
import type { InviteOptions } from '../sip/ua/outgoing-invite.js';
import { openStore, type Store } from '../store/database.js';
import { findQueueByNumber } from '../store/queue.repository.js';
import { findUserByUsername, setPresence } from '../store/user.repository.js';
import { FakeClock } from '../util/clock.js';
import { applyProvisioning } from './app/provisioning.js';
import { type AppServices, createAppServices } from './app/services.js';
import { CallControl } from './call-control.js';

/**
 * The offer loop reacts to agents coming on queue through the services (no poll needed): the
 * safety poll is set to an hour and the fake clock never moves, so only the event can route.
 */
let store: Store;
let clock: FakeClock;
let invites: { target: string; options: InviteOptions }[];
let calls: CallControl;
let services: AppServices;
let orgId: string;

beforeEach(async () => {
  store = await openStore({ url: ':memory:' });
  clock = new FakeClock();
  invites = [];
  ({ orgId } = await applyProvisioning(
    store.db,
    {
      org: { name: 'Acme' },
      trunks: [{ name: 'pstn', inbound: { allow: ['127.0.0.1'] }, outbound: { uri: 'sip:127.0.0.1:5080' } }],
      queues: [{ name: 'Support', number: '5000', members: ['alice'] }],
      users: [
        {
          username: 'alice',
          name: 'Alice',
          password: 'p',
          roles: ['agent'],
          phone: { kind: 'sip', sipUser: 'alice', sipPassword: 'x' },
        },
      ],
    },
    '127.0.0.1',
    new Date(clock.now()).toISOString(),
    1024,
  ));
  const log = pino({ level: 'silent' });
  calls = new CallControl({
    sip: {
      invite: (target, options) => {
        invites.push({ target, options });
        return new Promise((_resolve, reject) =>
          options.signal?.addEventListener('abort', () => reject(sipError('SIP_REQUEST_CANCELLED'))),
        );
      },
    },
    media: {
      createLeg: async () => ({ port: 30000 }),
      updateLeg: async () => undefined,
      setPlan: async () => undefined,
      closeLeg: async () => undefined,
    },
    location: {
      lookup: (aor) => [
        {
          aor,
          contact: `${aor}:6000`,
          key: aor,
          callId: 'c',
          cseq: 1,
          expiresAt: clock.now() + 1e6,
          q: 1,
          source: undefined,
        },
      ],
    },
    db: store.db,
    clock,
    logger: log,
    settings: {
      sipHost: '127.0.0.1',
      mediaHost: '127.0.0.1',
      ringTimeoutMs: 30_000,
      requeueIntervalMs: 3_600_000,
    },
  });
  services = createAppServices({ db: store.db, clock, log, monitorCap: 5, tokenTtlS: 60, effects: calls });
  calls.attach(services);
});

afterEach(async () => {
  await calls.close();
  await services.close();
  await store.close();
});

async function customerWaits(): Promise<void> {
  const q = await findQueueByNumber(store.db, '5000');
  await services.conversations.startInbound(orgId, q!.id, { name: 'C', address: 'sip:1@127.0.0.1' });
  await calls.idle();
  expect(invites).toEqual([]);
  expect(calls.dump().offers).toMatchObject({ timer: true, listening: true });
}

describe('the offer loop reacts to presence and routing status changes', () => {
  it('an agent going IDLE through the services is offered the waiting customer at once', async () => {
    const alice = (await findUserByUsername(store.db, 'alice'))!;
    await setPresence(store.db, orgId, alice.id, 'AVAILABLE');
    await customerWaits();
    expect(await services.users.setRoutingStatus(orgId, alice.id, 'IDLE')).toBe(true);
    // The INVITE stays pending (never answered), so wait for it rather than for idle().
    await expect.poll(() => invites.length, { timeout: 5000, interval: 5 }).toBe(1);
    expect(invites[0]?.target).toContain('alice');
    expect(calls.dump().offers).toMatchObject({ statusKicks: 1 });
  });

  it('an IDLE agent becoming AVAILABLE is offered at once; changes that cannot route do not kick', async () => {
    const alice = (await findUserByUsername(store.db, 'alice'))!;
    await services.users.setRoutingStatus(orgId, alice.id, 'IDLE'); // before any customer: nothing to do
    await customerWaits();
    await services.users.setPresence(orgId, alice.id, 'BUSY');
    await services.users.setRoutingStatus(orgId, alice.id, 'OFF_QUEUE');
    await calls.idle();
    expect(calls.dump().offers).toMatchObject({ statusKicks: 0 });
    await services.users.setRoutingStatus(orgId, alice.id, 'IDLE');
    await calls.idle();
    expect(invites).toEqual([]); // IDLE but BUSY: not routable
    await services.users.setPresence(orgId, alice.id, 'AVAILABLE');
    await expect.poll(() => invites.length, { timeout: 5000, interval: 5 }).toBe(1);
  });

  it('a user of another org or an unknown id changes nothing and announces nothing', async () => {
    await customerWaits();
    expect(await services.users.setRoutingStatus('other-org', 'nobody', 'IDLE')).toBe(false);
    expect(services.users.dump().changes).toBe(0);
  });

  it('close() stops listening', async () => {
    await customerWaits();
    expect(services.users.dump().listeners).toBe(1);
    await calls.close();
    expect(services.users.dump().listeners).toBe(0);
  });
});
