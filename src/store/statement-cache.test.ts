import SqliteDatabase from 'better-sqlite3';
import { type Generated, Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { reusingStatements } from './database.js';

const opened: SqliteDatabase.Database[] = [];
function file(): SqliteDatabase.Database {
  const f = new SqliteDatabase(':memory:');
  f.exec('create table t (id integer primary key, v text)');
  f.exec("insert into t (v) values ('a'), ('b'), ('c')");
  opened.push(f);
  return f;
}
afterEach(() => {
  for (const f of opened.splice(0)) if (f.open) f.close();
});

describe('reusingStatements (SQLite prepared statements reused by SQL text)', () => {
  it('hands back the same statement for the same text, another for another text', () => {
    const db = reusingStatements(file());
    const a = db.prepare('select v from t where id = ?');
    expect(db.prepare('select v from t where id = ?')).toBe(a);
    expect(db.prepare('select v from t where id > ?')).not.toBe(a);
    expect(a.all([2])).toEqual([{ v: 'b' }]);
    expect(a.all([3])).toEqual([{ v: 'c' }]);
  });

  it('does not share a statement that is still iterating', () => {
    const db = reusingStatements(file());
    const text = 'select v from t order by id';
    const outer = db.prepare(text);
    const seen: string[] = [];
    for (const row of outer.iterate([]) as Iterable<{ v: string }>) {
      const inner = db.prepare(text);
      expect(inner).not.toBe(outer);
      seen.push(`${row.v}:${(inner.all([]) as { v: string }[]).map((r) => r.v).join('')}`);
    }
    expect(seen).toEqual(['a:abc', 'b:abc', 'c:abc']);
    expect(db.prepare(text)).toBe(outer);
  });

  it('keeps at most `max` statements, dropping the oldest', () => {
    const db = reusingStatements(file(), 2);
    const one = db.prepare('select 1');
    const two = db.prepare('select 2');
    db.prepare('select 3');
    expect(db.prepare('select 2')).toBe(two);
    expect(db.prepare('select 1')).not.toBe(one);
  });

  it('serves Kysely: writes, reads, a transaction, a schema change, a stream, then the same read again', async () => {
    const db = new Kysely<{ t: { id: Generated<number>; v: string } }>({
      dialect: new SqliteDialect({ database: reusingStatements(file()) }),
    });
    await db.insertInto('t').values({ v: 'd' }).execute();
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('t').set({ v: 'B' }).where('id', '=', 2).execute();
    });
    const read = () => db.selectFrom('t').select('v').orderBy('id').execute();
    expect((await read()).map((r) => r.v)).toEqual(['a', 'B', 'c', 'd']);
    await sql`alter table t add column w text default 'x'`.execute(db);
    expect(await sql`select * from t where id = 1`.execute(db)).toMatchObject({ rows: [{ v: 'a', w: 'x' }] });
    const streamed: string[] = [];
    for await (const row of db.selectFrom('t').select('v').orderBy('id').stream()) streamed.push(row.v);
    expect(streamed).toEqual(['a', 'B', 'c', 'd']);
    // Kysely's SQLite driver holds its one connection for a stream; the same text is reusable after.
    for await (const row of db.selectFrom('t').select('v').orderBy('id').stream()) streamed.push(row.v);
    expect(streamed).toHaveLength(8);
    expect((await read()).map((r) => r.v)).toEqual(['a', 'B', 'c', 'd']);
    await db.destroy();
  });
});
