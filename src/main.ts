/**
 * The `earshot` CLI: `earshot serve [--config FILE] [--provision FILE] [--demo]` (CONTRACT.md §1).
 * Starts the store (migrations, crash recovery, provisioning), the media engine, call control, the
 * application services, the API with notifications, and SIP (UDP + TCP on EARSHOT_SIP_HOST:PORT,
 * WebSocket on the HTTP server's `/sip`) with the store-backed registrar. SIGINT/SIGTERM shut it
 * all down gracefully (docs/operations.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from './api/app.js';
import { DEMO_PROVISIONING } from './calls/app/demo-provisioning.js';
import { applyProvisioning, parseProvisioning } from './calls/app/provisioning.js';
import { createAppServices } from './calls/app/services.js';
import { CallControl } from './calls/call-control.js';
import { recoverOpenConversations } from './calls/crash-recovery.js';
import { type SipFront, startSipFront } from './calls/sip-front.js';
import { ConfigError, type EarshotConfig, loadConfig, parseConfigFile } from './config/config.js';
import { demoAgentAccounts, demoQueueNumber, demoTrunkSource } from './demo/demo-accounts.js';
import { type DemoTraffic, startDemoTraffic } from './demo/demo-traffic.js';
import { MediaEngine } from './media/media-engine.js';
import { WebRtcGateway } from './media/webrtc/webrtc-gateway.js';
import { openStore } from './store/database.js';
import { CataloguedError } from './util/catalogued-error.js';
import { SystemClock } from './util/clock.js';

const SIP_WS_PATH = '/sip';
/** A shutdown that has not finished by then exits 1. */
const SHUTDOWN_DEADLINE_MS = 15_000;

interface Args {
  command: string;
  config?: string;
  provision?: string;
  demo: boolean;
}

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: argv[0] ?? 'serve', demo: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--demo') args.demo = true;
    else if (a === '--config' || a === '--provision') {
      const v = argv[++i];
      if (!v) fail(`earshot: ${a}: expected a file name`);
      if (a === '--config') args.config = v;
      else args.provision = v;
    } else
      fail(
        `earshot: unknown argument "${a}" (usage: earshot serve [--config FILE] [--provision FILE] [--demo])`,
      );
  }
  if (args.command !== 'serve' && args.command !== 'demo') {
    fail(`earshot: unknown command "${args.command}" (expected: serve | demo)`);
  }
  if (args.command === 'demo') args.demo = true;
  return args;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    fail(`earshot: ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** Stops with one line and exit code 1 when a part cannot start (e.g. a port already in use). */
function cannotStart(what: string, err: unknown): never {
  process.stderr.write(`earshot: cannot start ${what}: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
}

async function serve(args: Args): Promise<void> {
  let config: EarshotConfig;
  try {
    const file = args.config ? parseConfigFile(readText(args.config, '--config'), args.config) : {};
    config = loadConfig(process.env, file, args.config ?? 'config');
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const log = pino({ level: config.logLevel, base: { app: 'earshot' } });
  if (args.demo || config.demo) {
    process.stdout.write('earshot: starting the demo contact center (store, media, SIP, console) …\n');
  }
  const clock = new SystemClock();
  const store = await openStore({ url: config.db });
  const now = () => new Date(clock.now()).toISOString();
  // Crash recovery: sessions and conversations a previous run left open are ended on the timeline.
  await recoverOpenConversations(store.db, clock, log);
  try {
    if (args.demo || config.demo) await applyProvisioning(store.db, DEMO_PROVISIONING, config.sipHost, now());
    if (args.provision) {
      const doc = parseProvisioning(readText(args.provision, '--provision'), args.provision);
      await applyProvisioning(store.db, doc, config.sipHost, now());
      log.info({ file: args.provision }, 'provisioned');
    }
  } catch (err) {
    if (err instanceof CataloguedError) fail(`earshot: ${err.message}`);
    throw err;
  }

  const media = await MediaEngine.start({
    host: config.mediaHost,
    portRange: [config.rtpPorts.min, config.rtpPorts.max],
    logger: log,
  }).catch((err) => cannotStart('media (EARSHOT_RTP_PORTS)', err));
  // Browser phones: ICE + DTLS-SRTP toward the browser, one host candidate on EARSHOT_MEDIA_HOST.
  const webrtc = new WebRtcGateway({ host: config.mediaHost, clock, logger: log });
  // Call control needs the SIP UA, the UA needs the HTTP server (SIP over WebSocket), the HTTP app
  // needs the services, the services need call control: the SIP side is reached late through `sip`.
  let sip: SipFront | undefined;
  const calls = new CallControl({
    sip: {
      invite: (target, options) => {
        if (!sip) throw new Error('SIP is not started');
        return sip.ua.invite(target, options);
      },
    },
    media,
    webrtc,
    location: { lookup: (aor) => sip?.location.lookup(aor) ?? [] },
    db: store.db,
    clock,
    logger: log,
    settings: {
      sipHost: config.sipHost,
      mediaHost: config.mediaHost,
      ringTimeoutMs: config.ringTimeoutS * 1000,
    },
  });
  const services = createAppServices({
    db: store.db,
    clock,
    log,
    monitorCap: config.monitorCap,
    tokenTtlS: config.tokenTtlS,
    effects: calls,
  });
  calls.attach(services);
  let up = false;
  const app = await buildApp({
    services,
    logger: log,
    sipRealm: config.sipHost,
    webDist: join(import.meta.dirname, '..', 'web', 'dist'),
    healthy: () => up,
    sipWsPath: SIP_WS_PATH,
  });
  sip = await startSipFront({
    host: config.sipHost,
    port: config.sipPort,
    transports: ['udp', 'tcp', 'ws'],
    httpServer: app.server,
    db: store.db,
    clock,
    logger: log,
    algorithms: config.sipDigest,
  }).catch((err) => cannotStart('SIP (EARSHOT_SIP_HOST/EARSHOT_SIP_PORT)', err));
  const front = sip;
  front.ua.onInvite((_req, uas) => calls.handleInvite(uas));
  const address = await app
    .listen({ host: config.httpHost, port: config.httpPort })
    .catch((err) => cannotStart('HTTP (EARSHOT_HTTP_HOST/EARSHOT_HTTP_PORT)', err));
  // /healthz: 200 only now that the store, media, SIP (UDP, TCP, WS) and HTTP are all up.
  up = true;
  log.info(
    { address, sip: `${config.sipHost}:${front.ua.port}`, sipWs: SIP_WS_PATH, db: store.dialect },
    'earshot is up',
  );

  let demo: Promise<DemoTraffic | undefined> | undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    up = false;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error({}, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    try {
      // Stop taking calls (new INVITEs get 503), end every conversation and its sessions with their
      // timeline entries, BYE/CANCEL every leg and free its media.
      // The demo's simulated phones hang up and go off queue first, while SIP and the API are up.
      await (await demo)?.stop();
      await calls.close();
      await webrtc.close();
      await front.close();
      await app.close();
      await media.close();
      // Commits and audit writes in flight, then the store.
      await services.close();
      await store.close();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    log.info({}, 'earshot stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (args.demo || config.demo) {
    demo = startDemoTraffic({
      sip: { host: config.sipHost, port: front.ua.port },
      httpUrl: address,
      queueNumber: demoQueueNumber(DEMO_PROVISIONING) ?? '5000',
      trunkSource: demoTrunkSource(DEMO_PROVISIONING) ?? '127.0.0.1',
      agents: demoAgentAccounts(DEMO_PROVISIONING),
      clock,
      logger: log,
    }).catch((err: unknown) => {
      log.error({ err }, 'demo traffic did not start');
      return undefined;
    });
    printDemoBanner(address);
  }
}

/** What a newcomer needs after `npm start`: where the console is and how to log in. */
function printDemoBanner(address: string): void {
  const lines = [
    '',
    `  Earshot is up: open ${address}/ in your browser.`,
    '  Demo logins (username / password):',
    '    supervisor / supervisor   monitor and coach live calls (Performance > Interactions)',
    '    admin / admin             users, roles, phones, queues',
    '    agent1 … agent4 / agent   agent desktops (simulated agents are taking calls)',
    '  Simulated customers call the Support queue every few seconds. Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await serve(parseArgs(process.argv.slice(2)));
