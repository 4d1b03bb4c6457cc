/**
 * Two imports at once (issue 10 item 1), as a user starts them: two processes of the built CLI,
 * on SQLite and on PostgreSQL, into an empty store and into one that already has citizens.
 * Every valid row of both files lands, each row is wholly the write of one run (the one that
 * committed it last), and a store that stays busy is DB_UNAVAILABLE (exit 6), never a stack.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyTimeoutMs } from '../src/store/faults.js';
import { KyselyStore, openStore } from '../src/store/index.js';
import { PG_URL, postgresAvailable } from './support/stores.js';
import { built, type CliRun, runCli } from './support/cli.js';

const ROWS = 20_000;

const invito = (cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli(args, { cwd, env });

const id = (i: number): string => `C${String(i).padStart(6, '0')}`;

function registry(path: string, from: number, to: number, optOut: boolean): void {
  const lines = ['citizen_id,birth_date,opt_out'];
  for (let i = from; i <= to; i++) lines.push(`${id(i)},19${40 + (i % 50)}-0${1 + (i % 9)}-1${i % 10},${optOut}`);
  writeFileSync(path, lines.join('\n') + '\n');
}

/** Both files at once; returns the two summaries after checking each run is clean. */
async function bothAtOnce(cwd: string, db: string): Promise<{ a: { run: string }; b: { run: string } }> {
  const [ra, rb] = await Promise.all([
    invito(cwd, ['--db', db, 'import', 'citizens', 'a.csv', '--json']),
    invito(cwd, ['--db', db, 'import', 'citizens', 'b.csv', '--json']),
  ]);
  for (const r of [ra, rb]) {
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  const a = JSON.parse(ra.stdout);
  const b = JSON.parse(rb.stdout);
  for (const s of [a, b]) expect(s).toMatchObject({ imported: ROWS, rejected: 0, rejectsFile: null });
  expect(a.run).not.toBe(b.run);
  return { a, b };
}

/** Every id of a.csv/b.csv is present, and its opt-out is the one of the file its run read. */
async function checkRows(store: KyselyStore, runs: { a: { run: string }; b: { run: string } }, total: number): Promise<void> {
  const rows = await store.db.selectFrom('citizens').select(['citizen_id', 'opt_out', 'import_run']).where('citizen_id', '<=', id(ROWS)).execute();
  expect(rows.length).toBe(ROWS);
  const wrong = rows.filter((r) => !(r.import_run === runs.a.run && Number(r.opt_out) === 0) && !(r.import_run === runs.b.run && Number(r.opt_out) === 1));
  expect(wrong.slice(0, 5)).toEqual([]);
  const all = await store.db.selectFrom('citizens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  expect(Number(all.n)).toBe(total);
}

describe.skipIf(!built)('two imports at once (built CLI, real processes)', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'invito-conc-'));
    registry(join(cwd, 'a.csv'), 1, ROWS, false);
    registry(join(cwd, 'b.csv'), 1, ROWS, true);
    // Overlaps the second half of a.csv/b.csv and goes beyond it.
    registry(join(cwd, 'seed.csv'), ROWS / 2 + 1, ROWS + 5_000, false);
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('into an empty SQLite store: both exit 0, nothing rejected as a duplicate, every row wholly one run\'s', async () => {
    const db = join(cwd, 'empty.db');
    const runs = await bothAtOnce(cwd, db);
    const store = await KyselyStore.open(db);
    try {
      await checkRows(store, runs, ROWS);
      // The birth-date index a loading import drops is back.
      const idx = await store.db.selectFrom('sqlite_master' as never).select('name' as never).where('name' as never, '=', 'citizens_birth_date' as never).execute();
      expect(idx.length).toBe(1);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('into a SQLite store that already has citizens: both exit 0 (no "database is locked"), every row wholly one run\'s', async () => {
    const db = join(cwd, 'full.db');
    expect((await invito(cwd, ['--db', db, 'import', 'citizens', 'seed.csv', '--json'])).code).toBe(0);
    const runs = await bothAtOnce(cwd, db);
    const store = await KyselyStore.open(db);
    try {
      await checkRows(store, runs, ROWS + 5_000);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('a SQLite store another process keeps locked past the busy timeout is DB_UNAVAILABLE (exit 6) with a message, not a stack', async () => {
    const db = join(cwd, 'busy.db');
    expect((await invito(cwd, ['--db', db, 'import', 'citizens', 'seed.csv', '--json'])).code).toBe(0);
    const holder = new SQLite(db);
    holder.exec('begin immediate');
    try {
      const env = { INVITO_DB_BUSY_TIMEOUT_MS: '300' };
      const json = await invito(cwd, ['--db', db, 'import', 'citizens', 'a.csv', '--json'], env);
      expect(json.code).toBe(6);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'DB_UNAVAILABLE' } });
      expect(json.stdout + json.stderr).not.toMatch(/SqliteError|\n\s+at /);
      const text = await invito(cwd, ['--db', db, 'import', 'citizens', 'a.csv'], env);
      expect(text.code).toBe(6);
      expect(text.stderr).toMatch(/locked by another process.*\[DB_UNAVAILABLE\]/);
      expect(text.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.exec('rollback');
      holder.close();
    }
  }, 60_000);

  describe.skipIf(!postgresAvailable)('on PostgreSQL', () => {
    const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const dbs: string[] = [];
    /** A database of its own: the CLI then migrates into its `public` schema like a real installation. */
    async function freshDatabase(): Promise<string> {
      const name = `invito_conc_${process.pid}_${Date.now().toString(36)}_${dbs.length}`;
      await admin.query(`CREATE DATABASE ${name}`);
      dbs.push(name);
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      return url.toString();
    }
    afterAll(async () => {
      for (const name of dbs) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });

    for (const seeded of [false, true]) {
      it(`into ${seeded ? 'a PostgreSQL store with citizens' : 'an empty PostgreSQL store'}: both exit 0, nothing rejected, every row wholly one run's`, async () => {
        const url = await freshDatabase();
        if (seeded) expect((await invito(cwd, ['--db', url, 'import', 'citizens', 'seed.csv', '--json'])).code).toBe(0);
        const runs = await bothAtOnce(cwd, url);
        const store = await KyselyStore.open(url);
        try {
          await checkRows(store, runs, seeded ? ROWS + 5_000 : ROWS);
        } finally {
          await store.close();
        }
      }, 120_000);
    }

    it('a row another session keeps locked past the lock timeout is DB_UNAVAILABLE (exit 6), not a stack', async () => {
      const url = await freshDatabase();
      expect((await invito(cwd, ['--db', url, 'import', 'citizens', 'seed.csv', '--json'])).code).toBe(0);
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM citizens WHERE citizen_id = $1 FOR UPDATE`, [id(ROWS)]);
        const r = await invito(cwd, ['--db', url, 'import', 'citizens', 'a.csv', '--json'], { INVITO_DB_BUSY_TIMEOUT_MS: '300' });
        expect(r.code).toBe(6);
        expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'DB_UNAVAILABLE' } });
        expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
    }, 60_000);
  });
});

describe('INVITO_DB_BUSY_TIMEOUT_MS', () => {
  it('is 10 s by default, and a value that is not a whole number of milliseconds is CONFIG_INVALID before any store opens', async () => {
    expect(busyTimeoutMs({})).toBe(10_000);
    expect(busyTimeoutMs({ INVITO_DB_BUSY_TIMEOUT_MS: '250' })).toBe(250);
    for (const bad of ['abc', '-1', '1.5']) expect(() => busyTimeoutMs({ INVITO_DB_BUSY_TIMEOUT_MS: bad })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    const dir = mkdtempSync(join(tmpdir(), 'invito-busy-'));
    process.env.INVITO_DB_BUSY_TIMEOUT_MS = 'soon';
    try {
      await expect(openStore(join(dir, 'x.db'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      delete process.env.INVITO_DB_BUSY_TIMEOUT_MS;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
