/**
 * Malformed CSV (issue 10, item 3): a stray quote costs its own row at most, never the rows
 * after it, and every reject names the line it is on; a file that cannot be read on stops with
 * IMPORT_MALFORMED at the line where the trouble began, keeping what came before.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvitoError } from '../src/core/errors.js';
import { importCitizens } from '../src/registry/import.js';
import { MAX_RECORD_CHARS } from '../src/registry/reader.js';
import { MAX_BROKEN_RUN } from '../src/registry/validated.js';
import { DIALECTS, type TestStore } from './support/stores.js';
import { type Scratch, scratch } from './support/files.js';

const HEADER = 'citizen_id,given_name,family_name,birth_date,email,municipality';
const TODAY = '2021-03-01';
const row = (i: number): string => `C${String(i).padStart(6, '0')},Mario,Rossi,1950-01-01,m${i}@example.com,Roma`;

let files: Scratch;
beforeEach(() => {
  files = scratch('malformed');
});
const file = (name: string, content: string | Buffer): string => files.file(name, content);
const rejects = (path: string): { line: string; reason: string; citizen_id: string }[] =>
  parse(readFileSync(`${path}.rejects.csv`), { columns: true, relax_column_count: true, relax_quotes: true });

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`malformed rows on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
    });
    afterEach(async () => {
      await t.dispose();
    });
    const ids = async (): Promise<string[]> =>
      (await t.store.db.selectFrom('citizens').select('citizen_id').orderBy('citizen_id').execute()).map((r) => r.citizen_id);
    const citizen = (id: string) => t.store.db.selectFrom('citizens').selectAll().where('citizen_id', '=', id).executeTakeFirstOrThrow();

    it('a quote inside a name or after an email is text: the row is imported and the import goes on', async () => {
      const path = file(
        'quotes.csv',
        [HEADER, 'Q1,Mario "Super",Rossi,1950-01-01,,Roma', 'Q2,Anna,Bianchi,1951-01-01,anna@example.com"x,Roma', 'Q3,"Luca ""Lu""",Verdi,1952-01-01,,"Roma"'].join('\n') + '\n',
      );
      const s = await importCitizens(t.store.registry, path, { today: TODAY });
      expect(s).toMatchObject({ imported: 3, rejected: 0, warnings: 1 });
      expect((await citizen('Q1')).given_name).toBe('Mario "Super"');
      expect((await citizen('Q2')).email).toBeNull(); // not an address: a warning, the row stays
      expect((await citizen('Q3')).given_name).toBe('Luca "Lu"');
    });

    it('an unbalanced quote at line 5,002 of 10,000 rejects that line alone, and every other row is imported', async () => {
      const lines = [HEADER];
      for (let i = 1; i <= 9999; i++) lines.push(row(i));
      lines[5001] = `C005001,"Mario,Rossi,1950-01-01,,Roma`; // line 5,002
      const path = file('big.csv', lines.join('\n') + '\n');
      const s = await importCitizens(t.store.registry, path, { today: TODAY });
      expect(s).toMatchObject({ imported: 9998, rejected: 1 });
      expect(rejects(path).map((r) => [r.line, r.citizen_id])).toEqual([['5002', 'C005001']]);
      const all = await ids();
      expect(all).toHaveLength(9998);
      expect(all).toContain('C005002');
      expect(all).toContain('C009999');
    });

    it('a quote opened and never closed until the end of the file rejects its line and reads the rows after it', async () => {
      const path = file('eof.csv', [HEADER, row(1), `C000002,Mario,"Rossi,1950-01-01,,Roma`, row(3), row(4)].join('\n'));
      const s = await importCitizens(t.store.registry, path, { today: TODAY });
      expect(s).toMatchObject({ imported: 3, rejected: 1 });
      expect(rejects(path)[0]).toMatchObject({ line: '3' });
      expect(await ids()).toEqual(['C000001', 'C000003', 'C000004']);
    });

    it('two stray quotes whose fields happen to line up do not swallow the rows between them', async () => {
      // Read by RFC 4180 alone, lines 3-6 are one record of exactly six fields.
      const path = file(
        'pair.csv',
        [HEADER, row(1), 'C000002,"Mario,Rossi,1950-01-01,,Roma', row(3), row(4), 'C000005,Lu"ca,Verdi,1950-01-01,,Roma', row(6)].join('\n') + '\n',
      );
      const s = await importCitizens(t.store.registry, path, { today: TODAY });
      expect(await ids()).toEqual(expect.arrayContaining(['C000001', 'C000003', 'C000004', 'C000006']));
      expect(rejects(path).map((r) => r.line)).toContain('3');
      expect(s.imported).toBeGreaterThanOrEqual(4);
    });

    it('a quoted field that really spans lines is still one row, at the line where it starts', async () => {
      const path = file('span.csv', [HEADER, row(1), 'C000002,Mario,Rossi,1950-01-01,,"Roma\nsud"', row(3), 'C000004,x,y,bad,,Roma'].join('\n') + '\n');
      const s = await importCitizens(t.store.registry, path, { today: TODAY });
      expect(s).toMatchObject({ imported: 3, rejected: 1 });
      expect((await citizen('C000002')).municipality).toMatch(/^Roma\ssud$/); // line breaks become a space (fields.ts)
      expect(rejects(path)[0]).toMatchObject({ line: '6' });
    });

    it('a record longer than the record limit is a reject of its line, and the rows after it are imported', async () => {
      const giant = `C000002,${'x'.repeat(5_000_000)},Rossi,1950-01-01,,Roma`;
      const path = file('giant.csv', [HEADER, row(1), giant, row(3)].join('\n') + '\n');
      const s = await importCitizens(t.store.registry, path, { today: TODAY, batchSize: 1 });
      expect(s).toMatchObject({ imported: 2, rejected: 1 });
      const r = rejects(path);
      expect(r[0]).toMatchObject({ line: '3', reason: `the line is longer than ${MAX_RECORD_CHARS} characters` });
      expect(readFileSync(`${path}.rejects.csv`, 'utf8').length).toBeLessThan(1000);
    });

    it('a file that cannot be read past a line stops with IMPORT_MALFORMED naming it, and the rows before it stay imported', async () => {
      const lines = [HEADER];
      for (let i = 1; i <= 40; i++) lines.push(row(i));
      // From line 42 on the rows use another delimiter: not a row of this header among them.
      for (let i = 41; i <= 40 + MAX_BROKEN_RUN + 500; i++) lines.push(row(i).replaceAll(',', ';'));
      const path = file('semis.csv', lines.join('\n') + '\n');
      let error: unknown;
      try {
        await importCitizens(t.store.registry, path, { today: TODAY, batchSize: 7 });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvitoError);
      expect((error as InvitoError).code).toBe('IMPORT_MALFORMED');
      expect((error as InvitoError).exit).toBe(3);
      expect((error as InvitoError).message).toContain(`${path}:42:`);
      expect((error as InvitoError).message).toContain('40 rows before line 42 were imported');
      expect(await ids()).toHaveLength(40);
      // what was read before the stop is in the rejects file, each line on its own
      expect(rejects(path).slice(0, 2).map((r) => r.line)).toEqual(['42', '43']);
    });
  });
}
