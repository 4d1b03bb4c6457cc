/**
 * Opening the store: a SQLite file by default, PostgreSQL for a `postgres://` URL, nothing
 * for any other scheme (see `storeLocation`).
 * Migrations run on every open; both dialects share one set of queries.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { type DatabaseConnection, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, type Driver, CompiledQuery } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { InvitoError } from '../core/errors.js';
import { DEFAULT_DB, redactUrl, storeLocation } from '../core/store-location.js';
import { busyTimeoutMs } from './faults.js';
import { migrate, pendingMigrations } from './migrations.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface StoreHandle {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data lives, without credentials (for messages). */
  readonly location: string;
  /**
   * The SQLite connection under Kysely, for bulk writes that run Kysely-compiled SQL as
   * prepared statements (a 10-million-row import cannot afford to re-prepare every batch).
   */
  readonly sqlite: SQLite.Database | null;
  close(): Promise<void>;
}

/**
 * Kysely's SQLite driver prepares every statement anew; on the send path (a handful of short
 * queries per message) preparing costs as much as running. This keeps prepared statements by
 * their SQL — Kysely's SQL for a query shape is stable, values are parameters — and prepares a
 * fresh one only when the cached one is still being iterated (a streamed query).
 */
function cachingStatements(sqlite: SQLite.Database): { prepare(sql: string): SQLite.Statement; close(): void } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached && !cached.busy) return cached;
      const stmt = sqlite.prepare(sql);
      if (!cached) {
        // Bounded: shapes with IN-lists of varying length would otherwise grow it forever.
        if (cache.size >= 500) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

/**
 * Every Kysely transaction on SQLite begins IMMEDIATE: it takes the write lock first, waiting up
 * to the busy timeout for another process to finish. A deferred one that read before writing
 * fails at once (SQLITE_BUSY, no waiting) when another process wrote in between — what made two
 * imports at once crash. (The send path's group commit is such a transaction too.)
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }
}

export interface OpenOptions {
  /** PostgreSQL `search_path` (tests isolate themselves in a schema of their own). */
  pgSchema?: string;
  /** Pool size for PostgreSQL. @defaultValue 10 */
  poolSize?: number;
}

export async function openStore(url: string = process.env.INVITO_DB || DEFAULT_DB, options: OpenOptions = {}): Promise<StoreHandle> {
  const where = storeLocation(url);
  if (where.dialect === 'postgres') {
    // lock_timeout: a row another import holds for longer than the busy timeout ends the
    // command with DB_UNAVAILABLE instead of waiting for ever (see faults.ts).
    const settings = [`-c lock_timeout=${busyTimeoutMs()}`, ...(options.pgSchema ? [`-c search_path=${options.pgSchema}`] : [])];
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, options: settings.join(' ') });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
    try {
      if (options.pgSchema) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${options.pgSchema}"`);
      await migrate(db, 'postgres', options.pgSchema);
    } catch (e) {
      await db.destroy();
      throw new InvitoError('DB_UNAVAILABLE', `cannot open the PostgreSQL store at ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
    }
    return { db, dialect: 'postgres', location: redactUrl(url), sqlite: null, close: () => db.destroy() };
  }

  const { file } = where;
  const busyTimeout = busyTimeoutMs();
  let sqlite: SQLite.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${busyTimeout}`);
    sqlite.pragma('cache_size = -65536'); // 64 MiB: index pages stay hot during big imports
    // Sending updates the same pages over and over; checkpointing less often writes each once.
    sqlite.pragma('wal_autocheckpoint = 10000');
  } catch (e) {
    throw new InvitoError('DB_UNAVAILABLE', `cannot open the SQLite store at ${file}: ${(e as Error).message}`, { cause: e });
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cachingStatements(sqlite) }) });
  try {
    // Kysely's migrator takes no lock on SQLite: two processes opening a new file at once would
    // both create the tables. Migrating under the write lock makes the second find them made.
    if (await pendingMigrations(db, 'sqlite')) {
      sqlite.exec('begin immediate');
      try {
        await migrate(db, 'sqlite');
        sqlite.exec('commit');
      } catch (e) {
        if (sqlite.inTransaction) sqlite.exec('rollback');
        throw e;
      }
    } else await migrate(db, 'sqlite');
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return { db, dialect: 'sqlite', location: file, sqlite, close: () => db.destroy() };
}
