/**
 * The dialects every store test runs on: SQLite (in memory) and PostgreSQL at 127.0.0.1:5432
 * (trust auth, database `test`, user `postgres`), each PostgreSQL run in a unique schema dropped
 * afterwards so parallel runs never collide.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/database.js';

export const PG_URL = process.env.EARSHOT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface DialectFixture {
  readonly name: 'sqlite' | 'postgres';
  open(): Promise<Store>;
  /** Closes the store and drops what the run created. */
  dispose(store: Store): Promise<void>;
}

export function uniqueSchema(): string {
  return `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export const DIALECTS: readonly DialectFixture[] = [
  {
    name: 'sqlite',
    open: () => openStore({ url: ':memory:' }),
    dispose: (s) => s.close(),
  },
  (() => {
    const schemas = new Map<Store, string>();
    return {
      name: 'postgres' as const,
      async open() {
        const schema = uniqueSchema();
        const s = await openStore({ url: PG_URL, schema });
        schemas.set(s, schema);
        return s;
      },
      async dispose(s: Store) {
        const schema = schemas.get(s);
        if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(s.db);
        await s.close();
      },
    };
  })(),
];
