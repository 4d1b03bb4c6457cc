/**
 * Personal data in errors (issue 10, item 5), the reading side: no message, --json error or
 * reason in a side file carries a value read from the registry; a missing header is named as
 * such; control characters from a file never reach the terminal; long lists are cut.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importCitizens } from '../src/registry/import.js';
import { registryThatMustStayEmpty } from './support/stores.js';
import { type Scratch, failure, scratch } from './support/files.js';

const TODAY = '2021-03-01';
const ROW = ['RSSMRA40E10H501X', 'Mario', 'Rossi', '1940-05-10', '+39 333 1234567', 'mario.rossi@example.com'];
const HEADER = 'citizen_id,given_name,family_name,birth_date,phone,email';

let files: Scratch;
beforeEach(() => {
  files = scratch('privacy');
});
const file = (name: string, content: string | Buffer): string => files.file(name, content);
// A real store: the header errors must stop the import before a row reaches it.
let empty: Awaited<ReturnType<typeof registryThatMustStayEmpty>>;
beforeEach(async () => {
  empty = await registryThatMustStayEmpty();
});
afterEach(async () => {
  await empty.dispose();
});
const expectNoValue = (text: string, values: readonly string[]): void => {
  for (const v of values) expect(text).not.toContain(v);
};

describe('messages about a file never carry its values', () => {
  it('a file without its header: "line 1 looks like a data row", and not one of its values', async () => {
    const path = file('noheader.csv', [ROW.join(','), 'X2,Anna,Bianchi,1950-01-01,,'].join('\n') + '\n');
    const e = await failure(importCitizens(empty.store.registry, path, { today: TODAY }));
    expect(e.code).toBe('IMPORT_BAD_FORMAT');
    expect(e.message).toContain('line 1 looks like a data row, not a header');
    expectNoValue(e.message, ROW);
    expectNoValue(JSON.stringify(e.toJSON()), ROW);
  });

  it('a header row of plain words none of which is a column is also taken for data (a name is a word too)', async () => {
    const path = file('words.csv', 'Mario,Rossi,Roma\nA,1940-01-01,x\n');
    const e = await failure(importCitizens(empty.store.registry, path, { today: TODAY }));
    expect(e.message).toContain('looks like a data row');
    expectNoValue(e.message, ['Mario', 'Rossi', 'Roma']);
  });

  it('unknown columns are shown only when they look like column names, and a long list is cut', async () => {
    const typos = Array.from({ length: 20 }, (_, i) => `extra_${String.fromCharCode(97 + i)}`);
    const path = file('typos.csv', `citizen_id,birth_date,${typos.join(',')},Mario Rossi,mario@example.com\n`);
    const e = await failure(importCitizens(empty.store.registry, path, { today: TODAY }));
    // an address in the header is data, whatever else is there
    expect(e.message).toContain('looks like a data row');
    const path2 = file('typos2.csv', `citizen_id,birth_date,${typos.join(',')},Mario Rossi\n`);
    const e2 = await failure(importCitizens(empty.store.registry, path2, { today: TODAY }));
    expect(e2.code).toBe('IMPORT_UNKNOWN_COLUMN');
    expect(e2.message).toContain('"extra_a"');
    expect(e2.message).toContain('… and 12 more');
    expect(e2.message).toContain('1 more that does not look like a column name (not shown)');
    expectNoValue(e2.message, ['Mario', 'extra_t']);
  });

  it('control characters in a header never reach the message, nor does a path print them raw', async () => {
    const path = file('esc\u001b[2J\u0007.csv', 'citizen_id,birth_date,\u001b[Hred\u0007\nA,1940-01-01,x\n');
    const e = await failure(importCitizens(empty.store.registry, path, { today: TODAY }));
    expect(e.code).toBe('IMPORT_UNKNOWN_COLUMN');
    // eslint-disable-next-line no-control-regex
    expect(e.message).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(e.message).toContain('esc\\x1b[2J\\x07.csv');
  });

  it('a broken NDJSON line is "not valid JSON", without JSON.parse quoting the text; unknown keys are not echoed when they are values', async () => {
    const path = file(
      'c.ndjson',
      [
        JSON.stringify({ citizen_id: 'N1', birth_date: '1950-01-01' }),
        '{"citizen_id":"N2","birth_date":"1950-01-01","email":"mario.rossi@example.com"',
        JSON.stringify({ citizen_id: 'N3', birth_date: '1950-01-01', 'Mario Rossi': 1, 'mario.rossi@example.com': 2 }),
      ].join('\n') + '\n',
    );
    const s = await importCitizens(empty.store.registry, path, { today: TODAY });
    expect(s).toMatchObject({ imported: 1, rejected: 2 });
    const r = parse(readFileSync(`${path}.rejects.csv`), { columns: true }) as { line: string; reason: string; record: string }[];
    expect(r.map((x) => [x.line, x.reason])).toEqual([
      ['2', 'not valid JSON'],
      ['3', 'unknown fields 2 that do not look like a column name (not shown)'],
    ]);
    // the rejects file keeps the record itself, so it can be fixed
    expect(r[0]!.record).toContain('mario.rossi@example.com');
    expectNoValue(r.map((x) => x.reason).join('\n'), ['mario', 'Mario', 'N2']);
  });

  it('reasons in the rejects and warnings files name fields and rules, never the values', async () => {
    const path = file(
      'bad.csv',
      [
        HEADER,
        'P1,Mario\u0000,Rossi,1940-02-30,,', // impossible date: rejected
        `P2,${'M'.repeat(300)},Rossi,1940-01-01,+39 12,mario.rossi@exa mple.com`, // three warnings
        'P3,"Luigi,Verdi,1941-01-01,,', // a stray quote
        'P4,Anna,Bianchi,1942-01-01,,,,', // too many fields
      ].join('\n') + '\n',
    );
    const s = await importCitizens(empty.store.registry, path, { today: TODAY });
    expect(s).toMatchObject({ imported: 1, rejected: 3, warnings: 3 });
    const reasons = [
      ...(parse(readFileSync(`${path}.rejects.csv`), { columns: true, relax_column_count: true, relax_quotes: true }) as { reason: string }[]).map((r) => r.reason),
      ...(parse(readFileSync(`${path}.warnings.csv`), { columns: true }) as { reason: string }[]).map((r) => r.reason),
    ];
    expect(reasons).toHaveLength(6);
    expectNoValue(reasons.join('\n'), ['Mario', 'MMM', 'Luigi', 'Anna', '1940', '+39', 'mario.rossi', 'example']);
  });
});

const BIN = join(import.meta.dirname, '..', 'bin', 'invito.js');
const built = existsSync(join(import.meta.dirname, '..', 'dist', 'cli', 'main.js'));
describe.skipIf(!built)('the built CLI on a file without its header', () => {
  it('neither stderr nor --json carries a value of the row, nor a control character from the file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'invito-privacy-cli-'));
    writeFileSync(join(cwd, 'c.csv'), [ROW.join(',') + ',\u001b]0;pwned\u0007', 'X2,Anna,Bianchi,1950-01-01,,,'].join('\n') + '\n');
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [BIN, 'import', 'citizens', 'c.csv', ...args], { cwd, env: { ...process.env, INVITO_DB: '' } }).then(
        () => ({ code: 0, stdout: '', stderr: '' }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const text = await run();
    const json = await run('--json');
    expect(text.code).toBe(3);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error.code).toBe('IMPORT_BAD_FORMAT');
    for (const out of [text.stderr, text.stdout, json.stdout, json.stderr]) {
      expectNoValue(out, [...ROW, 'pwned']);
      // eslint-disable-next-line no-control-regex
      expect(out.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
  });
});
