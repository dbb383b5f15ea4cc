import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sipUri } from '../sip/message/sip-uri.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import { listTimeline } from '../store/conversation.repository.js';
import { openStore, type Store } from '../store/database.js';
import { FakeClock } from '../util/clock.js';
import { applyProvisioning } from './app/provisioning.js';
import { type AppServices, createAppServices } from './app/services.js';
import { CallControl } from './call-control.js';

/**
 * A trunk INVITE whose conversation exists but which we have not answered yet must still get a
 * final response when its leg is released: 503 during shutdown, 480 when the conversation ended
 * for another reason; 487 (sent by the UAS) when the caller cancelled. Fake SIP and media; the
 * media engine's `createLeg` is held open so the release lands in exactly that window.
 */
const OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

class FakeUas extends EventEmitter {
  readonly finals: number[] = [];
  answered = 0;
  private done = false;
  readonly request = {
    callId: 'call-1',
    source: { address: '127.0.0.1', port: 5060 },
    uri: sipUri('sip:5000@127.0.0.1'),
    from: { displayName: 'Caller', uri: sipUri('sip:+15551234@127.0.0.1') },
  };
  readonly offer = OFFER;
  reject(status: number): void {
    if (this.done) throw new Error('already final');
    this.done = true;
    this.finals.push(status);
  }
  answer(): Promise<never> {
    if (this.done) throw new Error('already final');
    this.done = true;
    this.answered++;
    return new Promise<never>(() => undefined);
  }
  /** What the real UAS does on CANCEL: 487 to the INVITE, then the `cancel` event. */
  cancel(): void {
    this.done = true;
    this.finals.push(487);
    this.emit('cancel');
  }
}

let store: Store;
let clock: FakeClock;
let calls: CallControl;
let services: AppServices;
let orgId: string;
let media: Set<string>;
let createLegCalled: Promise<void>;
let releaseCreateLeg: () => void;

beforeEach(async () => {
  store = await openStore({ url: ':memory:' });
  clock = new FakeClock();
  media = new Set();
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
  let called!: () => void;
  createLegCalled = new Promise((r) => {
    called = r;
  });
  const gate = new Promise<void>((r) => {
    releaseCreateLeg = r;
  });
  const log = pino({ level: process.env.EARSHOT_TEST_LOG ?? 'silent' });
  calls = new CallControl({
    sip: { invite: () => new Promise(() => undefined) },
    media: {
      createLeg: async (d) => {
        media.add(d.id);
        called();
        await gate;
        return { port: 30000 };
      },
      updateLeg: async () => undefined,
      setPlan: async () => undefined,
      closeLeg: async (id) => {
        media.delete(id);
      },
    },
    location: { lookup: () => [] },
    db: store.db,
    clock,
    logger: log,
    settings: { sipHost: '127.0.0.1', mediaHost: '127.0.0.1', ringTimeoutMs: 30_000 },
  });
  services = createAppServices({ db: store.db, clock, log, monitorCap: 5, tokenTtlS: 60, effects: calls });
  calls.attach(services);
});

afterEach(async () => {
  releaseCreateLeg();
  await calls.close();
  await services.close();
  await store.close();
});

const only = () => {
  const all = [...services.conversations.records()];
  expect(all).toHaveLength(1);
  return all[0]!;
};

describe('an inbound leg released before our 200 OK gets a final response', () => {
  it('shutdown (SIGTERM) in that window: 503, never answered, conversation ended, media freed', async () => {
    const uas = new FakeUas();
    const handled = calls.handleInvite(uas as unknown as IncomingInvite);
    await createLegCalled;
    const cid = only().id;
    const closing = calls.close();
    // The release answers at once, while the media engine is still busy.
    await expect.poll(() => uas.finals, { timeout: 2000, interval: 5 }).toEqual([503]);
    releaseCreateLeg();
    await closing;
    await handled;
    expect(uas.answered).toBe(0);
    expect(uas.finals).toEqual([503]);
    expect(media.size).toBe(0);
    expect(services.conversations.record(orgId, cid)).toBeUndefined();
    const tl = (await listTimeline(store.db, orgId, cid)) ?? [];
    expect(tl.map((e) => e.type)).toContain('conversation.ended');
    expect(calls.dump().legs).toEqual([]);
  });

  it('the customer participant is disconnected (API) in that window: 480, never answered', async () => {
    const uas = new FakeUas();
    const handled = calls.handleInvite(uas as unknown as IncomingInvite);
    await createLegCalled;
    const c = only();
    const customer = c.participants.find((p) => p.purpose === 'customer')!;
    await services.conversations.apply(orgId, c.id, { type: 'disconnect', participantId: customer.id });
    await expect.poll(() => uas.finals, { timeout: 2000, interval: 5 }).toEqual([480]);
    releaseCreateLeg();
    await handled;
    await calls.idle();
    expect(uas.answered).toBe(0);
    expect(media.size).toBe(0);
    expect(calls.dump().legs).toEqual([]);
  });

  it('the caller cancels in that window: only the 487, never answered, the conversation ends', async () => {
    const uas = new FakeUas();
    const handled = calls.handleInvite(uas as unknown as IncomingInvite);
    await createLegCalled;
    const cid = only().id;
    uas.cancel();
    releaseCreateLeg();
    await handled;
    await calls.idle();
    expect(uas.answered).toBe(0);
    expect(uas.finals).toEqual([487]);
    expect(media.size).toBe(0);
    expect(services.conversations.record(orgId, cid)).toBeUndefined();
  });

  it('no release: answered once, no final error response', async () => {
    const uas = new FakeUas();
    const handled = calls.handleInvite(uas as unknown as IncomingInvite);
    await createLegCalled;
    releaseCreateLeg();
    await handled;
    expect(uas.answered).toBe(1);
    expect(uas.finals).toEqual([]);
    expect(media.size).toBe(1);
  });
});
