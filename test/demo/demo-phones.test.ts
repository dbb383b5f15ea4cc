/**
 * The demo's simulated phones on real sockets, without call control: an agent registers with digest
 * to Earshot's registrar (the SIP front over the demo org's store) and a customer calls that agent's
 * phone directly. Both must hear each other's recorded voice, and hang-ups must end both sides.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROVISIONING } from '../../src/calls/app/demo-provisioning.js';
import { applyProvisioning } from '../../src/calls/app/provisioning.js';
import { type SipFront, startSipFront } from '../../src/calls/sip-front.js';
import type { DemoApiClient } from '../../src/demo/demo-api-client.js';
import { seededRandom } from '../../src/demo/demo-random.js';
import { AgentState, SimulatedAgent } from '../../src/demo/simulated-agent.js';
import { CustomerState, SimulatedCustomer } from '../../src/demo/simulated-customer.js';
import { loadVoices, type VoiceLibrary } from '../../src/demo/voice-library.js';
import { SipUserAgent } from '../../src/sip/index.js';
import { openStore, type Store } from '../../src/store/database.js';
import { SystemClock } from '../../src/util/clock.js';

const HOST = '127.0.0.1';
const log = pino({ level: process.env.DEMO_TEST_LOG ?? 'silent' });
const clock = new SystemClock();
const dir = mkdtempSync(join(tmpdir(), 'earshot-demo-phones-'));
let store: Store;
let front: SipFront;
let trunk: SipUserAgent;

/** The real recordings, cut to their first 0.6 s so that turns come quickly. */
function shortVoices(): VoiceLibrary {
  const v = loadVoices();
  const cut = (b: Uint8Array) => b.subarray(1600, 1600 + 4800);
  return { customer: v.customer.map(cut), agent: v.agent.map(cut) };
}
const voices = shortVoices();

async function until(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  store = await openStore({ url: join(dir, 'demo.db') });
  await applyProvisioning(store.db, DEMO_PROVISIONING, HOST, new Date().toISOString());
  front = await startSipFront({ host: HOST, port: 0, db: store.db, clock, logger: log, transports: ['udp'] });
  trunk = await SipUserAgent.start({ host: HOST, port: 0, transports: ['udp'], clock, logger: log });
});
afterAll(async () => {
  await trunk?.close();
  await front?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const agentFor = (username: string, password: string, talkMs: number) =>
  new SimulatedAgent({
    username,
    sipUser: username,
    sipPassword: password,
    sip: { host: HOST, port: front.ua.port },
    voices,
    clock,
    logger: log,
    random: seededRandom(1),
    behaviour: { talkMs: [talkMs, talkMs] },
  });

const customerTo = (agent: SimulatedAgent, patienceMs = 60_000) =>
  new SimulatedCustomer({
    ua: trunk,
    target: `sip:5000@${HOST}`,
    destination: { host: HOST, port: agent.sipPort as number },
    number: '+15550001234',
    name: 'Test Customer',
    voices,
    clock,
    logger: log,
    patienceMs,
  });

describe('simulated agent phone', () => {
  it('registers with digest at the registrar and unregisters on close', async () => {
    const agent = agentFor('agent1', 'agent1', 60_000);
    await agent.start();
    expect(agent.state).toBe(AgentState.Ready);
    const bindings = front.location.lookup(`sip:agent1@${HOST}`);
    expect(bindings).toHaveLength(1);
    expect(bindings[0]?.contact).toContain(`:${agent.sipPort}`);
    await agent.close();
    await agent.close();
    expect(agent.state).toBe(AgentState.Closed);
    expect(front.location.lookup(`sip:agent1@${HOST}`)).toHaveLength(0);
    expect(agent.dump()).toMatchObject({ state: 'closed', timers: 0, ua: { dialogs: 0 } });
  });

  it('a wrong SIP password is refused: DEMO_REGISTRATION_FAILED and no binding', async () => {
    const agent = agentFor('agent2', 'wrong', 60_000);
    await expect(agent.start()).rejects.toMatchObject({ code: 'DEMO_REGISTRATION_FAILED' });
    expect(front.location.lookup(`sip:agent2@${HOST}`)).toHaveLength(0);
    await agent.close();
  });
});

describe('simulated agent on queue', () => {
  it('goes on queue through the API, and back to IDLE when the server marked it NOT_RESPONDING', async () => {
    const calls: string[] = [];
    let status = 'IDLE';
    const api = {
      userId: 'u1',
      login: async () => {
        calls.push('login');
        return 'u1';
      },
      setPresence: async (p: string) => calls.push(`presence ${p}`),
      setRoutingStatus: async (s: string) => {
        calls.push(`routing ${s}`);
        status = s;
      },
      me: async () => ({ id: 'u1', presence: 'AVAILABLE', routingStatus: status }),
    } as unknown as DemoApiClient;
    const agent = new SimulatedAgent({
      username: 'agent1',
      sipUser: 'agent1',
      sipPassword: 'agent1',
      sip: { host: HOST, port: front.ua.port },
      api,
      voices,
      clock,
      logger: log,
      random: seededRandom(1),
      behaviour: { watchdogMs: 30 },
    });
    await agent.start();
    expect(calls).toEqual(['login', 'presence AVAILABLE', 'routing IDLE']);
    status = 'NOT_RESPONDING'; // an offer that was not answered in time
    await until('the agent to go back on queue', () => calls.length >= 4);
    expect(calls[3]).toBe('routing IDLE');
    await agent.close();
    expect(calls.at(-1)).toBe('routing OFF_QUEUE');
    expect(agent.dump()).toMatchObject({ timers: 0 });
  });
});

describe('a simulated customer calling a simulated agent', () => {
  it('both hear speech; the agent hangs up after its talk time and the customer call ends with it', async () => {
    const agent = agentFor('agent3', 'agent3', 2500);
    await agent.start();
    const ended = new Promise<unknown>((resolve) => agent.once('ended', resolve));
    const customer = customerTo(agent);
    await customer.dial();
    expect(customer.state).toBe(CustomerState.Talking);
    expect(agent.state).toBe(AgentState.Talking);
    const heard = customer.playing;
    await until('the customer to hear the agent', () => (heard?.speechFramesReceived ?? 0) >= 10);
    const agentCall = agent.dump().call as { stream: { speechFramesReceived: number } } | undefined;
    await until(
      'the agent to hear the customer',
      () => ((agent.dump().call as typeof agentCall)?.stream.speechFramesReceived ?? 0) >= 10,
    );
    expect(await ended).toMatchObject({ agent: 'agent3', reason: 'local-hangup' });
    await until('the customer to see the BYE', () => customer.state === CustomerState.Ended);
    expect(customer.endReason).toBe('remote-hangup');
    expect(agent.state).toBe(AgentState.Ready);
    expect(heard?.isClosed).toBe(true);
    expect(trunk.dialogs).toHaveLength(0);
    await agent.close();
  });

  it('the customer hangs up when out of patience; the agent is ready for the next call', async () => {
    const agent = agentFor('agent4', 'agent4', 60_000);
    await agent.start();
    const ended = new Promise<unknown>((resolve) => agent.once('ended', resolve));
    const customer = customerTo(agent, 300);
    await customer.dial();
    expect(await ended).toMatchObject({ reason: 'remote-hangup' });
    expect(customer.endReason).toBe('local-hangup');
    expect(agent.state).toBe(AgentState.Ready);
    // A second call is answered too.
    const again = customerTo(agent, 60_000);
    await again.dial();
    expect(agent.state).toBe(AgentState.Talking);
    // close() hangs up the live call with a BYE.
    await agent.close();
    await until('the customer to see the BYE', () => again.state === CustomerState.Ended);
    expect(again.endReason).toBe('remote-hangup');
    expect(agent.dump()).toMatchObject({ call: undefined, timers: 0, ua: { dialogs: 0 } });
  });

  it('a second INVITE while talking is refused with 486', async () => {
    const agent = agentFor('agent1', 'agent1', 60_000);
    await agent.start();
    const first = customerTo(agent);
    await first.dial();
    const second = customerTo(agent);
    await expect(second.dial()).rejects.toMatchObject({ code: 'DEMO_CALL_FAILED' });
    expect(second.state).toBe(CustomerState.Ended);
    expect(second.endReason).toBe('failed');
    await first.hangUp();
    await agent.close();
  });
});
