/**
 * The unit of work: several repository calls that happen together or not at all.
 *
 * On SQLite a new transaction begins IMMEDIATE: it takes the write lock before its first read,
 * waiting up to the busy timeout; a deferred one that read first and then writes fails at once
 * (SQLITE_BUSY, no waiting) when another process wrote in between. On PostgreSQL it is one
 * pooled client's transaction. Inside a transaction already, `fn` simply joins it.
 */
import { type Kysely, type Transaction, sql } from 'kysely';
import type { Dialect } from './open.js';
import type { Database } from './schema.js';

/** What a repository runs its statements on: the store's pool, or a unit of work's transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** SQLite connections inside `atomically`'s own BEGIN IMMEDIATE (Kysely does not see them as transactions). */
const immediate = new WeakSet<Executor>();

/**
 * Runs `fn` atomically: inside the caller's transaction when given one, else in a new one. On
 * SQLite the new one begins IMMEDIATE: a deferred transaction that read first and then writes
 * fails at once (SQLITE_BUSY, no waiting) when another process wrote in between.
 */
export async function atomically<T>(ex: Executor, dialect: Dialect, fn: (trx: Executor) => Promise<T>): Promise<T> {
  if (ex.isTransaction || immediate.has(ex)) return fn(ex);
  if (dialect === 'postgres') return ex.transaction().execute(fn);
  return ex.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    immediate.add(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw e;
    } finally {
      immediate.delete(conn);
    }
  });
}

