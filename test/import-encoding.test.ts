/**
 * Encodings (issue 10, item 4): bytes that are not UTF-8 stop the import at their line with a
 * hint for --encoding latin1, instead of storing U+FFFD; UTF-16 and UTF-32 files are recognised
 * by their byte-order mark (or their NUL bytes) and refused by name.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importCitizens } from '../src/registry/import.js';
import { DIALECTS, emptyRegistryPerTest, type TestStore } from './support/stores.js';
import { type Scratch, failure, scratch } from './support/files.js';

const TODAY = '2021-03-01';
const TEXT = 'citizen_id,given_name,family_name,birth_date\nE1,Mario,Rossi,1939-07-07\nE2,Niccolò,Lucà,1938-08-08\nE3,Anna,Bianchi,1940-01-01\n';

let files: Scratch;
beforeEach(() => {
  files = scratch('encoding');
});
const file = (name: string, content: string | Buffer): string => files.file(name, content);

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`encodings on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
    });
    afterEach(async () => {
      await t.dispose();
    });
    const ids = async (): Promise<string[]> => (await t.store.db.selectFrom('citizens').select('citizen_id').orderBy('citizen_id').execute()).map((r) => r.citizen_id);

    it('a Latin-1 file read as UTF-8 stops at the first undecodable line, suggests --encoding latin1, and stores no U+FFFD', async () => {
      const path = file('latin1.csv', Buffer.from(TEXT, 'latin1'));
      const e = await failure(importCitizens(t.store.registry, path, { today: TODAY, batchSize: 1 }));
      expect(e.code).toBe('IMPORT_ENCODING');
      expect(e.exit).toBe(3);
      expect(e.message).toContain(`${path}:3:`);
      expect(e.message).toContain('--encoding latin1');
      expect(e.message).toContain('1 row before line 3 was imported');
      expect(await ids()).toEqual(['E1']);
      const names = await t.store.db.selectFrom('citizens').select('given_name').execute();
      expect(names.some((n) => n.given_name?.includes('\ufffd'))).toBe(false);
      // the same file with the right encoding
      await importCitizens(t.store.registry, path, { today: TODAY, encoding: 'latin1' });
      expect(await ids()).toEqual(['E1', 'E2', 'E3']);
    });

    it('an NDJSON line that is not UTF-8 stops the import at that line', async () => {
      const lines = [JSON.stringify({ citizen_id: 'N1', birth_date: '1950-01-01' }), JSON.stringify({ citizen_id: 'N2', birth_date: '1950-01-01', given_name: 'Niccolò' })];
      const path = file('c.ndjson', Buffer.from(lines.join('\n') + '\n', 'latin1'));
      const e = await failure(importCitizens(t.store.registry, path, { today: TODAY }));
      expect(e.code).toBe('IMPORT_ENCODING');
      expect(e.message).toContain(`${path}:2:`);
      expect(await ids()).toEqual(['N1']);
    });
  });
}

describe('files in UTF-16 or UTF-32 are named and refused before anything is written', () => {
  // A real store: these errors must stop the import before a row reaches it.
  const empty = emptyRegistryPerTest();
  const utf16be = (s: string): Buffer => Buffer.from(s, 'utf16le').swap16();
  const utf32 = (s: string, le: boolean): Buffer => {
    const cps = [...s].map((c) => c.codePointAt(0)!);
    const b = Buffer.alloc(cps.length * 4);
    cps.forEach((cp, i) => (le ? b.writeUInt32LE(cp, i * 4) : b.writeUInt32BE(cp, i * 4)));
    return b;
  };
  const cases: [string, Buffer][] = [
    ['UTF-16LE', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')])],
    ['UTF-16BE', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)])],
    ['UTF-32LE', Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x00]), utf32(TEXT, true)])],
    ['UTF-32BE', Buffer.concat([Buffer.from([0x00, 0x00, 0xfe, 0xff]), utf32(TEXT, false)])],
  ];
  for (const [name, bytes] of cases) {
    it(`a ${name} file (byte-order mark) is IMPORT_ENCODING naming ${name}, not "unknown columns"`, async () => {
      const path = file(`${name}.csv`, bytes);
      const e = await failure(importCitizens(empty().store.registry, path, { today: TODAY }));
      expect(e.code).toBe('IMPORT_ENCODING');
      expect(e.message).toContain(`the file is ${name} (byte-order mark)`);
      expect(e.message).toContain('UTF-8');
      expect(existsSync(`${path}.rejects.csv`)).toBe(false);
    });
  }

  it('a UTF-16 file without a byte-order mark is recognised by its NUL bytes', async () => {
    const path = file('nobom.csv', Buffer.from(TEXT, 'utf16le'));
    const e = await failure(importCitizens(empty().store.registry, path, { today: TODAY }));
    expect(e.code).toBe('IMPORT_ENCODING');
    expect(e.message).toContain('UTF-16');
    expect(e.message).not.toContain('c\u0000i');
  });
});

const BIN = join(import.meta.dirname, '..', 'bin', 'invito.js');
const built = existsSync(join(import.meta.dirname, '..', 'dist', 'cli', 'main.js'));
describe.skipIf(!built)('the built CLI on a file in the wrong encoding', () => {
  it('exits 3 with IMPORT_ENCODING in --json, through the import worker', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'invito-encoding-cli-'));
    writeFileSync(join(cwd, 'c.csv'), Buffer.from(TEXT, 'latin1'));
    const r = await promisify(execFile)(process.execPath, [BIN, 'import', 'citizens', 'c.csv', '--json'], { cwd, env: { ...process.env, INVITO_DB: '' } }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(out.error.code).toBe('IMPORT_ENCODING');
    expect(out.error.message).toContain('c.csv:3:');
    expect(out.error.message).toContain('--encoding latin1');
  });
});
