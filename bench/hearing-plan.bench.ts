/**
 * Micro-benchmark: computing the hearing plan (SPEC §3) of a 5-party conversation — a customer in a
 * conference with two agents, a monitor on the customer and a coach on one agent. Target ≤ 2 µs per plan.
 * Prints its figures and, last, one JSON line.
 */
import { ConversationScenario } from '../src/center/conversation-scenario.js';
import { hearingPlan } from '../src/center/hearing-plan.js';

const s = new ConversationScenario().agentAnswers('alice');
s.do(
  {
    type: 'consult.start',
    participantId: s.id('customer'),
    target: { kind: 'user', userId: 'u-bob', name: 'bob' },
  },
  'bob',
);
s.do({ type: 'answer', participantId: s.id('bob') }).do({ type: 'conference' });
s.supervise('sam', 'monitor', 'customer').supervise('cora', 'coach', 'bob');
const state = s.state;
const live = state.participants.filter((p) => p.state === 'connected').length;
if (live !== 5) throw new Error(`expected 5 connected parties, got ${live}`);

let sink = 0;
function round(n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += hearingPlan(state).legs.length;
  return Number(process.hrtime.bigint() - t0) / n;
}

round(200_000); // warm-up (JIT)
const rounds: number[] = [];
for (let r = 0; r < 7; r++) rounds.push(round(500_000));
rounds.sort((a, b) => a - b);
const median = rounds[Math.floor(rounds.length / 2)]!;
const best = rounds[0]!;

console.log(`hearing plan, 5 parties (${state.participants.length} participants incl. acd):`);
console.log(`  median ${median.toFixed(0)} ns/plan, best ${best.toFixed(0)} ns/plan over 7 × 500,000 plans`);
console.log(`  target ≤ 2,000 ns/plan: ${median <= 2000 ? 'met' : 'MISSED'}  (checksum ${sink})`);
for (const leg of hearingPlan(state).legs) {
  console.log(
    `  ${s.label(leg.participantId)} hears [${leg.hears.map((id) => s.label(id)).join(', ')}] + ${leg.system}`,
  );
}
console.log(
  JSON.stringify({
    bench: 'hearing-plan',
    nsPerPlan: Math.round(median),
    bestNsPerPlan: Math.round(best),
    parties: 5,
  }),
);
