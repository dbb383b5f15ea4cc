/**
 * Opens the store: SQLite (better-sqlite3) for a file path, PostgreSQL (pg) for a `postgres://`
 * URL, and runs the timestamped migrations (up) at start.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  type SqliteDatabase as KyselySqliteDatabase,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type SqliteStatement,
  sql,
} from 'kysely';
import pg from 'pg';
import * as initial from './migrations/20260101T000000-initial.js';
import * as trunkCredentials from './migrations/20261129T000000-trunk-credentials.js';
import type { Database } from './tables.js';

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** PostgreSQL: the schema in use, if not the default. */
  readonly schema: string | undefined;
  /** Closes the connection(s); idempotent. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** SQLite file path (or `:memory:`), or a `postgres://` URL. */
  readonly url: string;
  /** PostgreSQL only: the schema to use (created if missing); tests use one per run. */
  readonly schema?: string;
  /** Run pending migrations (default true). */
  readonly migrate?: boolean;
}

/** Every migration, by timestamped name; order is by name. */
const MIGRATIONS: Record<string, Migration> = {
  '20260101T000000-initial': initial,
  '20261129T000000-trunk-credentials': trunkCredentials,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const dialect: Dialect = isPostgresUrl(options.url) ? 'postgres' : 'sqlite';
  let db: Db;
  if (dialect === 'postgres') {
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema))
      throw new Error(`bad schema name ${schema}`);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } else {
    if (options.url !== ':memory:') mkdirSync(dirname(options.url), { recursive: true });
    const file = new SqliteDatabase(options.url);
    file.pragma('journal_mode = WAL');
    file.pragma('foreign_keys = ON');
    file.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(file) }) });
  }
  if (options.migrate !== false) await migrateToLatest(db, options.schema);
  let closed = false;
  return {
    db,
    dialect,
    schema: options.schema,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** How many prepared SQLite statements are kept for reuse (distinct SQL texts; Kysely's are few). */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 with its prepared statements reused by SQL text: Kysely's driver calls
 * `prepare` for every query, and preparing (parsing and planning) costs more than running most of
 * ours. A statement still busy (an unfinished `iterate`) is not shared: that query gets a fresh
 * one. SQLite re-prepares a cached statement by itself after a schema change. The oldest entry
 * goes when the cache is full (texts with variable `in (…)` lists could otherwise grow it).
 */
export function reusingStatements(
  file: SqliteDatabase.Database,
  max = STATEMENT_CACHE_SIZE,
): KyselySqliteDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      cache.clear();
      file.close();
    },
    prepare(text: string): SqliteStatement {
      const cached = cache.get(text);
      if (cached && !cached.busy) return cached;
      const stmt = file.prepare(text);
      if (!cached) {
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/** Runs every pending migration's `up`; throws the first failure. */
export async function migrateToLatest(db: Db, schema?: string): Promise<string[]> {
  const migrator = newMigrator(db, schema);
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).map((r) => r.migrationName);
}

/** Runs the latest applied migration's `down`; returns its name (none: nothing to undo). */
export async function migrateDownOne(db: Db, schema?: string): Promise<string[]> {
  const { error, results } = await newMigrator(db, schema).migrateDown();
  if (error) throw error;
  return (results ?? []).map((r) => r.migrationName);
}

/** Runs every migration's `down` (tests prove they reverse cleanly). */
export async function migrateDownAll(db: Db, schema?: string): Promise<void> {
  const migrator = newMigrator(db, schema);
  for (;;) {
    const { error, results } = await migrator.migrateDown();
    if (error) throw error;
    if (!results || results.length === 0) return;
  }
}

/** Kysely's introspection sees every schema: name ours, or another run's migration table would be taken for ours. */
function newMigrator(db: Db, schema: string | undefined): Migrator {
  return new Migrator({
    db,
    provider: new StaticProvider(),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}
