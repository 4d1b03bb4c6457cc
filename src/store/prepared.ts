/**
 * Hot queries, written once in Kysely and compiled once.
 *
 * Kysely builds and compiles a query on every call; on the send path (three short statements
 * per message) that costs a good part of what SQLite itself does. Here a query is built once
 * with named placeholders and compiled once; each call binds values and runs the compiled SQL
 * through Kysely's own driver — its connection lock still applies (a direct call into SQLite
 * could land inside another caller's open transaction), and on SQLite the store's statement
 * cache makes it a prepared statement.
 */
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';

const MARK = '\u0000invito-param:';

/** A placeholder for a named parameter while the query is built. */
export const param = <T = string>(name: string): T => `${MARK}${name}` as unknown as T;

export interface Prepared<P extends Record<string, unknown>, R> {
  /** Rows of a select (or of `returning`), on `db` or a transaction. */
  all(db: Kysely<any>, params: P): Promise<R[]>;
  /** Rows changed by an insert, update or delete, on `db` or a transaction. */
  run(db: Kysely<any>, params: P): Promise<number>;
}

export function prepare<P extends Record<string, unknown>, R = unknown>(query: Compilable<R>): Prepared<P, R> {
  const compiled = query.compile();
  // Each compiled parameter is either a placeholder (bound per call) or a constant of the query.
  const slots: ({ name: string } | { value: unknown })[] = compiled.parameters.map((v) =>
    typeof v === 'string' && v.startsWith(MARK) ? { name: v.slice(MARK.length) } : { value: v },
  );
  const bind = (params: P): unknown[] => slots.map((s) => ('name' in s ? params[s.name as keyof P] : s.value));
  const exec = (db: Kysely<any>, params: P): Promise<QueryResult<R>> => db.executeQuery<R>(CompiledQuery.raw(compiled.sql, bind(params)));
  return {
    all: async (db, params) => (await exec(db, params)).rows,
    run: async (db, params) => Number((await exec(db, params)).numAffectedRows ?? 0n),
  };
}

/**
 * Group commit: writes that arrive while a batch is being committed wait and go together in the
 * next transaction, and each caller learns its own result only once its write is durable. On
 * SQLite a commit costs far more than the small UPDATEs of the send path, so a few dozen
 * workers' claims and records share one; a caller waits at most one transaction longer.
 */
export class GroupCommit<P extends Record<string, unknown>> {
  private queue: { params: P; resolve: (n: number) => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<any>,
    private readonly statement: Prepared<P, unknown>,
  ) {}

  /** Rows changed by this caller's statement, once committed. */
  run(params: P): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ params, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  private async flush(): Promise<void> {
    // Let the other jobs of this turn of the event loop join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const results = await this.db.transaction().execute(async (trx) => {
          const out: number[] = [];
          for (const item of batch) out.push(await this.statement.run(trx, item.params));
          return out;
        });
        batch.forEach((item, i) => item.resolve(results[i]!));
      } catch (e) {
        batch.forEach((item) => item.reject(e));
      }
    }
    this.flushing = null;
  }
}
