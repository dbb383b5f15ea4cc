/**
 * The `earshot` CLI: `earshot serve [--config FILE] [--provision FILE] [--demo]` (CONTRACT.md §1).
 * Starts the store (migrations, crash recovery, provisioning), the application services, the API
 * with notifications, and — through the `startSip` seam — the SIP transports with the registrar.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from './api/app.js';
import { DEMO_PROVISIONING } from './calls/app/demo-provisioning.js';
import { applyProvisioning, parseProvisioning } from './calls/app/provisioning.js';
import { createAppServices } from './calls/app/services.js';
import { ConfigError, type EarshotConfig, loadConfig, parseConfigFile } from './config/config.js';
import { closeOpenConversations } from './store/conversation.repository.js';
import { openStore, type Store } from './store/database.js';
import { CataloguedError } from './util/catalogued-error.js';
import { SystemClock } from './util/clock.js';

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

/**
 * The SIP seam: when `src/sip/` has a UA core with transports, this starts SIP on
 * `EARSHOT_SIP_HOST:EARSHOT_SIP_PORT` with the registrar backed by `findSipCredentials`
 * (src/store/phone.repository.ts) and `upsertRegistration`. Not wired yet: returns `undefined`.
 */
async function startSip(
  _config: EarshotConfig,
  _store: Store,
  log: pino.Logger,
): Promise<{ close(): Promise<void> } | undefined> {
  log.warn('SIP is not wired yet (seam startSip in src/main.ts): phones cannot register in this build');
  return undefined;
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
  const clock = new SystemClock();
  const store = await openStore({ url: config.db });
  const now = () => new Date(clock.now()).toISOString();
  const recovered = await closeOpenConversations(store.db, now(), 'conversation-ended');
  if (recovered.length)
    log.warn({ count: recovered.length }, 'closed conversations left open by a previous run');
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
  const services = createAppServices({
    db: store.db,
    clock,
    log,
    monitorCap: config.monitorCap,
    tokenTtlS: config.tokenTtlS,
  });
  let up = false;
  const app = await buildApp({
    services,
    logger: log,
    sipRealm: config.sipHost,
    webDist: join(import.meta.dirname, '..', 'web', 'dist'),
    healthy: () => up,
  });
  const sip = await startSip(config, store, log);
  const address = await app.listen({ host: config.httpHost, port: config.httpPort });
  up = true;
  log.info({ address, db: store.dialect }, 'earshot is up');
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await app.close();
    await sip?.close();
    await services.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

await serve(parseArgs(process.argv.slice(2)));
