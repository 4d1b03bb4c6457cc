// npm run bench:import — generate N citizens (default 1,000,000), import them into SQLite and
// into PostgreSQL, then plan the sample campaign over them. Prints rows/s, seconds and peak RSS
// per phase, each phase measured in its own process. Aims: ≥ 100,000 rows/s into SQLite, peak
// RSS under 300 MB whatever the file size, plan under 5 s.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const count = Number(process.argv[2] ?? process.env.BENCH_ROWS ?? 1_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const pgUrl = process.env.INVITO_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const dir = mkdtempSync(join(tmpdir(), 'invito-bench-'));
const file = join(dir, 'citizens.csv');
const campaign = new URL('../campaigns/over80-dose1.yaml', import.meta.url).pathname;
const phase = (...args) => JSON.parse(execFileSync(process.execPath, [new URL('./import-phase.mjs', import.meta.url).pathname, ...args], { encoding: 'utf8' }).trim().split('\n').pop());
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function pgAvailable() {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  try { await c.connect(); return true; } catch { return false; } finally { await c.end().catch(() => {}); }
}
async function dropSchema(schema) {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}

const rows = [];
const report = (name, results) => {
  const secs = results.map((r) => r.seconds);
  const rates = results.map((r) => (r.rows ?? 0) / r.seconds);
  rows.push({
    phase: name,
    'median s': median(secs).toFixed(2),
    'median rows/s': results[0].rows ? Math.round(median(rates)).toLocaleString('en') : '',
    'peak RSS MB (max)': Math.round(Math.max(...results.map((r) => r.peakRssMb))),
    note: results[0].planSeconds !== undefined ? `plan query ${median(results.map((r) => r.planSeconds)).toFixed(2)} s, cohort ${results[0].cohort.toLocaleString('en')}` : `${results.length} run(s)`,
  });
};

try {
  console.log(`invito bench:import — ${count.toLocaleString('en')} citizens, ${runs} runs per phase, node ${process.version}`);
  report('generate', [phase('generate', file, String(count))]);
  const sqliteRuns = [];
  const planRuns = [];
  for (let i = 0; i < runs; i++) {
    const db = join(dir, `run${i}.db`);
    sqliteRuns.push(phase('import', db, file));
    planRuns.push(phase('plan', db, campaign));
    rmSync(db, { force: true }); rmSync(`${db}-wal`, { force: true }); rmSync(`${db}-shm`, { force: true });
  }
  report('import → SQLite', sqliteRuns);
  report('plan (SQLite)', planRuns);
  if (await pgAvailable()) {
    const pgRuns = [];
    const pgPlans = [];
    for (let i = 0; i < Math.min(runs, 2); i++) {
      const schema = `bench_${process.pid}_${i}`;
      try {
        pgRuns.push(phase('import', pgUrl, file, schema));
        pgPlans.push(phase('plan', pgUrl, campaign, schema));
      } finally {
        await dropSchema(schema);
      }
    }
    report('import → PostgreSQL', pgRuns);
    report('plan (PostgreSQL)', pgPlans);
  } else {
    console.log(`PostgreSQL does not answer at ${pgUrl}: its phases are skipped`);
  }
  console.table(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
