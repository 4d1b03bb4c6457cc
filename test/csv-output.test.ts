/**
 * Every CSV invito writes (issue 10, items 6 and 1): formulas neutralised by csv-stringify,
 * files with personal data created 0600 under a temporary name and renamed into place, never
 * written through a symlink, and a run never replacing another run's rejects or warnings.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CsvFile, csvText } from '../src/core/csv.js';
import { importCitizens } from '../src/registry/import.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const TODAY = '2021-03-01';
const ATTACK = `=cmd|' /C calc'!A0`;

let dir: string;
let t: TestStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'invito-csv-'));
  t = await DIALECTS[0]!.open();
});
afterEach(async () => {
  await t.dispose();
});

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const readCsv = (path: string): Record<string, string>[] => parse(readFileSync(path), { columns: true, relax_column_count: true });

/** Two rows rejected (bad birth dates) carrying formula-looking cells, one imported with a warning (bad phone). */
const SAMPLE =
  'citizen_id,given_name,family_name,birth_date,phone\n' +
  `A1,"${ATTACK.replace(/"/g, '""')}",@SUM(1+1),1950-02-30,+39 06 1234 5678\n` +
  'A2,+HYPERLINK("x"),"\tTab",not-a-date,-2\n' +
  'A3,Ann,Rossi,1950-01-01,12\n';

describe('CSV output', () => {
  it('a rejected row whose cells begin with =, +, -, @ or tab comes out of rejects.csv with a leading quote, everything else as it was', async () => {
    const path = file('c.csv', SAMPLE);
    const s = await importCitizens(t.store.registry, path, { today: TODAY, worker: false });
    expect(s).toMatchObject({ imported: 1, rejected: 2, rejectsFile: `${path}.rejects.csv` });
    const rows = readCsv(s.rejectsFile!);
    expect(rows.map((r) => r.citizen_id)).toEqual(['A1', 'A2']);
    expect(rows[0]).toMatchObject({ given_name: `'${ATTACK}`, family_name: "'@SUM(1+1)", birth_date: '1950-02-30', phone: "'+39 06 1234 5678" });
    expect(rows[1]).toMatchObject({ given_name: `'+HYPERLINK("x")`, family_name: "'\tTab", phone: "'-2" });
    // No cell of the file, header included, can start a formula.
    for (const r of rows) for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('a rejected row fixed in rejects.csv imports again as it was: the neutralising quote is read back, the phone is a phone', async () => {
    const path = file('c.csv', 'citizen_id,given_name,birth_date,phone\nF1,Ann,1950-02-30,+39 333 123 4567\n');
    const s = await importCitizens(t.store.registry, path, { today: TODAY, worker: false });
    const rejected = readFileSync(s.rejectsFile!, 'utf8');
    expect(rejected).toContain("'+39 333 123 4567");
    // The clerk fixes the birth date and imports the rejects file's columns again (line and reason dropped).
    const rows = readCsv(s.rejectsFile!).map((r) => [r.citizen_id, r.given_name, '1950-02-28', r.phone]);
    const fixed = file('fixed.csv', csvText([['citizen_id', 'given_name', 'birth_date', 'phone'], ...rows]));
    const again = await importCitizens(t.store.registry, fixed, { today: TODAY, worker: false });
    expect(again).toMatchObject({ imported: 1, rejected: 0, warnings: 0 });
    const row = await t.store.db.selectFrom('citizens').select(['phone', 'given_name']).where('citizen_id', '=', 'F1').executeTakeFirstOrThrow();
    expect(row).toEqual({ phone: '+393331234567', given_name: 'Ann' });
  });

  it('csvText neutralises a carriage return at the start of a cell too, and quotes a bare carriage return so the row stays one row', () => {
    const rows = parse(csvText([['a', '\r=1', 'x,y', 'say "hi"', 'b\rc']])) as string[][];
    expect(rows).toEqual([['a', "'\r=1", 'x,y', 'say "hi"', 'b\rc']]);
  });

  it('rejects and warnings files are created 0600 and no temporary file is left beside them', async () => {
    const path = file('c.csv', SAMPLE);
    const s = await importCitizens(t.store.registry, path, { today: TODAY, worker: false });
    expect(s.warnings).toBeGreaterThan(0);
    expect(statSync(s.rejectsFile!).mode & 0o777).toBe(0o600);
    expect(statSync(s.warningsFile!).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a symlink planted at FILE.rejects.csv is not written through: its target is unchanged and the rows go to the run\'s own file', async () => {
    const path = file('c.csv', SAMPLE);
    const victim = file('victim.txt', 'precious\n');
    symlinkSync(victim, `${path}.rejects.csv`);
    symlinkSync(join(dir, 'nowhere.txt'), `${path}.warnings.csv`); // dangling: must not be created through
    const s = await importCitizens(t.store.registry, path, { today: TODAY, worker: false });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(join(dir, 'nowhere.txt'))).toBe(false);
    expect(readlinkSync(`${path}.rejects.csv`)).toBe(victim);
    expect(s.rejectsFile).toBe(`${path}.${s.run}.rejects.csv`);
    expect(s.warningsFile).toBe(`${path}.${s.run}.warnings.csv`);
    expect(lstatSync(s.rejectsFile!).isFile()).toBe(true);
    expect(readCsv(s.rejectsFile!).map((r) => r.citizen_id)).toEqual(['A1', 'A2']);
  });

  it('a file given its name by replace (simulate --csv) replaces a symlink at that name instead of writing through it', async () => {
    const victim = file('victim.txt', 'precious\n');
    const target = join(dir, 'days.csv');
    symlinkSync(victim, target);
    const out = await CsvFile.create(target, ['date', 'n'], { mode: 0o644 });
    await out.write(['2021-03-01', '-1']);
    await out.replace(target);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(target).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe("date,n\n2021-03-01,'-1\n");
  });

  it('a second run never replaces or deletes an earlier run\'s rejects file, and the summary names only files that exist', async () => {
    const path = file('c.csv', SAMPLE);
    const first = await importCitizens(t.store.registry, path, { today: TODAY, worker: false });
    const before = readFileSync(first.rejectsFile!, 'utf8');
    const second = await importCitizens(t.store.registry, path, { today: TODAY, worker: false });
    expect(second.run).not.toBe(first.run);
    expect(second.rejectsFile).toBe(`${path}.${second.run}.rejects.csv`);
    expect(readFileSync(first.rejectsFile!, 'utf8')).toBe(before);
    expect(readCsv(second.rejectsFile!).map((r) => r.citizen_id)).toEqual(['A1', 'A2']);
    // A clean run writes no side file and removes none.
    writeFileSync(path, 'citizen_id,birth_date\nA3,1950-01-01\n');
    const clean = await importCitizens(t.store.registry, path, { today: TODAY, worker: false });
    expect(clean).toMatchObject({ rejected: 0, rejectsFile: null, warningsFile: null });
    expect(existsSync(first.rejectsFile!) && existsSync(second.rejectsFile!) && existsSync(first.warningsFile!)).toBe(true);
  });
});
