/**
 * Where the store is (`--db`, `INVITO_DB`): a path, `sqlite:` or `file:` is SQLite, `postgres://`
 * is PostgreSQL, and any other scheme is refused before anything is created — `mysql://x` used to
 * become a SQLite file `./mysql:/x`.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { InvitoError } from '../src/core/errors.js';
import { storeLocation } from '../src/core/store-location.js';
import { openStore } from '../src/store/open.js';
import { built, runCli } from './support/cli.js';


const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'invito-dburl-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
};
const codeOf = (e: unknown): string | undefined => (e instanceof InvitoError ? e.code : undefined);

describe('store locations', () => {
  it('a URL with a scheme other than postgres, sqlite or file is CONFIG_INVALID (exit 2), and nothing is created', async () => {
    const cwd = scratch();
    const before = process.cwd();
    process.chdir(cwd);
    try {
      for (const url of ['mysql://x', 'mysql://user:secret@db.example/invito', 'redis://127.0.0.1:6379', 'https://example.org/x.db', 'postgres:x']) {
        const e = await openStore(url).catch((err: unknown) => err);
        expect(codeOf(e), url).toBe('CONFIG_INVALID');
        expect((e as InvitoError).exit).toBe(2);
        expect((e as InvitoError).message).not.toContain('secret');
      }
      expect(readdirSync(cwd)).toEqual([]);
    } finally {
      process.chdir(before);
    }
  });

  it('a plain path, a sqlite: path and a file: URL all mean a SQLite file at that path', async () => {
    const dir = scratch();
    expect(storeLocation(join(dir, 'a.db'))).toEqual({ dialect: 'sqlite', file: join(dir, 'a.db') });
    expect(storeLocation('rel/b.db')).toEqual({ dialect: 'sqlite', file: 'rel/b.db' });
    expect(storeLocation(`sqlite:${join(dir, 'c.db')}`)).toEqual({ dialect: 'sqlite', file: join(dir, 'c.db') });
    expect(storeLocation(pathToFileURL(join(dir, 'd e.db')).href)).toEqual({ dialect: 'sqlite', file: join(dir, 'd e.db') });
    expect(storeLocation('file:rel/e.db')).toEqual({ dialect: 'sqlite', file: 'rel/e.db' });
    expect(storeLocation(':memory:')).toEqual({ dialect: 'sqlite', file: ':memory:' });
    expect(storeLocation('postgresql://127.0.0.1/test')).toEqual({ dialect: 'postgres', url: 'postgresql://127.0.0.1/test' });
    expect(codeOf(thrown(() => storeLocation('file:///x.db?mode=ro')))).toBe('CONFIG_INVALID');

    const h = await openStore(pathToFileURL(join(dir, 'f.db')).href);
    expect(h.dialect).toBe('sqlite');
    await h.close();
    expect(existsSync(join(dir, 'f.db'))).toBe(true);
  });
});

describe.skipIf(!built)('store locations from the command line (built)', () => {
  const invito = (cwd: string, args: string[], env: Record<string, string> = {}) => runCli(args, { cwd, env });

  it('--db mysql://x and INVITO_DB=mysql://x exit 2 with CONFIG_INVALID and create no file', async () => {
    const cwd = scratch();
    const viaFlag = await invito(cwd, ['--db', 'mysql://x', 'status']);
    expect(viaFlag.code).toBe(2);
    expect(viaFlag.stderr).toContain('[CONFIG_INVALID]');
    expect(viaFlag.stderr).not.toMatch(/\n\s+at /);
    const viaEnv = await invito(cwd, ['status', '--json'], { INVITO_DB: 'mysql://x' });
    expect(viaEnv.code).toBe(2);
    expect(JSON.parse(viaEnv.stdout).error.code).toBe('CONFIG_INVALID');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('--db file:relative.db opens a SQLite file at that path in the working directory', async () => {
    const cwd = scratch();
    const r = await invito(cwd, ['--db', 'file:relative.db', 'status', '--json']);
    expect(r.code).toBe(0);
    expect(existsSync(join(cwd, 'relative.db'))).toBe(true);
    expect(readdirSync(cwd).some((f) => f.includes(':'))).toBe(false);
  });
});

describe.skipIf(!built)('the Redis location', () => {
  const invito = (cwd: string, args: string[], env: Record<string, string>) => runCli(args, { cwd, env });

  it('an INVITO_REDIS_URL that is no URL, or not redis://, is CONFIG_INVALID (exit 2) naming the setting, not an internal error', async () => {
    const cwd = scratch();
    for (const url of ['redis://[bad', 'http://127.0.0.1:6379']) {
      const r = await invito(cwd, ['worker'], { INVITO_REDIS_URL: url, INVITO_DB: join(cwd, 'w.db') });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('INVITO_REDIS_URL');
      expect(r.stderr).toContain('[CONFIG_INVALID]');
      expect(r.stderr).not.toMatch(/INTERNAL|\n\s+at /);
    }
  });
});
