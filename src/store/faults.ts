/**
 * A store that stays busy or goes away is `DB_UNAVAILABLE` (exit 6), never a driver's stack:
 * SQLite still locked by another process after the busy timeout, PostgreSQL's lock timeout,
 * a refused or broken PostgreSQL connection. Messages name no value and no credential.
 */
import { InvitoError } from '../core/errors.js';

/** How long a statement waits for another connection's lock (SQLite `busy_timeout`, PostgreSQL `lock_timeout`). */
export function busyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.INVITO_DB_BUSY_TIMEOUT_MS;
  if (raw === undefined || raw === '') return 10_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 3_600_000) {
    throw new InvitoError('CONFIG_INVALID', `INVITO_DB_BUSY_TIMEOUT_MS must be a whole number of milliseconds from 0 to 3600000, not "${raw.slice(0, 20)}"`);
  }
  return n;
}

/** The `DB_UNAVAILABLE` error for a driver error that means "busy" or "gone", else null. */
export function storeFault(e: unknown): InvitoError | null {
  if (!(e instanceof Error)) return null;
  const code = String((e as { code?: unknown }).code ?? '');
  if (e.name === 'SqliteError' && /^SQLITE_(BUSY|LOCKED)/.test(code)) {
    return new InvitoError(
      'DB_UNAVAILABLE',
      `the SQLite store stayed locked by another process for longer than the busy timeout (${busyTimeoutMs()} ms, INVITO_DB_BUSY_TIMEOUT_MS): nothing more was written; run the command again when the other one has finished`,
      { cause: e },
    );
  }
  // PostgreSQL: lock_not_available (lock_timeout), connection exceptions (08…), shutdowns (57P0…), too many connections.
  if (code === '55P03' || /^08/.test(code) || /^57P0/.test(code) || code === '53300') {
    return new InvitoError('DB_UNAVAILABLE', `the PostgreSQL store is unavailable or stayed locked (SQLSTATE ${code}); run the command again later`, { cause: e });
  }
  // node-postgres' own words for a connection lost mid-command (a refused one fails the open,
  // which says so itself; a bare ECONNREFUSED could as well be Redis or a provider).
  if (/^Connection terminated/.test(e.message)) {
    return new InvitoError('DB_UNAVAILABLE', 'the connection to the PostgreSQL store was lost; run the command again later', { cause: e });
  }
  return null;
}
