/**
 * Fuzzing the import (issue 10, item 3): a valid registry file, mutated at random (quotes,
 * separators, line ends, control and non-UTF-8 bytes), never ends the import with INTERNAL, and
 * every row an independent reading finds intact is imported — or the import stopped with a
 * file error naming a line at or before it. Seeded: a failure names the seed that reproduces it.
 *
 * The independent reading: a line of the mutated file that is byte for byte a row of the
 * original file (none of which holds a quote) is that row, whatever surrounds it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isInvitoError } from '../src/core/errors.js';
import { importCitizens } from '../src/registry/import.js';
import { KyselyStore } from '../src/store/index.js';
import { seeded } from './support/random.js';
import { DIALECTS } from './support/stores.js';

const TODAY = '2021-03-01';
const HEADER = 'citizen_id,given_name,family_name,birth_date,phone,email,municipality,opt_out';
const GIVEN = ['Mario', 'Anna', 'Giulia', 'Luca', 'Niccolò', 'Jürgen', 'Chiara', 'Paolo'];
const FAMILY = ['Rossi', 'Bianchi', 'Lucà', 'Weiß', 'Esposito', 'Romano', 'Colombo', 'Ricci'];
const TOWNS = ['Roma', 'Milano', 'Napoli', 'Forlì', 'Torino'];
/** File errors a mutated file may fairly end with (exit 3); anything else fails the test. */
const FILE_ERRORS = ['IMPORT_MALFORMED', 'IMPORT_ENCODING', 'IMPORT_BAD_FORMAT', 'IMPORT_UNKNOWN_COLUMN', 'IMPORT_MISSING_COLUMN'];

interface Case {
  seed: number;
  bytes: Buffer;
  /** Rows of the original file that survive intact: physical line of the mutated file → id, birth date. */
  intact: Map<number, { id: string; birth: string }>;
}

function makeCase(seed: number, rows: number): Case {
  const rnd = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const lines = [HEADER];
  const byLine = new Map<string, { id: string; birth: string }>();
  for (let i = 0; i < rows; i++) {
    // Ids of one length: an inserted character can never turn one row's id into another's.
    const id = `F${String(i).padStart(6, '0')}`;
    const birth = `19${30 + Math.floor(rnd() * 60)}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`;
    const line = [id, pick(GIVEN), pick(FAMILY), birth, `333 ${1000000 + Math.floor(rnd() * 8999999)}`, `p${i}@example.com`, pick(TOWNS), rnd() < 0.1 ? 'true' : 'false'].join(',');
    lines.push(line);
    byLine.set(line, { id, birth });
  }
  let bytes = Buffer.from(lines.join('\n') + '\n', 'utf8');
  const mutations = 1 + Math.floor(rnd() * 6);
  for (let m = 0; m < mutations; m++) {
    const r = rnd();
    let insert: number[];
    if (r < 0.3) insert = [0x22]; // a quote
    else if (r < 0.4) insert = [0x22, 0x22];
    else if (r < 0.5) insert = [0x2c]; // a separator
    else if (r < 0.55) insert = [0x3b];
    else if (r < 0.65) insert = [0x0d];
    else if (r < 0.75) insert = [0x0a];
    else if (r < 0.8) insert = [0x0d, 0x0a];
    else if (r < 0.96) insert = [pick([0x00, 0x07, 0x1b, 0x7f, 0x09])];
    else insert = [0x80 + Math.floor(rnd() * 0x80)]; // not UTF-8 on its own
    let at = Math.floor(rnd() * bytes.length);
    // Half of the quotes open a field: the case that swallows rows.
    if (insert[0] === 0x22 && rnd() < 0.5) {
      const comma = bytes.indexOf(0x2c, at);
      if (comma !== -1) at = comma + 1;
    }
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(insert), bytes.subarray(at)]);
  }
  const intact = new Map<number, { id: string; birth: string }>();
  let no = 0;
  for (let start = 0; start < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    no++;
    const row = no > 1 ? byLine.get(bytes.subarray(start, end).toString('utf8')) : undefined;
    if (row) intact.set(no, row);
    start = end + 1;
  }
  return { seed, bytes, intact };
}

/** The line a file error names (`FILE:LINE: …`); a stop at line N excuses the rows from N on. */
function stopLine(message: string, path: string): number {
  const m = message.slice(message.indexOf(path) + path.length).match(/^:(\d+):/);
  if (!m) throw new Error(`a file error that names no line: ${message}`);
  return Number(m[1]);
}

function checkOutcome(c: Case, imported: Map<string, string>, stop: number | null): void {
  for (const [line, row] of c.intact) {
    if (stop !== null && stop <= line) continue;
    expect(imported.get(row.id), `seed ${c.seed}: line ${line} (${row.id}) is intact but was not imported`).toBe(row.birth);
  }
}

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

describe('fuzzed registry files', () => {
  it('through the library: never INTERNAL, every intact row imported or after the line the stop names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invito-fuzz-'));
    const deadline = Date.now() + 10_000;
    let runs = 0;
    let stops = 0;
    for (let i = 0; i < 200 && Date.now() < deadline; i++) {
      const c = makeCase(1000 + i, 40 + (i % 7) * 30);
      const path = join(dir, `f${i}.csv`);
      writeFileSync(path, c.bytes);
      const t = await sqlite.open();
      try {
        let stop: number | null = null;
        try {
          await importCitizens(t.store.registry, path, { today: TODAY, batchSize: 1 + (i % 50), worker: false });
        } catch (e) {
          if (!isInvitoError(e) || !FILE_ERRORS.includes(e.code)) throw new Error(`seed ${c.seed}: ${isInvitoError(e) ? e.code : 'an uncaught'} error: ${(e as Error).message}`, { cause: e });
          expect(e.exit, `seed ${c.seed}`).toBe(3);
          for (const name of [...GIVEN, ...FAMILY]) expect(e.message, `seed ${c.seed}`).not.toContain(name);
          stop = stopLine(e.message, path);
          stops++;
        }
        const rows = await t.store.db.selectFrom('citizens').select(['citizen_id', 'birth_date']).execute();
        checkOutcome(c, new Map(rows.map((r) => [r.citizen_id, r.birth_date])), stop);
      } finally {
        await t.dispose();
      }
      runs++;
    }
    expect(runs).toBeGreaterThanOrEqual(30);
    // The mutations include bytes that are not UTF-8, so some runs must have stopped.
    expect(stops).toBeGreaterThan(0);
  }, 30_000);

  const BIN = join(import.meta.dirname, '..', 'bin', 'invito.js');
  const built = existsSync(join(import.meta.dirname, '..', 'dist', 'cli', 'main.js'));
  it.skipIf(!built)('through the built CLI (import worker): the process never exits 1, and the same rows land', async () => {
    const run = promisify(execFile);
    for (let i = 0; i < 3; i++) {
      const c = makeCase(5000 + i * 7, 300);
      const cwd = mkdtempSync(join(tmpdir(), 'invito-fuzz-cli-'));
      writeFileSync(join(cwd, 'c.csv'), c.bytes);
      const r = await run(process.execPath, [BIN, 'import', 'citizens', 'c.csv', '--json'], { cwd, env: { ...process.env, INVITO_DB: '' } }).then(
        (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(r.code, `seed ${c.seed}: ${r.stdout}${r.stderr}`).not.toBe(1);
      expect([0, 3], `seed ${c.seed}: ${r.stdout}${r.stderr}`).toContain(r.code);
      const out = JSON.parse(r.stdout) as { imported?: number; error?: { code: string; message: string } };
      let stop: number | null = null;
      if (r.code === 3) {
        expect(FILE_ERRORS).toContain(out.error!.code);
        stop = stopLine(out.error!.message, 'c.csv');
      }
      const db = join(cwd, '.invito', 'invito.db');
      if (!existsSync(db)) {
        expect(stop, `seed ${c.seed}: no store although nothing stopped the import`).toBe(1);
        continue;
      }
      const store = await KyselyStore.open(db);
      try {
        const rows = await store.db.selectFrom('citizens').select(['citizen_id', 'birth_date']).execute();
        checkOutcome(c, new Map(rows.map((x) => [x.citizen_id, x.birth_date])), stop);
      } finally {
        await store.close();
      }
    }
  }, 30_000);
});
