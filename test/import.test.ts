import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvitoError } from '../src/core/errors.js';
import { importCenters, importCitizens } from '../src/registry/import.js';
import { DIALECTS, emptyRegistryPerTest, type TestStore } from './support/stores.js';

const HEADER = 'citizen_id,given_name,family_name,birth_date,sex,phone,email,language,region,asl,municipality,priority_groups,doses,last_dose_date,opt_out';
const TODAY = '2021-03-01';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'invito-import-'));
});

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function rejects(path: string): { line: string; reason: string; citizen_id: string }[] {
  return parse(readFileSync(`${path}.rejects.csv`), { columns: true, relax_column_count: true }) as { line: string; reason: string; citizen_id: string }[];
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`import on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
    });
    afterEach(async () => {
      await t.dispose();
    });

    const citizen = (id: string) =>
      t.store.db.selectFrom('citizens').selectAll().where('citizen_id', '=', id).executeTakeFirst();
    const groupsOf = async (id: string) =>
      (await t.store.db.selectFrom('citizen_groups').select('group_code').where('citizen_id', '=', id).orderBy('group_code').execute()).map((g) => g.group_code);

    it('rejects each invalid row with its line and reason, and imports every valid neighbour', async () => {
      const path = file(
        'citizens.csv',
        [
          HEADER,
          'A1,Mario,Rossi,1940-05-10,M,333 1234567,mario@example.com,it,LAZ,RM1,Roma,HCW;VULN,0,,false', // 2 ok
          ',Anna,Bianchi,1950-01-01,F,,,it,LAZ,RM1,Roma,,0,,false', // 3 missing id
          'A1,Mario,Rossi,1940-05-10,M,,,it,LAZ,RM1,Roma,,0,,false', // 4 duplicate of line 2
          'A3,Luca,Verdi,,M,,,it,LAZ,RM1,Roma,,0,,false', // 5 missing birth date
          'A4,Luca,Verdi,10-05-1940,M,,,it,LAZ,RM1,Roma,,0,,false', // 6 malformed
          'A5,Luca,Verdi,2021-02-30,M,,,it,LAZ,RM1,Roma,,0,,false', // 7 impossible
          'A6,Luca,Verdi,2030-01-01,M,,,it,LAZ,RM1,Roma,,0,,false', // 8 future
          'A7,Luca,Verdi,1960-01-01,M,,,it,LAZ,RM1,Roma,,-1,,false', // 9 negative doses
          'A8,Luca,Verdi,1960-01-01,M,,,it,LAZ,RM1,Roma,,1.5,,false', // 10 non-integer doses
          'A9,Luca,Verdi,1960-01-01,M,,,it,LAZ,RM1,Roma,,0,,maybe', // 11 unreadable opt-out
          'A:10,Luca,Verdi,1960-01-01,M,,,it,LAZ,RM1,Roma,,0,,false', // 12 id with ':'
          'A11,Giulia,Neri,29/02/1944,F,not-a-phone,not-an-email,it,LAZ,RM1,Roma,RSA|VULN,1,2021-02-01,false', // 13 ok, 2 warnings
          'A12,Sara,Gialli,1930-12-31,F,06 6880 1234,,it,LAZ,RM1,Roma,,0,,true', // 14 ok
        ].join('\n') + '\n',
      );
      const summary = await importCitizens(t.store.registry, path, { today: TODAY, batchSize: 2 });
      expect(summary).toMatchObject({ imported: 3, rejected: 10, warnings: 2 });
      const r = rejects(path);
      expect(r.map((x) => [x.line, x.reason])).toEqual([
        ['3', 'citizen_id is missing'],
        ['4', 'citizen_id already seen at line 2'],
        ['5', 'birth_date is missing'],
        ['6', 'birth_date is not a date in the form YYYY-MM-DD or DD/MM/YYYY'],
        ['7', 'birth_date is not a real calendar date'],
        ['8', 'birth_date is in the future'],
        ['9', 'doses is negative'],
        ['10', 'doses is not a whole number'],
        ['11', 'opt_out must be true or false'],
        ['12', 'citizen_id must be 1-64 letters, digits, ".", "_" or "-"'],
      ]);
      // the rejects file keeps the row as it was, so it can be fixed and imported again
      expect(r[1]!.citizen_id).toBe('A1');

      const a1 = await citizen('A1');
      expect(a1).toMatchObject({ phone: '+393331234567', email: 'mario@example.com', birth_date: '1940-05-10', opt_out: 0, region: 'LAZ' });
      expect(await groupsOf('A1')).toEqual(['HCW', 'VULN']);
      const a11 = await citizen('A11');
      expect(a11).toMatchObject({ phone: null, email: null, birth_date: '1944-02-29', doses: 1, last_dose_date: '2021-02-01' });
      expect(await groupsOf('A11')).toEqual(['RSA', 'VULN']);
      expect(await citizen('A12')).toMatchObject({ phone: '+390668801234', opt_out: 1 });
      const warnings = readFileSync(summary.warningsFile!, 'utf8');
      expect(warnings).toContain('13,A11,phone is not a valid phone number');
      expect(warnings).not.toContain('not-a-phone'); // warnings name fields, never values
    });

    it('an import into an empty registry leaves the birth-date index in place (built at the end)', async () => {
      const path = file('idx.csv', `${HEADER}\nI1,,,1950-01-01,,,,,,,,,,,\n`);
      await importCitizens(t.store.registry, path, { today: TODAY });
      const indexes =
        dialect.name === 'sqlite'
          ? await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'citizens'`.execute(t.store.db)
          : await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'citizens'`.execute(t.store.db);
      expect(indexes.rows.map((r) => r.name)).toContain('citizens_birth_date');
    });

    it('finds a duplicate id across batches without holding ids in memory', async () => {
      const rows = [HEADER];
      for (let i = 0; i < 50; i++) rows.push(`B${i},,,1970-01-01,,,,,,,,,,,`);
      rows.push('B7,,,1971-01-01,,,,,,,,,,,'); // line 52 repeats line 9
      const path = file('dups.csv', rows.join('\n'));
      const s = await importCitizens(t.store.registry, path, { today: TODAY, batchSize: 10 });
      expect(s).toMatchObject({ imported: 50, rejected: 1 });
      expect(rejects(path)[0]).toMatchObject({ line: '52', reason: 'citizen_id already seen at line 9' });
      expect((await citizen('B7'))!.birth_date).toBe('1970-01-01');
    });

    it('re-importing updates rows by citizen_id and replaces their groups', async () => {
      const first = file('v1.csv', `${HEADER}\nC1,Mario,Rossi,1940-05-10,M,,,it,LAZ,,,HCW,0,,false\n`);
      await importCitizens(t.store.registry, first, { today: TODAY });
      const second = file('v2.csv', `${HEADER}\nC1,Mario,Rossi,1940-05-10,M,3331234567,,de,LAZ,,,VULN,1,2021-02-20,false\n`);
      const s = await importCitizens(t.store.registry, second, { today: TODAY });
      expect(s).toMatchObject({ imported: 1, rejected: 0, rejectsFile: null });
      expect(await citizen('C1')).toMatchObject({ language: 'de', doses: 1, phone: '+393331234567' });
      expect(await groupsOf('C1')).toEqual(['VULN']);
      const count = await t.store.db.selectFrom('citizens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1);
    });

    it('reads a semicolon-separated file with a UTF-8 BOM and CRLF line ends', async () => {
      const text = '\uFEFF' + [
        'citizen_id;family_name;given_name;birth_date;language',
        'D1;D\'Angelo;Niccolò;1941-03-01;it',
        'D2;"Rossi; Bianchi";Anna;1942-04-02;it',
        'D3;Müller;Jürgen;bad;de',
      ].join('\r\n') + '\r\n';
      const path = file('semi.csv', text);
      const s = await importCitizens(t.store.registry, path, { today: TODAY });
      expect(s).toMatchObject({ imported: 2, rejected: 1 });
      expect(rejects(path)[0]).toMatchObject({ line: '4' });
      expect(await citizen('D1')).toMatchObject({ family_name: "D'Angelo", given_name: 'Niccolò' });
      expect(await citizen('D2')).toMatchObject({ family_name: 'Rossi; Bianchi' });
    });

    it('reads a Latin-1 export with --encoding latin1', async () => {
      const text = 'citizen_id,given_name,family_name,birth_date\nE1,Niccolò,Lucà,1939-07-07\nE2,Jürgen,Weiß,1938-08-08\n';
      const path = file('latin1.csv', Buffer.from(text, 'latin1'));
      const s = await importCitizens(t.store.registry, path, { today: TODAY, encoding: 'latin1' });
      expect(s.imported).toBe(2);
      expect(await citizen('E1')).toMatchObject({ given_name: 'Niccolò', family_name: 'Lucà' });
      expect(await citizen('E2')).toMatchObject({ given_name: 'Jürgen', family_name: 'Weiß' });
    });

    it('reads NDJSON, rejecting a line that is not JSON and keeping the others', async () => {
      const path = file(
        'citizens.ndjson',
        [
          JSON.stringify({ citizen_id: 'F1', birth_date: '1930-01-01', priority_groups: 'RSA', opt_out: false, doses: 0 }),
          '{not json',
          JSON.stringify({ citizen_id: 'F2', birth_date: '1931-01-01', phone: '+39 347 1234567' }),
          JSON.stringify({ citizen_id: 'F3', birth_date: '1931-01-01', favourite_colour: 'blue' }),
        ].join('\n') + '\n',
      );
      const s = await importCitizens(t.store.registry, path, { today: TODAY });
      expect(s).toMatchObject({ imported: 2, rejected: 2 });
      expect(rejects(path).map((r) => r.line)).toEqual(['2', '4']);
      expect(await groupsOf('F1')).toEqual(['RSA']);
      expect((await citizen('F2'))!.phone).toBe('+393471234567');
    });

    it('imports centres, normalising opening hours and rejecting unusable rows', async () => {
      const path = file(
        'centers.csv',
        [
          'center_id,name,region,asl,municipality,address,daily_capacity,opening,catchment',
          'LAZ-0001,Nuvola,LAZ,RM1,Roma,"Viale Asia, 40",375,mon-sat 08:00-20:00,RM1;Roma',
          'LAZ-0002,Termini,LAZ,RM1,Roma,Piazza dei Cinquecento,0,mon-sat 08:00-20:00,RM1',
          'LAZ-0003,Fiumicino,LAZ,RM3,Fiumicino,Aeroporto,500,mon-fri 8-20,RM3',
          'LAZ-0004,Latina,LAZ,LT,Latina,Via Canova,300,MON-FRI 08:00-13:00 14:00-20:00; sat 08:00-13:00,LT',
        ].join('\n'),
      );
      const s = await importCenters(t.store.registry, path);
      expect(s).toMatchObject({ imported: 2, rejected: 2 });
      expect(rejects(path).map((r) => [r.line, r.reason])).toEqual([
        ['3', 'daily_capacity must be greater than 0'],
        ['4', 'opening: "8-20" is not a time range such as 08:00-20:00'],
      ]);
      const c4 = await t.store.db.selectFrom('centers').selectAll().where('center_id', '=', 'LAZ-0004').executeTakeFirstOrThrow();
      expect(c4.opening).toBe('mon-fri 08:00-13:00 14:00-20:00; sat 08:00-13:00');
      const areas = await t.store.db.selectFrom('center_catchment').select('area').where('center_id', '=', 'LAZ-0001').orderBy('area').execute();
      expect(areas.map((a) => a.area)).toEqual(['RM1', 'ROMA']);
    });
  });
}

describe('import errors that stop the whole file', () => {
  // A real store: these errors must stop the import before a row reaches it.
  const empty = emptyRegistryPerTest();
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e instanceof InvitoError ? { code: e.code, message: e.message } : { code: 'OTHER', message: String(e) };
    }
    return { code: 'NONE', message: '' };
  };

  it('an unknown column is an error that names it (a typo never drops data silently)', async () => {
    const path = file('typo.csv', 'citizen_id,birth_date,emial\nX1,1950-01-01,a@example.com\n');
    const r = await codeOf(importCitizens(empty().store.registry, path));
    expect(r.code).toBe('IMPORT_UNKNOWN_COLUMN');
    expect(r.message).toContain('"emial"');
  });

  it('a missing required column is an error', async () => {
    const path = file('nobirth.csv', 'citizen_id,given_name\nX1,Mario\n');
    const r = await codeOf(importCitizens(empty().store.registry, path));
    expect(r.code).toBe('IMPORT_MISSING_COLUMN');
    expect(r.message).toContain('"birth_date"');
  });

  it('an unreadable file is an error, not an empty import', async () => {
    const r = await codeOf(importCitizens(empty().store.registry, join(dir, 'absent.csv')));
    expect(r.code).toBe('FILE_UNREADABLE');
    expect(existsSync(join(dir, 'absent.csv.rejects.csv'))).toBe(false);
  });
});

describe('line numbers in the rejects file', () => {
  it('count empty lines and quoted fields that span lines, so a reject points at the right line', async () => {
    const { importCitizens: run } = await import('../src/registry/import.js');
    const path = file(
      'lines.csv',
      'citizen_id,given_name,birth_date\nL1,"two\nlines",1950-01-01\n\nL2,x,bad\n\r\nL3,"a\r\nb\r\nc",bad\n',
    );
    const written: string[] = [];
    const s = await run(
      { writeCitizens: async (_run, rows) => (written.push(...rows.map((r) => r.citizen_id)), new Map()), writeCenters: async () => new Map(), bulk: (fn) => fn(),
        writeVaccinations: async () => ({ refused: new Map(), attended: 0 }), markNoShows: async () => 0, recordImport: async () => {} },
      path,
      { today: '2021-03-01' },
    );
    expect(s).toMatchObject({ imported: 1, rejected: 2 });
    expect(written).toEqual(['L1']);
    expect(rejects(path).map((r) => r.line)).toEqual(['5', '7']);
  });
});
