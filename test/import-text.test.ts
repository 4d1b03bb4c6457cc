/**
 * Unbounded text (issue 10, item 7): every text column has a length limit; an over-long value
 * or one with control characters is a warning that drops the value (the row is imported), named
 * by field, never by value. A centre's name, which every invitation quotes, rejects the centre.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importCenters, importCitizens } from '../src/registry/import.js';
import { TEXT_LIMITS } from '../src/registry/fields.js';
import { DIALECTS, type TestStore } from './support/stores.js';
import { type Scratch, scratch } from './support/files.js';

const TODAY = '2021-03-01';
let files: Scratch;
beforeEach(() => {
  files = scratch('text');
});
const file = (name: string, content: string | Buffer): string => files.file(name, content);
const sideFile = (path: string, kind: 'rejects' | 'warnings'): Record<string, string>[] =>
  parse(readFileSync(`${path}.${kind}.csv`), { columns: true, relax_column_count: true });

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`text limits on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('an over-long name, a NUL, an ESC or a bidi override drops that value with a warning naming the field; the row is imported', async () => {
      const long = 'x'.repeat(5000);
      const path = file(
        'c.csv',
        [
          'citizen_id,given_name,family_name,birth_date,asl,municipality,email',
          `T1,${long},Rossi,1940-01-01,RM1,Roma,`,
          'T2,Mario,Ros\u0000si,1940-01-01,RM1,Ro\u001b[2Jma,mario@exam\u001bple.com',
          'T3,Ma\u202erio,Rossi,1940-01-01,RM1,Roma,',
          `T4,Anna,Bianchi,1940-01-01,${'A'.repeat(TEXT_LIMITS.asl + 1)},${'M'.repeat(TEXT_LIMITS.municipality)},`,
        ].join('\n') + '\n',
      );
      const s = await importCitizens(t.store.registry, path, { today: TODAY });
      expect(s).toMatchObject({ imported: 4, rejected: 0, warnings: 6 });
      const rows = await t.store.db.selectFrom('citizens').selectAll().orderBy('citizen_id').execute();
      expect(rows.map((r) => [r.citizen_id, r.given_name, r.family_name, r.municipality, r.email, r.asl])).toEqual([
        ['T1', null, 'Rossi', 'Roma', null, 'RM1'],
        ['T2', 'Mario', null, null, null, 'RM1'],
        ['T3', null, 'Rossi', 'Roma', null, 'RM1'],
        ['T4', 'Anna', 'Bianchi', 'M'.repeat(TEXT_LIMITS.municipality), null, null],
      ]);
      const w = sideFile(path, 'warnings');
      expect(w.map((x) => [x.line, x.citizen_id, x.reason])).toEqual([
        ['2', 'T1', 'given_name is longer than 100 characters'],
        ['3', 'T2', 'email is not a valid address'],
        ['3', 'T2', 'family_name contains control characters'],
        ['3', 'T2', 'municipality contains control characters'],
        ['4', 'T3', 'given_name contains control characters'],
        ['5', 'T4', `asl is longer than ${TEXT_LIMITS.asl} characters`],
      ]);
      // eslint-disable-next-line no-control-regex -- the NUL and ESC of the file must not be in it
      expect(readFileSync(`${path}.warnings.csv`, 'utf8')).not.toMatch(/xxxx|Ros|\u0000|\u001b/);
    });

    it('centres: an over-long or control-character name rejects the centre, other text is dropped with a warning', async () => {
      const path = file(
        'centers.csv',
        [
          'center_id,name,region,asl,municipality,address,daily_capacity,opening,catchment',
          `K1,${'N'.repeat(TEXT_LIMITS.name + 1)},LAZ,RM1,Roma,Via Roma 1,100,daily 08:00-20:00,RM1`,
          'K2,Hub\u0007,LAZ,RM1,Roma,Via Roma 1,100,daily 08:00-20:00,RM1',
          `K3,Nuvola,LAZ,RM1,Roma,Via\u001b[2J Asia,100,daily 08:00-20:00,RM1;${'Z'.repeat(TEXT_LIMITS.catchment + 1)};Roma`,
          `K4,Termini,LAZ,RM1,Roma,${'V'.repeat(TEXT_LIMITS.address + 1)},100,daily 08:00-20:00\u001b,RM1`,
        ].join('\n') + '\n',
      );
      const s = await importCenters(t.store.registry, path);
      expect(s).toMatchObject({ imported: 1, rejected: 3, warnings: 2 });
      expect(sideFile(path, 'rejects').map((r) => [r.line, r.reason])).toEqual([
        ['2', `name is longer than ${TEXT_LIMITS.name} characters`],
        ['3', 'name contains control characters'],
        ['5', 'opening contains control characters'],
      ]);
      expect(sideFile(path, 'warnings').map((r) => r.reason)).toEqual([
        `a catchment area is longer than ${TEXT_LIMITS.catchment} characters; that area is left out`,
        'address contains control characters',
      ]);
      const k3 = await t.store.db.selectFrom('centers').selectAll().where('center_id', '=', 'K3').executeTakeFirstOrThrow();
      expect(k3.address).toBeNull();
      const areas = await t.store.db.selectFrom('center_catchment').select('area').where('center_id', '=', 'K3').orderBy('area').execute();
      expect(areas.map((a) => a.area)).toEqual(['RM1', 'ROMA']);
    });
  });
}
