/**
 * No task goes to two operators: 50 operators ask at the same moment. On PostgreSQL through 50
 * connections of their own; on SQLite from several processes sharing the file (the built
 * dist/, as the CLI and the console run), each with several operators asking at once.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Desk } from '../../src/desk/desk.js';
import { KyselyDeskStore } from '../../src/store/desk.js';
import { KyselyStore } from '../../src/store/index.js';
import type { Database } from '../../src/store/schema.js';
import { DIALECTS, PG_URL, postgresAvailable, type TestStore } from '../support/stores.js';
import { callWorld, MONDAY } from './support.js';

const OPERATORS = Array.from({ length: 50 }, (_, i) => `op${String(i).padStart(2, '0')}`);
const DIST = join(import.meta.dirname, '..', '..', 'dist');
const built = existsSync(join(DIST, 'desk', 'desk.js'));

/** Every operator got a task, and no task went to two of them. */
function expectDistinct(pairs: readonly (readonly [string, string | null])[], tasks: number): void {
  const handed = pairs.map(([, task]) => task).filter((x): x is string => x !== null);
  expect(handed).toHaveLength(Math.min(tasks, OPERATORS.length));
  expect(new Set(handed).size).toBe(handed.length);
}

async function seed(t: TestStore, tasks: number): Promise<void> {
  await callWorld(t.store, { n: tasks });
  const desk = new Desk({ store: t.store.desk, clock: new ManualClock(MONDAY) });
  for (const id of OPERATORS) await desk.addOperator({ operatorId: id, name: id, languages: ['it', 'de'] });
}

describe.skipIf(!postgresAvailable)('50 simultaneous requests on postgres', () => {
  let t: TestStore | undefined;
  const extra: Kysely<Database>[] = [];
  afterEach(async () => {
    for (const db of extra.splice(0)) await db.destroy();
    await t?.dispose();
  });

  it('never hands one task to two operators, over 50 connections at once (30 tasks: 30 operators get one each, 20 get none)', async () => {
    t = await DIALECTS.find((d) => d.name === 'postgres')!.open();
    await seed(t, 30);
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.store.db)).rows[0]!.s;
    // Five pools of ten connections each: five processes' worth on one schema (already migrated).
    for (let i = 0; i < 5; i++) {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 10, options: `-c search_path=${schema}` });
      extra.push(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }));
    }
    const clock = new ManualClock(MONDAY);
    const desks = extra.map((db) => new Desk({ store: new KyselyDeskStore(db, 'postgres'), clock }));
    const pairs = await Promise.all(OPERATORS.map(async (op, i) => [op, (await desks[i % desks.length]!.next(op))?.task.taskId ?? null] as const));
    expectDistinct(pairs, 30);
    const leased = await t.store.db.selectFrom('call_tasks').select(['task_id', 'lease_operator']).where('state', '=', 'leased').execute();
    expect(leased).toHaveLength(30);
    for (const [op, task] of pairs) if (task) expect(leased.find((l) => l.task_id === task)?.lease_operator).toBe(op);
  });
});

describe.skipIf(!built)('50 simultaneous requests on sqlite', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('never hands one task to two operators, from five processes asking for ten operators each at once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-desk-'));
    const file = join(dir, 'invito.db');
    const store = await KyselyStore.open(file);
    try {
      await seed({ store, dispose: async () => {} }, 80);
    } finally {
      await store.close();
    }
    const child = join(dir, 'next.mjs');
    // Each process opens the store, says "ready", and asks only when told "go": all five ask at once.
    writeFileSync(
      child,
      `import { KyselyStore } from ${JSON.stringify(pathToFileURL(join(DIST, 'store', 'index.js')).href)};
import { Desk } from ${JSON.stringify(pathToFileURL(join(DIST, 'desk', 'desk.js')).href)};
import { ManualClock } from ${JSON.stringify(pathToFileURL(join(DIST, 'core', 'clock.js')).href)};
const [file, at, ...ops] = process.argv.slice(2);
const store = await KyselyStore.open(file);
const desk = new Desk({ store: store.desk, clock: new ManualClock(at) });
await store.desk.campaigns();
process.stderr.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const pairs = await Promise.all(ops.map(async (op) => [op, (await desk.next(op))?.task.taskId ?? null]));
await store.close();
process.stdout.write(JSON.stringify(pairs));
process.stdin.destroy();
`,
    );
    const groups = Array.from({ length: 5 }, (_, g) => OPERATORS.filter((_, i) => i % 5 === g));
    const children = groups.map((ops) => spawn(process.execPath, [child, file, MONDAY, ...ops]));
    const outputs = children.map(
      (c) =>
        new Promise<{ stdout: string }>((resolve, reject) => {
          let stdout = '';
          let stderr = '';
          c.stdout.on('data', (d) => (stdout += d));
          c.stderr.on('data', (d) => (stderr += d));
          c.on('error', reject);
          c.on('close', (code) => (code === 0 ? resolve({ stdout }) : reject(new Error(`child exited ${code}: ${stderr}`))));
        }),
    );
    await Promise.all(children.map((c) => new Promise<void>((resolve) => c.stderr.on('data', (d) => String(d).includes('ready') && resolve()))));
    for (const c of children) c.stdin.write('go\n');
    const settled = await Promise.all(outputs);
    const pairs = settled.flatMap((o) => JSON.parse(o.stdout) as [string, string | null][]);
    expect(pairs).toHaveLength(50);
    expectDistinct(pairs, 80);
    const check = await KyselyStore.open(file);
    try {
      const leased = await check.db.selectFrom('call_tasks').select(['task_id', 'lease_operator']).where('state', '=', 'leased').execute();
      expect(leased).toHaveLength(50);
      expect(new Set(leased.map((l) => l.lease_operator)).size).toBe(50);
    } finally {
      await check.close();
    }
  });
});
