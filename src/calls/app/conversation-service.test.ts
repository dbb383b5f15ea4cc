import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HearingPlan } from '../../center/index.js';
import { findConversation } from '../../store/conversation.repository.js';
import { type Db, openStore, type Store } from '../../store/database.js';
import { findQueueByNumber } from '../../store/queue.repository.js';
import { FakeClock } from '../../util/clock.js';
import type { CallSideEffects } from './call-side-effects.js';
import { ConversationService } from './conversation-service.js';
import { InProcessNotificationBus } from './notification-bus.js';
import { applyProvisioning } from './provisioning.js';

/** Records the order of plans handed to media and changes published, with what the store held. */
class RecordingEffects implements CallSideEffects {
  readonly log: string[] = [];
  readonly plans: HearingPlan[] = [];
  placeSupervisorLeg(): void {}
  releaseLeg(): void {}
  applyHearingPlan(plan: HearingPlan): void {
    this.plans.push(plan);
    this.log.push(`plan ${plan.legs.map((l) => l.participantId).join(',')}`);
  }
}

let store: Store;
let effects: RecordingEffects;
let service: ConversationService;
let orgId: string;
let queueId: string;
/** Store writes (transactions) wait for this gate while it is closed. */
let gate: { closed: boolean; open: () => void; wait: Promise<void> };

function closeGate(): void {
  let open = () => {};
  const wait = new Promise<void>((r) => {
    open = r;
  });
  gate = {
    closed: true,
    open: () => {
      gate.closed = false;
      open();
    },
    wait,
  };
}

/** The store, with transactions held at the gate (everything else passes through). */
function gated(db: Db): Db {
  return new Proxy(db, {
    get(target, prop) {
      if (prop !== 'transaction') {
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return () => {
        const tx = target.transaction();
        return {
          execute: async <T>(fn: Parameters<typeof tx.execute<T>>[0]) => {
            if (gate.closed) await gate.wait;
            return tx.execute(fn);
          },
        };
      };
    },
  });
}

beforeEach(async () => {
  store = await openStore({ url: ':memory:' });
  const clock = new FakeClock();
  ({ orgId } = await applyProvisioning(
    store.db,
    {
      org: { name: 'Acme' },
      trunks: [{ name: 'pstn', inbound: { allow: ['127.0.0.1'] }, outbound: { uri: 'sip:127.0.0.1:5080' } }],
      queues: [{ name: 'Support', number: '5000', members: [] }],
      users: [],
    },
    '127.0.0.1',
    new Date(clock.now()).toISOString(),
    1024,
  ));
  queueId = (await findQueueByNumber(store.db, '5000'))!.id;
  effects = new RecordingEffects();
  const bus = new InProcessNotificationBus();
  bus.subscribe((c) => effects.log.push(`bus ${c.events.map((e) => e.type).join(',')}`));
  gate = { closed: false, open: () => {}, wait: Promise.resolve() };
  service = new ConversationService({
    db: gated(store.db),
    clock,
    bus,
    effects,
    log: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  gate?.open();
  await service?.close();
  await store.close();
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition never held');
}

describe('ConversationService commit order', () => {
  it('hands the plan to media before the store write, publishes after it', async () => {
    const view = await service.startInbound(orgId, queueId, { name: 'Carol' });
    const customer = view.participants[0]!;
    effects.log.length = 0;
    closeGate();
    const pending = service.apply(orgId, view.id, { type: 'disconnect', participantId: customer.id });
    // The plan reaches media while the write is still held; nothing is published before it.
    await until(() => effects.log.length > 0);
    expect(effects.log).toEqual(['plan ']);
    expect((await findConversation(store.db, orgId, view.id))?.state).not.toBe('ended');
    gate.open();
    await pending;
    expect(effects.log).toEqual(['plan ', expect.stringMatching(/^bus .*participant\.left/)]);
    expect((await findConversation(store.db, orgId, view.id))?.state).toBe('ended');
  });

  it('a failed store write puts the previous plan back and publishes nothing', async () => {
    const view = await service.startInbound(orgId, queueId, { name: 'Carol' });
    const customer = view.participants[0]!;
    const before = effects.plans.at(-1)!;
    expect(before.legs.map((l) => l.participantId)).toEqual([customer.id]);
    effects.log.length = 0;
    await sql`drop table timeline_events`.execute(store.db);
    await expect(
      service.apply(orgId, view.id, { type: 'disconnect', participantId: customer.id }),
    ).rejects.toThrow();
    expect(effects.log).toEqual(['plan ', `plan ${customer.id}`]);
    expect(effects.plans.at(-1)).toEqual(before);
    // Nothing changed in memory either: the conversation is still live with its customer.
    expect(service.record(orgId, view.id)?.participants[0]?.state).toBe(customer.state);
  });
});
