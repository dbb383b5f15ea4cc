import type { Logger } from 'pino';
import { SipUserAgent } from '../sip/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { DemoApiClient } from './demo-api-client.js';
import { exponential, type Random } from './demo-random.js';
import { type AgentBehaviour, AgentState, SimulatedAgent } from './simulated-agent.js';
import { CustomerState, SimulatedCustomer } from './simulated-customer.js';
import { loadVoices, type VoiceLibrary } from './voice-library.js';

export interface DemoAgentAccount {
  /** Console login (CONTRACT.md §1: `agent1`…`agent4` / `agent`). */
  readonly username: string;
  readonly password: string;
  /** The agent's `sip` phone credentials (provisioning's `sipUser` / `sipPassword`). */
  readonly sipUser: string;
  readonly sipPassword: string;
}

export interface DemoTrafficOptions {
  /** Earshot's SIP address (EARSHOT_SIP_HOST and the port actually bound). */
  readonly sip: { readonly host: string; readonly port: number };
  /** Earshot's HTTP base URL, e.g. `http://127.0.0.1:8080`: agents go on queue, hold and transfer through it. */
  readonly httpUrl: string;
  /** The queue customers call (CONTRACT.md §3: `sip:<number>@<EARSHOT_SIP_HOST>`). */
  readonly queueNumber: string;
  /** The address customers call from: one of the trunk's inbound allow list (default 127.0.0.1). */
  readonly trunkSource?: string;
  readonly agents: readonly DemoAgentAccount[];
  /** Mean arrival rate (default 4 per minute). */
  readonly callsPerMinute?: number;
  /** At most this many customers in progress at once (default 3). */
  readonly maxConcurrentCalls?: number;
  /** The first customer calls this soon after the agents are ready (default 2 s). */
  readonly firstCallAfterMs?: number;
  /** A customer hangs up at the latest this long after being answered (default 150 s). */
  readonly patienceMs?: number;
  readonly agentBehaviour?: Partial<AgentBehaviour>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random?: Random;
  /** Default: assets/voices. */
  readonly voices?: VoiceLibrary;
}

export interface DemoTraffic {
  /** Hangs up every call (BYE), unregisters every phone, closes every socket and timer. Idempotent. */
  stop(): Promise<void>;
  dump(): Record<string, unknown>;
  readonly agents: readonly SimulatedAgent[];
  /** Customers currently in progress (calling or talking). */
  readonly customers: ReadonlySet<SimulatedCustomer>;
}

/**
 * The demo contact center's traffic: one simulated agent per account (a registered SIP phone that
 * goes on queue), and simulated customers arriving through the trunk at `callsPerMinute` (Poisson),
 * at most `maxConcurrentCalls` at once, the first within a few seconds. When an agent hangs up, the
 * customer it talked to says goodbye and hangs up too.
 */
export async function startDemoTraffic(o: DemoTrafficOptions): Promise<DemoTraffic> {
  const log = o.logger.child({ module: 'demo.traffic' });
  const clock = o.clock;
  const random = o.random ?? Math.random;
  const voices = o.voices ?? loadVoices();
  const callsPerMinute = o.callsPerMinute ?? 4;
  const maxConcurrent = o.maxConcurrentCalls ?? 3;
  const customers = new Set<SimulatedCustomer>();
  const timers = new Set<TimerHandle>();
  let placed = 0;
  let failed = 0;
  let stopping: Promise<void> | undefined;
  let arrival: TimerHandle | undefined;

  const later = (ms: number, fn: () => void) => {
    const h = clock.setTimer(ms, () => {
      timers.delete(h);
      fn();
    });
    timers.add(h);
  };

  const agents: SimulatedAgent[] = o.agents.map(
    (a) =>
      new SimulatedAgent({
        username: a.username,
        sipUser: a.sipUser,
        sipPassword: a.sipPassword,
        sip: o.sip,
        api: new DemoApiClient(o.httpUrl, a.username, a.password),
        voices,
        clock,
        logger: o.logger,
        random,
        ...(o.agentBehaviour ? { behaviour: o.agentBehaviour } : {}),
        pickTransferTarget: () => pickTransferTarget(a.username),
      }),
  );
  function pickTransferTarget(self: string): string | undefined {
    const ready = agents.filter((x) => x.username !== self && x.state === AgentState.Ready && x.userId);
    return ready[Math.floor(random() * ready.length)]?.userId;
  }

  // The trunk: one UA on the trunk source address places every customer call.
  const trunk = await SipUserAgent.start({
    host: o.trunkSource ?? '127.0.0.1',
    port: 0,
    transports: ['udp'],
    clock,
    logger: o.logger,
    userAgent: 'Earshot-demo-trunk',
  });

  for (const agent of agents) {
    agent.on('ended', (info) => {
      if (info.reason === 'transferred' || info.reason === 'closed' || !info.customerAddress) return;
      // The agent said goodbye: the customer hangs up a moment later.
      for (const c of customers)
        if (c.address === info.customerAddress && c.state === CustomerState.Talking)
          later(800 + random() * 1200, () => void c.hangUp());
    });
  }
  const started = await Promise.allSettled(agents.map((a) => a.start()));
  started.forEach((r, i) => {
    if (r.status === 'rejected')
      log.warn({ err: r.reason, agent: agents[i]?.username }, 'agent did not start');
  });

  function placeCall(): void {
    if (stopping || customers.size >= maxConcurrent) return;
    placed++;
    const number = `+1555${String(100_000 + Math.floor(random() * 900_000))}`;
    const customer = new SimulatedCustomer({
      ua: trunk,
      target: `sip:${o.queueNumber}@${o.sip.host}`,
      destination: o.sip,
      number,
      name: `Customer ${number.slice(-4)}`,
      voices,
      clock,
      logger: o.logger,
      patienceMs: o.patienceMs ?? 150_000,
    });
    customers.add(customer);
    customer.once('ended', () => customers.delete(customer));
    customer.dial().catch((err: unknown) => {
      failed++;
      customers.delete(customer);
      if (!stopping) log.warn({ err }, 'customer call failed');
    });
  }

  function scheduleArrival(ms: number): void {
    arrival = clock.setTimer(ms, () => {
      arrival = undefined;
      placeCall();
      if (!stopping) scheduleArrival(exponential(random, 60_000 / callsPerMinute));
    });
  }
  // Fill the floor quickly so the supervisor finds live calls at once: the first calls a second apart.
  const first = o.firstCallAfterMs ?? 2_000;
  for (let i = 1; i < Math.min(maxConcurrent, 2); i++) later(first + i * 1_500, placeCall);
  scheduleArrival(first);
  log.info({ agents: agents.length, callsPerMinute, maxConcurrent }, 'demo traffic started');

  return {
    agents,
    customers,
    stop() {
      stopping ??= (async () => {
        clock.clearTimer(arrival);
        arrival = undefined;
        for (const h of timers) clock.clearTimer(h);
        timers.clear();
        await Promise.allSettled([...customers].map((c) => c.hangUp()));
        await Promise.allSettled(agents.map((a) => a.close()));
        await trunk.close();
        log.info({ placed, failed }, 'demo traffic stopped');
      })();
      return stopping;
    },
    dump() {
      return {
        stopped: stopping !== undefined,
        placed,
        failed,
        arrivalArmed: arrival !== undefined,
        timers: timers.size,
        customers: [...customers].map((c) => c.dump()),
        agents: agents.map((a) => a.dump()),
        trunk: { dialogs: trunk.dialogs.length },
      };
    },
  };
}
