/**
 * The typed configuration of `earshot serve` (CONTRACT.md §1): environment variables, or the same
 * keys camelCased in a YAML/JSON `--config` file. Precedence: defaults < file < environment.
 * Pure parsing: the caller reads the file and passes its text (this module does no I/O).
 */
import { parse as parseYaml } from 'yaml';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface EarshotConfig {
  readonly httpPort: number;
  readonly httpHost: string;
  readonly sipPort: number;
  readonly sipHost: string;
  readonly mediaHost: string;
  readonly rtpPorts: { readonly min: number; readonly max: number };
  /** SQLite file path, or a `postgres://` URL. */
  readonly db: string;
  readonly logLevel: LogLevel;
  readonly ringTimeoutS: number;
  readonly demo: boolean;
  /** R7: simultaneous monitors allowed on one call. */
  readonly monitorCap: number;
  /** Lifetime of API access tokens. */
  readonly tokenTtlS: number;
  /** Digest algorithms the registrar offers, most preferred first (EARSHOT_SIP_DIGEST). */
  readonly sipDigest: readonly SipDigestAlgorithm[];
}

/** The RFC 8760 digest algorithms the registrar can offer. */
export type SipDigestAlgorithm = 'SHA-256' | 'MD5' | 'SHA-256-sess' | 'MD5-sess';
const DIGESTS: readonly SipDigestAlgorithm[] = ['SHA-256', 'MD5', 'SHA-256-sess', 'MD5-sess'];

/** A bad configuration value; `message` is the one line printed before exiting with code 2. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`earshot: ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Parser<T> = (raw: string, variable: string) => T;

const port: Parser<number> = (raw, v) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= 65535))
    throw new ConfigError(v, `expected a port 1-65535, got ${JSON.stringify(raw)}`);
  return n;
};
/** Port 0 (any free port) is allowed for HTTP and SIP so tests can bind ephemeral ports. */
const portOrZero: Parser<number> = (raw, v) => (raw === '0' ? 0 : port(raw, v));
const host: Parser<string> = (raw, v) => {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(raw))
    throw new ConfigError(v, `expected a host name or address, got ${JSON.stringify(raw)}`);
  return raw;
};
const positiveInt: Parser<number> = (raw, v) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= 1_000_000))
    throw new ConfigError(v, `expected a positive integer, got ${JSON.stringify(raw)}`);
  return n;
};
const bool: Parser<boolean> = (raw, v) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off|)$/i.test(raw)) return false;
  throw new ConfigError(v, `expected true or false, got ${JSON.stringify(raw)}`);
};
const rtpRange: Parser<{ min: number; max: number }> = (raw, v) => {
  const m = /^(\d+)-(\d+)$/.exec(raw);
  const min = m ? Number(m[1]) : Number.NaN;
  const max = m ? Number(m[2]) : Number.NaN;
  if (!(min >= 1024 && max <= 65535 && min < max)) {
    throw new ConfigError(
      v,
      `expected a port range like 20000-29999 (1024-65535), got ${JSON.stringify(raw)}`,
    );
  }
  return { min, max };
};
const digestList: Parser<SipDigestAlgorithm[]> = (raw, v) => {
  const names = raw.split(',').map((x) => x.trim());
  const bad = names.find((n) => !(DIGESTS as readonly string[]).includes(n));
  if (bad !== undefined || new Set(names).size !== names.length) {
    throw new ConfigError(
      v,
      `expected a comma-separated list of ${DIGESTS.join(', ')} without repeats, got ${JSON.stringify(raw)}`,
    );
  }
  return names as SipDigestAlgorithm[];
};
const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const logLevel: Parser<LogLevel> = (raw, v) => {
  if (!(LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(v, `expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as LogLevel;
};
const db: Parser<string> = (raw, v) => {
  if (raw.trim() === '') throw new ConfigError(v, 'expected a SQLite file path or a postgres:// URL, got ""');
  if (/^[a-z]+:\/\//i.test(raw) && !/^postgres(ql)?:\/\//i.test(raw)) {
    throw new ConfigError(v, `expected a SQLite file path or a postgres:// URL, got ${JSON.stringify(raw)}`);
  }
  return raw;
};

/** Every key: environment variable, camelCase file key, parser and default. */
const KEYS = {
  httpPort: ['EARSHOT_HTTP_PORT', portOrZero, '8080'],
  httpHost: ['EARSHOT_HTTP_HOST', host, '127.0.0.1'],
  sipPort: ['EARSHOT_SIP_PORT', portOrZero, '5060'],
  sipHost: ['EARSHOT_SIP_HOST', host, '127.0.0.1'],
  mediaHost: ['EARSHOT_MEDIA_HOST', host, undefined],
  rtpPorts: ['EARSHOT_RTP_PORTS', rtpRange, '20000-29999'],
  db: ['EARSHOT_DB', db, './data/earshot.db'],
  logLevel: ['EARSHOT_LOG_LEVEL', logLevel, 'info'],
  ringTimeoutS: ['EARSHOT_RING_TIMEOUT_S', positiveInt, '30'],
  demo: ['EARSHOT_DEMO', bool, 'false'],
  monitorCap: ['EARSHOT_MONITOR_CAP', positiveInt, '5'],
  tokenTtlS: ['EARSHOT_TOKEN_TTL_S', positiveInt, '3600'],
  sipDigest: ['EARSHOT_SIP_DIGEST', digestList, 'SHA-256,MD5'],
} as const satisfies Record<keyof EarshotConfig, readonly [string, Parser<unknown>, string | undefined]>;

export const CONFIG_VARIABLES: readonly string[] = Object.values(KEYS).map((k) => k[0]);

/** Parses a `--config` file's text (YAML is a superset of JSON) into raw string values by key. */
export function parseConfigFile(text: string, fileName: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(fileName, `not valid YAML/JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(fileName, 'expected a mapping of keys');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!(key in KEYS))
      throw new ConfigError(`${fileName}: ${key}`, `unknown key (known: ${Object.keys(KEYS).join(', ')})`);
    if (typeof value === 'object' && value !== null)
      throw new ConfigError(`${fileName}: ${key}`, 'expected a scalar');
    out[key] = String(value);
  }
  return out;
}

/**
 * Builds the configuration. `env` is `process.env` (or a test's map); `file` the output of
 * `parseConfigFile`. Throws `ConfigError` naming the first bad variable.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  file: Readonly<Record<string, string>> = {},
  fileName = 'config',
): EarshotConfig {
  const values: Record<string, unknown> = {};
  for (const [key, [variable, parser, fallback]] of Object.entries(KEYS)) {
    const fromEnv = env[variable];
    const fromFile = file[key];
    if (fromEnv !== undefined) values[key] = (parser as Parser<unknown>)(fromEnv, variable);
    else if (fromFile !== undefined)
      values[key] = (parser as Parser<unknown>)(fromFile, `${fileName}: ${key}`);
    else if (fallback !== undefined) values[key] = (parser as Parser<unknown>)(fallback, variable);
  }
  values.mediaHost ??= values.sipHost;
  return values as unknown as EarshotConfig;
}
