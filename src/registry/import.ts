/**
 * Streaming import of registry files (citizens, centres) into the store.
 *
 * Rows are validated one by one and written in batches; a rejected row goes to
 * `FILE.rejects.csv` (line, reason, the row as it was) and never stops its neighbours.
 * A duplicate id inside one file is found through the store (rows remember the import run
 * and line that wrote them), so memory stays flat whatever the file size.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { CENTER_COLUMNS, validateCenter } from './centers.js';
import { CITIZEN_COLUMNS, validateCitizen } from './citizens.js';
import { type ColumnRules, type FileEncoding, type FileFormat, isBroken, openSource } from './reader.js';
import type { CenterRecord, CitizenRecord, RegistryStore } from './store.js';

export type RowOutcome<R> = { row: R; warnings: string[] } | { reject: string; warnings: string[] };

export interface ImportSummary {
  imported: number;
  rejected: number;
  warnings: number;
  /** Where the rejected rows were written; null when none was rejected. */
  rejectsFile: string | null;
  /** Where the warnings (line, id, reason; never the values) were written; null when none. */
  warningsFile: string | null;
}

export interface ImportOptions {
  encoding?: FileEncoding;
  format?: FileFormat;
  /** Rows per write. @defaultValue 1000 */
  batchSize?: number;
  /** Today's date (`YYYY-MM-DD`), for "a birth date in the future". @defaultValue the UTC date now */
  today?: string;
  /** Called after each batch with rows read and bytes consumed of the total. */
  onProgress?: (p: { rows: number; bytes: number; size: number }) => void;
}

interface Kind<R extends { line: number }> {
  readonly columns: ColumnRules;
  readonly idColumn: string;
  validate(values: Record<string, string>, line: number, today: string): RowOutcome<R>;
  idOf(row: R): string;
  linesInRun(store: RegistryStore, run: string, ids: readonly string[]): Promise<Map<string, number>>;
  upsert(store: RegistryStore, run: string, rows: readonly R[]): Promise<void>;
}

const CITIZENS: Kind<CitizenRecord> = {
  columns: CITIZEN_COLUMNS,
  idColumn: 'citizen_id',
  validate: validateCitizen,
  idOf: (r) => r.citizen_id,
  linesInRun: (s, run, ids) => s.citizenLinesInRun(run, ids),
  upsert: (s, run, rows) => s.upsertCitizens(run, rows),
};

const CENTERS: Kind<CenterRecord> = {
  columns: CENTER_COLUMNS,
  idColumn: 'center_id',
  validate: (values, line) => validateCenter(values, line),
  idOf: (r) => r.center_id,
  linesInRun: (s, run, ids) => s.centerLinesInRun(run, ids),
  upsert: (s, run, rows) => s.upsertCenters(run, rows),
};

const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A CSV file opened on first write, so a clean import leaves no empty side files behind. */
class LazyCsv {
  private out: WriteStream | null = null;
  count = 0;
  constructor(
    readonly path: string,
    private readonly header: readonly string[],
  ) {}
  async write(fields: readonly string[]): Promise<void> {
    if (!this.out) {
      this.out = createWriteStream(this.path);
      this.out.write(this.header.map(csvField).join(',') + '\n');
    }
    this.count++;
    if (!this.out.write(fields.map(csvField).join(',') + '\n')) await once(this.out, 'drain');
  }
  async close(): Promise<string | null> {
    if (!this.out) {
      await rm(this.path, { force: true }); // an older run's file would mislead
      return null;
    }
    this.out.end();
    await once(this.out, 'finish');
    return this.path;
  }
}

async function importFile<R extends { line: number }>(
  kind: Kind<R>,
  store: RegistryStore,
  path: string,
  options: ImportOptions,
): Promise<ImportSummary> {
  const source = await openSource(path, kind.columns, options);
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const batchSize = options.batchSize ?? 1000;
  const run = randomUUID();
  const rejects = new LazyCsv(`${path}.rejects.csv`, ['line', 'reason', ...source.originalColumns]);
  const warnings = new LazyCsv(`${path}.warnings.csv`, ['line', kind.idColumn, 'reason']);
  let imported = 0;
  let rows = 0;
  let batch: R[] = [];
  let batchLines = new Map<string, number>();
  const pendingOriginal = new Map<R, readonly string[]>();

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const earlier = await kind.linesInRun(store, run, [...batchLines.keys()]);
    const keep: R[] = [];
    for (const r of batch) {
      const first = earlier.get(kind.idOf(r));
      if (first !== undefined) {
        await rejects.write([String(r.line), `${kind.idColumn} already seen at line ${first}`, ...pendingOriginal.get(r)!]);
      } else keep.push(r);
    }
    await kind.upsert(store, run, keep);
    imported += keep.length;
    batch = [];
    batchLines = new Map();
    pendingOriginal.clear();
    options.onProgress?.({ rows, bytes: source.bytesRead(), size: source.size });
  };

  for await (const rec of source.records()) {
    rows++;
    if (isBroken(rec)) {
      await rejects.write([String(rec.line), rec.reason, ...rec.original]);
      continue;
    }
    const outcome = kind.validate(rec.values, rec.line, today);
    const id = rec.values[kind.idColumn] ?? '';
    for (const w of outcome.warnings) await warnings.write([String(rec.line), id, w]);
    if ('reject' in outcome) {
      await rejects.write([String(rec.line), outcome.reject, ...rec.original]);
      continue;
    }
    const first = batchLines.get(id);
    if (first !== undefined) {
      await rejects.write([String(rec.line), `${kind.idColumn} already seen at line ${first}`, ...rec.original]);
      continue;
    }
    batchLines.set(id, rec.line);
    batch.push(outcome.row);
    pendingOriginal.set(outcome.row, rec.original);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return {
    imported,
    rejected: rejects.count,
    warnings: warnings.count,
    rejectsFile: await rejects.close(),
    warningsFile: await warnings.close(),
  };
}

/** Imports a citizen registry file (CSV or NDJSON), upserting by `citizen_id`. */
export const importCitizens = (store: RegistryStore, path: string, options: ImportOptions = {}): Promise<ImportSummary> =>
  importFile(CITIZENS, store, path, options);

/** Imports a vaccination centres CSV, upserting by `center_id`. */
export const importCenters = (store: RegistryStore, path: string, options: ImportOptions = {}): Promise<ImportSummary> =>
  importFile(CENTERS, store, path, options);
