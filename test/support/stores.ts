/**
 * Every store test runs on both dialects: a fresh SQLite file and a fresh PostgreSQL schema
 * (dropped afterwards). Without PostgreSQL a local run says plainly that those tests were
 * skipped; in CI (CI=true) PostgreSQL is required and its absence fails the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, expect } from 'vitest';
import { KyselyStore } from '../../src/store/index.js';

export const PG_URL = process.env.INVITO_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const postgresAvailable: boolean = await probePostgres();
if (!postgresAvailable) {
  if (process.env.CI) throw new Error(`PostgreSQL is required in CI but does not answer at ${PG_URL}`);
  console.warn(`\n*** PostgreSQL does not answer at ${PG_URL}: the PostgreSQL store tests are SKIPPED ***\n`);
}

export interface DialectCase {
  readonly name: 'sqlite' | 'postgres';
  readonly available: boolean;
  open(): Promise<TestStore>;
}

export interface TestStore {
  readonly store: KyselyStore;
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
}

let seq = 0;

export const DIALECTS: readonly DialectCase[] = [
  {
    name: 'sqlite',
    available: true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'invito-test-'));
      const store = await KyselyStore.open(join(dir, 'invito.db'));
      return {
        store,
        async dispose() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    available: postgresAvailable,
    async open() {
      const schema = `t_${process.pid}_${Date.now().toString(36)}_${seq++}`;
      // Kysely's migrator looks at every schema of the database; one that another test drops at
      // that moment fails the look ("schema … does not exist", 3F000): harmless, try again.
      let store: KyselyStore | undefined;
      for (let attempt = 1; !store; attempt++) {
        try {
          store = await KyselyStore.open(PG_URL, { pgSchema: schema, poolSize: 4 });
        } catch (e) {
          if (attempt >= 5 || !/does not exist/.test(String((e as Error).message))) throw e;
          await new Promise((r) => setTimeout(r, 50 * attempt));
        }
      }
      return {
        store,
        async dispose() {
          await store.close();
          const client = new pg.Client({ connectionString: PG_URL });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.end();
        },
      };
    },
  },
];

/**
 * A real SQLite registry for imports that must stop before writing anything; `written()` counts
 * the citizens and centres that reached it anyway.
 */
export async function registryThatMustStayEmpty(): Promise<TestStore & { written(): Promise<number> }> {
  const t = await DIALECTS[0]!.open();
  return {
    ...t,
    async written() {
      const count = async (table: 'citizens' | 'centers') =>
        Number((await t.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      return (await count('citizens')) + (await count('centers'));
    },
  };
}

/**
 * For a describe block whose imports must all stop before writing: a fresh empty registry per
 * test (`registry().store.registry`), checked to have stayed empty afterwards.
 */
export function emptyRegistryPerTest(): () => TestStore {
  let empty: Awaited<ReturnType<typeof registryThatMustStayEmpty>> | undefined;
  beforeEach(async () => {
    empty = await registryThatMustStayEmpty();
  });
  afterEach(async () => {
    expect(await empty!.written()).toBe(0);
    await empty!.dispose();
  });
  return () => empty!;
}
