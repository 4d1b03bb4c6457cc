/**
 * Reading and validating a registry file, batch by batch. This is the CPU-heavy half of an
 * import (CSV parsing, phone numbers), so it can run in a worker thread while the main thread
 * writes the previous batch to the store; it also runs inline (tests from source, no worker).
 */
import { CENTER_COLUMNS, validateCenter } from './centers.js';
import { CITIZEN_COLUMNS, validateCitizen } from './citizens.js';
import { VACCINATION_COLUMNS, vaccinationKey, validateVaccination } from './vaccinations.js';
import { type ColumnRules, type FileEncoding, type FileFormat, isBroken, isStop, openSource, printable, type StopRecord } from './reader.js';
import { InvitoError } from '../core/errors.js';
import type { CenterRecord, CitizenRecord, VaccinationRecord } from './store.js';

export type RowOutcome<R> = { row: R; warnings: string[] } | { reject: string; warnings: string[] };

export type KindName = 'citizens' | 'centers' | 'vaccinations';
export type RecordOf<K extends KindName> = K extends 'citizens' ? CitizenRecord : K extends 'centers' ? CenterRecord : VaccinationRecord;

interface KindRules<R> {
  readonly columns: ColumnRules;
  readonly idColumn: string;
  /** What a row is unique by inside one file, and its name in the rejects (default: the id column). */
  readonly key?: { readonly of: (values: Record<string, string>) => string; readonly name: string };
  validate(values: Record<string, string>, line: number, today: string): RowOutcome<R>;
}

export const KIND_RULES: { [K in KindName]: KindRules<RecordOf<K>> } = {
  citizens: { columns: CITIZEN_COLUMNS, idColumn: 'citizen_id', validate: validateCitizen },
  centers: { columns: CENTER_COLUMNS, idColumn: 'center_id', validate: (values, line) => validateCenter(values, line) },
  // A citizen has one row per dose.
  vaccinations: { columns: VACCINATION_COLUMNS, idColumn: 'citizen_id', key: { of: (v) => vaccinationKey(v.citizen_id ?? '', Number(v.dose)), name: 'citizen_id and dose' }, validate: validateVaccination },
};

export interface ReadOptions {
  encoding?: FileEncoding;
  format?: FileFormat;
  batchSize?: number;
  today: string;
}

/** The file's shape, sent once before the batches. */
export interface SourceInfo {
  readonly type: 'info';
  /** Columns of the rejects file after `line` and `reason`. */
  readonly rejectColumns: readonly string[];
  readonly idColumn: string;
  readonly size: number;
}

export interface ValidatedBatch<R> {
  readonly type: 'batch';
  readonly rows: R[];
  /** The file's own fields of each row in `rows`, for the rejects file should the store refuse it. */
  readonly originals: (readonly string[])[];
  /** Rejected rows: line, reason, then the row as it was. */
  readonly rejects: string[][];
  /** Warnings: line, id, reason (never the value). */
  readonly warnings: string[][];
  /** Records read so far and bytes consumed, for progress. */
  readonly read: number;
  readonly bytes: number;
  /** Set on the last batch when the file cannot be read past a line; the batch holds what came before it. */
  readonly stop?: StopRecord;
}

/**
 * This many unreadable records in a row (no line with the header's fields, no JSON object) is
 * not a file with a few bad rows but one that cannot be read on — the wrong delimiter, a
 * binary tail, a truncated copy — and the import stops rather than reject every line after it.
 */
export const MAX_BROKEN_RUN = 1000;

export async function* validatedBatches<K extends KindName>(
  kind: K,
  path: string,
  options: ReadOptions,
): AsyncGenerator<SourceInfo | ValidatedBatch<RecordOf<K>>> {
  const rules = KIND_RULES[kind] as KindRules<RecordOf<K>>;
  const source = await openSource(path, rules.columns, options);
  yield { type: 'info', rejectColumns: source.originalColumns, idColumn: rules.idColumn, size: source.size };
  const batchSize = options.batchSize ?? 1000;
  let read = 0;
  let batch = fresh<RecordOf<K>>();
  // A repeated id inside one batch; repeats across batches are found by the store.
  let lines = new Map<string, number>();
  let brokenRun = 0;
  let brokenFrom = 0;
  for await (const rec of source.records()) {
    if (isStop(rec)) {
      yield { ...batch, read, bytes: source.bytesRead(), stop: rec };
      return;
    }
    read++;
    if (isBroken(rec)) {
      batch.rejects.push([String(rec.line), rec.reason, ...rec.original]);
      if (brokenRun++ === 0) brokenFrom = rec.line;
      if (brokenRun >= MAX_BROKEN_RUN) {
        const as = source.format === 'csv' ? `rows of the header's ${source.columns.length} columns` : 'JSON objects';
        const reason = `from this line on, ${MAX_BROKEN_RUN} records in a row cannot be read as ${as} (they are in the rejects file)`;
        yield { ...batch, read, bytes: source.bytesRead(), stop: { stop: 'IMPORT_MALFORMED', line: brokenFrom, reason } };
        return;
      }
      continue;
    }
    brokenRun = 0;
    const outcome = rules.validate(rec.values, rec.line, options.today);
    const id = rec.values[rules.idColumn] ?? '';
    for (const w of outcome.warnings) batch.warnings.push([String(rec.line), id, w]);
    if ('reject' in outcome) {
      batch.rejects.push([String(rec.line), outcome.reject, ...rec.original]);
      continue;
    }
    const key = rules.key ? rules.key.of(rec.values) : id;
    const first = lines.get(key);
    if (first !== undefined) {
      batch.rejects.push([String(rec.line), `${rules.key?.name ?? rules.idColumn} already seen at line ${first}`, ...rec.original]);
      continue;
    }
    lines.set(key, rec.line);
    batch.rows.push(outcome.row);
    batch.originals.push(rec.original);
    if (batch.rows.length >= batchSize) {
      yield { ...batch, read, bytes: source.bytesRead() };
      batch = fresh();
      lines = new Map();
    }
  }
  yield { ...batch, read, bytes: source.bytesRead() };
}

/** The error that ends an import at a stop, saying how much of the file before it was imported. */
export function stopError(path: string, stop: StopRecord, imported: number): InvitoError {
  const rows = `${imported} row${imported === 1 ? '' : 's'} before line ${stop.line} ${imported === 1 ? 'was' : 'were'} imported`;
  return new InvitoError(stop.stop, `${printable(path)}:${stop.line}: ${stop.reason}; the import stopped there (${rows})`);
}

function fresh<R>(): Omit<ValidatedBatch<R>, 'read' | 'bytes'> {
  return { type: 'batch', rows: [], originals: [], rejects: [], warnings: [] };
}
