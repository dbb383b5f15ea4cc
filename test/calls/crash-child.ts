/**
 * Child process of the crash-recovery test: runs a real server on `argv[2]` (SQLite file), places a
 * customer call answered by an agent, starts a monitor, prints one JSON line with the ids and the
 * baresip pids, and waits to be killed with SIGKILL.
 */
import { acme, CallsHarness, HOST, TONES } from './harness.js';

const h = await CallsHarness.start({ dbFile: process.argv[2] as string });
await h.provision(acme(9));
await Promise.all([
  h.phone('alice', TONES.agent, { sipUser: 'alice' }),
  h.phone('sam', TONES.supervisor, { sipUser: 'sam' }),
]);
await h.available('alice', true);
await h.available('sam');
const customer = await h.phone('customer', TONES.customer);
await customer.command('dial', `sip:5000@${HOST}:${h.sipPort}`);
const cid = await h.liveConversationId();
const agent = await h.participant(cid, (p) => p.purpose === 'agent' && p.state === 'connected', 15_000);
const r = await h.api<{ participantId: string }>(
  'sam',
  'POST',
  `/conversations/calls/${cid}/participants/${agent.id}/monitor`,
  {},
);
await h.participant(cid, (p) => p.id === r.body.participantId && p.state === 'connected', 10_000);
const pids = h.peersPids();
process.stdout.write(`${JSON.stringify({ conversationId: cid, monitorId: r.body.participantId, pids })}\n`);
setInterval(() => undefined, 1 << 30);
