/**
 * How the configuration names a store (`--db`, `INVITO_DB`): a SQLite file by default,
 * PostgreSQL for a `postgres://` URL, nothing for any other scheme. A rule of configuration,
 * shared by the store that opens it and the commands that print where the data is.
 */
import { fileURLToPath } from 'node:url';
import { InvitoError } from './errors.js';

/** The default SQLite file, relative to the working directory. */
export const DEFAULT_DB = '.invito/invito.db';

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);

/**
 * Where a store location points: `postgres://`/`postgresql://` is PostgreSQL; a plain path, a
 * `sqlite:` path or a `file:` URL is a SQLite file. Any other scheme is refused
 * (`CONFIG_INVALID`, exit 2) before anything is created: read as a path, `mysql://x` would
 * silently become a SQLite file `./mysql:/x`. A scheme is two or more characters before a colon.
 */
export function storeLocation(url: string): { dialect: 'postgres'; url: string } | { dialect: 'sqlite'; file: string } {
  if (isPostgresUrl(url)) return { dialect: 'postgres', url };
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { dialect: 'sqlite', file: url };
  if (scheme === 'sqlite') return { dialect: 'sqlite', file: url.slice('sqlite:'.length) };
  if (scheme === 'file') {
    // `file:///abs/path` (a file URL proper) or `file:rel/path` (SQLite's own URI form).
    const rest = url.slice('file:'.length);
    if (/[?#]/.test(rest)) throw new InvitoError('CONFIG_INVALID', 'the store (--db, INVITO_DB): a file: URL may not carry a query or fragment; give the path only');
    if (!rest.startsWith('//')) return { dialect: 'sqlite', file: rest };
    try {
      return { dialect: 'sqlite', file: fileURLToPath(url) };
    } catch {
      throw new InvitoError('CONFIG_INVALID', 'the store (--db, INVITO_DB) is a file: URL that names no local file; write file:///absolute/path or file:relative/path');
    }
  }
  const hint = scheme === 'postgres' || scheme === 'postgresql' ? `write ${scheme}://host/database` : `invito stores data in SQLite or PostgreSQL`;
  throw new InvitoError(
    'CONFIG_INVALID',
    `the store (--db, INVITO_DB) has the scheme ${scheme}:, which invito does not know (${hint}): give a SQLite file path, a file: URL or a postgres:// URL`,
  );
}

/** Strip the password from a URL so it can appear in messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
