import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CataloguedError } from '../util/catalogued-error.js';
import { errorCatalogue } from './center-errors.js';
import type { ConversationCommand } from './conversation-commands.js';
import { startInboundConversation, startOutboundConversation } from './conversation-start.js';
import type { ConversationRecord, ParticipantRecord, TransferTarget } from './conversation-types.js';
import { decide } from './decide.js';
import { type HearingPlan, hearingPlan } from './hearing-plan.js';
import { PERMISSIONS } from './permissions.js';

/**
 * Property tests over random command sequences (≥ 1,000 sequences per property). Commands are drawn
 * abstractly (an index instead of a participant id) and resolved against the current state, preferring
 * participants the command fits so that sequences get deep (answered agents, running sessions, consults).
 */

type Pick = { readonly i: number; readonly fit: boolean };
type Abstract =
  | { readonly t: 'offer'; readonly u: number }
  | { readonly t: 'answer' | 'no-answer' | 'hold' | 'resume' | 'disconnect'; readonly p: Pick }
  | { readonly t: 'mute'; readonly p: Pick; readonly muted: boolean }
  | { readonly t: 'transfer'; readonly p: Pick; readonly target: TransferTarget }
  | { readonly t: 'consult'; readonly p: Pick; readonly target: TransferTarget }
  | { readonly t: 'consult.complete' | 'consult.cancel' | 'conference' | 'conversation.end' }
  | {
      readonly t: 'start';
      readonly p: Pick;
      readonly mode: 'monitor' | 'coach';
      readonly u: number;
      readonly ok: boolean;
      readonly flaw: number;
      readonly cap: number | undefined;
    }
  | { readonly t: 'answered' | 'stop' | 'hung-up'; readonly p: Pick }
  | {
      readonly t: 'failed';
      readonly p: Pick;
      readonly reason: 'no-answer' | 'declined' | 'phone-unreachable';
    }
  | { readonly t: 'switch'; readonly p: Pick; readonly mode: 'monitor' | 'coach'; readonly ok: boolean };

const pick = fc.record({ i: fc.nat(7), fit: fc.boolean() });
const users = fc.nat(5);
const target: fc.Arbitrary<TransferTarget> = fc.oneof(
  users.map((u) => ({ kind: 'user' as const, userId: `u${u}`, name: `user ${u}` })),
  fc.constant({ kind: 'queue' as const, queueId: 'q2', name: 'Sales' }),
  fc.constant({ kind: 'address' as const, address: '+15550199' }),
);
const mode = fc.constantFrom('monitor' as const, 'coach' as const);

const abstractCommand: fc.Arbitrary<Abstract> = fc.oneof(
  { weight: 9, arbitrary: users.map((u) => ({ t: 'offer' as const, u })) },
  {
    weight: 24,
    arbitrary: fc.record({
      t: fc.constantFrom('answer' as const, 'no-answer' as const, 'hold' as const, 'resume' as const),
      p: pick,
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('disconnect' as const), p: pick }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('mute' as const), p: pick, muted: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('transfer' as const), p: pick, target }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('consult' as const), p: pick, target }) },
  {
    weight: 9,
    arbitrary: fc.record({
      t: fc.constantFrom('consult.complete' as const, 'consult.cancel' as const, 'conference' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'conversation.end' as const }) },
  {
    weight: 18,
    arbitrary: fc.record({
      t: fc.constant('start' as const),
      p: pick,
      mode,
      u: fc.nat(7),
      ok: fc.nat(3).map((n) => n > 0),
      flaw: fc.nat(3),
      cap: fc.option(fc.nat(3), { nil: undefined }),
    }),
  },
  {
    weight: 15,
    arbitrary: fc.record({
      t: fc.constantFrom('answered' as const, 'stop' as const, 'hung-up' as const),
      p: pick,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('failed' as const),
      p: pick,
      reason: fc.constantFrom('no-answer' as const, 'declined' as const, 'phone-unreachable' as const),
    }),
  },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('switch' as const), p: pick, mode, ok: fc.boolean() }) },
);

const isParty = (p: ParticipantRecord) => p.purpose === 'customer' || p.purpose === 'agent';
const isSup = (p: ParticipantRecord) => p.purpose === 'monitor' || p.purpose === 'coach';

/** Resolves a pick: a fitting participant when asked and possible, else any participant or an unknown id. */
function resolve(c: ConversationRecord, p: Pick, fits: (q: ParticipantRecord) => boolean): string {
  const fitting = c.participants.filter(fits);
  if (p.fit && fitting.length > 0) return fitting[p.i % fitting.length]!.id;
  const all = c.participants;
  return p.i < all.length ? all[p.i]!.id : 'ghost';
}

function concrete(c: ConversationRecord, a: Abstract): ConversationCommand {
  const perms = [PERMISSIONS.monitor, PERMISSIONS.coach];
  switch (a.t) {
    case 'offer':
      return { type: 'offer', userId: `u${a.u}`, name: `user ${a.u}` };
    case 'answer':
    case 'no-answer':
      return { type: a.t, participantId: resolve(c, a.p, (q) => isParty(q) && q.state === 'alerting') };
    case 'hold':
    case 'resume':
      return {
        type: a.t,
        participantId: resolve(c, a.p, (q) => q.purpose === 'agent' && q.state === 'connected'),
      };
    case 'disconnect':
      return { type: a.t, participantId: resolve(c, a.p, (q) => q.state !== 'disconnected') };
    case 'mute':
      return { type: 'mute', participantId: resolve(c, a.p, (q) => q.state === 'connected'), muted: a.muted };
    case 'transfer':
      return {
        type: 'transfer',
        participantId: resolve(c, a.p, (q) => q.purpose === 'agent'),
        target: a.target,
      };
    case 'consult':
      return {
        type: 'consult.start',
        participantId: resolve(c, a.p, (q) => q.purpose === 'customer' && q.state === 'connected'),
        target: a.target.kind === 'queue' ? { kind: 'address', address: '+1' } : a.target,
      };
    case 'consult.complete':
    case 'consult.cancel':
    case 'conference':
    case 'conversation.end':
      return { type: a.t };
    case 'start': {
      const flawed = a.ok
        ? {}
        : [{ permissions: [] }, { presence: 'AWAY' as const }, { selectedPhone: undefined }, { busy: true }][
            a.flaw
          ]!;
      return {
        type: 'supervision.start',
        mode: a.mode,
        targetParticipantId: resolve(c, a.p, (q) => isParty(q) && q.state !== 'disconnected'),
        supervisor: {
          userId: `u${a.u}`,
          name: `sup ${a.u}`,
          permissions: perms,
          presence: 'AVAILABLE',
          selectedPhone: { id: `ph${a.u}`, kind: 'sip' },
          busy: false,
          ...flawed,
        },
        ...(a.cap === undefined ? {} : { monitorCap: a.cap }),
      };
    }
    case 'answered':
      return {
        type: 'supervision.answered',
        participantId: resolve(c, a.p, (q) => isSup(q) && q.state === 'alerting'),
      };
    case 'stop':
      return { type: 'supervision.stop', participantId: resolve(c, a.p, isSup) };
    case 'hung-up':
      return { type: 'supervision.hung-up', participantId: resolve(c, a.p, isSup) };
    case 'failed':
      return { type: 'supervision.failed', participantId: resolve(c, a.p, isSup), reason: a.reason };
    case 'switch':
      return {
        type: 'supervision.switch',
        participantId: resolve(c, a.p, isSup),
        mode: a.mode,
        permissions: a.ok ? perms : [],
      };
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const scenario = fc.record({
  outbound: fc.boolean(),
  commands: fc.array(abstractCommand, { minLength: 5, maxLength: 30, size: 'max' }),
});
type Scenario = { outbound: boolean; commands: Abstract[] };

/**
 * Runs a scenario. Every state is deep-frozen, so a decision that mutated its input would throw a
 * TypeError (not catalogued) and fail. Refusals must be catalogued domain errors and leave the state
 * as it was (it is frozen, and the next step continues from it). `check` runs on every state.
 */
function run(s: Scenario, check: (c: ConversationRecord, plan: HearingPlan) => void): void {
  let n = 0;
  const env = { now: 0, newId: () => `id${++n}` };
  let c = deepFreeze(
    s.outbound
      ? startOutboundConversation(
          { orgId: 'o', agent: { userId: 'u0', name: 'agent 0' }, address: '+1555' },
          env,
        ).conversation
      : startInboundConversation(
          { orgId: 'o', customer: { name: 'customer' }, queue: { id: 'q', name: 'Q' } },
          env,
        ).conversation,
  );
  check(c, hearingPlan(c));
  for (const a of s.commands) {
    const command = concrete(c, a);
    try {
      c = deepFreeze(decide(c, command, { now: env.now++, newId: env.newId }).conversation);
    } catch (err) {
      if (!(err instanceof CataloguedError) || !(err.code in errorCatalogue)) throw err;
    }
    check(c, hearingPlan(c));
  }
}

const byId = (c: ConversationRecord, id: string) => c.participants.find((p) => p.id === id);

/** A cheap assertion for the per-state checks (expect() is slow inside 1,000 × 30 steps). */
function ok(cond: boolean, what: string, c: ConversationRecord): void {
  if (!cond) throw new Error(`${what}\n${JSON.stringify(c, null, 1)}\n${JSON.stringify(hearingPlan(c))}`);
}
const RUNS = { numRuns: 1000 };

describe('hearing rule properties over random command sequences', () => {
  it('a monitor is never heard by anyone', () => {
    fc.assert(
      fc.property(scenario, (s) =>
        run(s, (c, plan) => {
          for (const leg of plan.legs)
            for (const id of leg.hears) expect(byId(c, id)?.purpose).not.toBe('monitor');
        }),
      ),
      RUNS,
    );
  });

  it('the customer never hears a coach; a coach is heard only by the agent it coaches', () => {
    fc.assert(
      fc.property(scenario, (s) =>
        run(s, (c, plan) => {
          for (const leg of plan.legs) {
            for (const id of leg.hears) {
              const speaker = byId(c, id)!;
              if (speaker.purpose === 'coach') {
                ok(byId(c, leg.participantId)?.purpose !== 'customer', 'customer hears a coach', c);
                ok(speaker.coachedParticipantId === leg.participantId, 'coach heard by another', c);
              }
            }
          }
        }),
      ),
      RUNS,
    );
  });

  it('nobody hears their own voice; only connected, unmuted voices are heard', () => {
    fc.assert(
      fc.property(scenario, (s) =>
        run(s, (c, plan) => {
          for (const leg of plan.legs) {
            ok(!leg.hears.includes(leg.participantId), 'hears itself', c);
            for (const id of leg.hears) {
              const sp = byId(c, id)!;
              ok(!sp.muted, 'muted voice heard', c);
              ok(sp.state === 'connected' || sp.state === 'held', 'voice of a party not on the call', c);
            }
          }
        }),
      ),
      RUNS,
    );
  });

  it('a held party hears no voice (music only); supervisors never hear system audio', () => {
    fc.assert(
      fc.property(scenario, (s) =>
        run(s, (c, plan) => {
          for (const leg of plan.legs) {
            const l = byId(c, leg.participantId)!;
            if (l.state === 'held')
              ok(leg.hears.length === 0 && leg.system === 'music', 'held party hears', c);
            if (isSup(l)) ok(leg.system === 'none', 'supervisor hears system audio', c);
          }
        }),
      ),
      RUNS,
    );
  });

  it('the plan is the same when computed twice (and on a copy of the state)', () => {
    fc.assert(
      fc.property(scenario, (s) =>
        run(s, (c, plan) => {
          const again = JSON.stringify(plan);
          ok(JSON.stringify(hearingPlan(c)) === again, 'plan differs on recompute', c);
          ok(
            JSON.stringify(hearingPlan(JSON.parse(JSON.stringify(c)))) === again,
            'plan differs on a copy',
            c,
          );
        }),
      ),
      RUNS,
    );
  });

  it('no command sequence throws anything but a catalogued domain error, and refusals change nothing', () => {
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        let n = 0;
        let c = startInboundConversation(
          { orgId: 'o', customer: { name: 'c' }, queue: { id: 'q', name: 'Q' } },
          { now: 0, newId: () => `id${++n}` },
        ).conversation;
        for (const a of s.commands) {
          const before = JSON.stringify(c);
          try {
            c = decide(c, concrete(c, a), { now: 1, newId: () => `id${++n}` }).conversation;
            accepted++;
          } catch (err) {
            if (!(err instanceof CataloguedError) || !(err.code in errorCatalogue)) throw err;
            ok(JSON.stringify(c) === before, 'a refusal changed the state', c);
            refused++;
          }
        }
      }),
      RUNS,
    );
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('the generator reaches the interesting states (so the properties above can fail)', () => {
  it('connected monitors hearing two voices, coaches heard by agents, held customers, consults', () => {
    const seen = { monitorHearsTwo: 0, coachHeard: 0, heldCustomer: 0, consult: 0, ended: 0 };
    fc.assert(
      fc.property(scenario, (s) =>
        run(s, (c, plan) => {
          if (c.consult) seen.consult++;
          if (c.state === 'ended') seen.ended++;
          for (const leg of plan.legs) {
            const l = byId(c, leg.participantId)!;
            if (l.purpose === 'monitor' && leg.hears.length >= 2) seen.monitorHearsTwo++;
            if (l.purpose === 'customer' && l.state === 'held') seen.heldCustomer++;
            if (l.purpose === 'agent' && leg.hears.some((id) => byId(c, id)?.purpose === 'coach'))
              seen.coachHeard++;
          }
        }),
      ),
      { numRuns: 300, seed: 42 },
    );
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(10);
  });
});
