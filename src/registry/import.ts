/**
 * Streaming import of registry files (citizens, centres) into the store.
 *
 * Rows are validated one by one and written in batches; a rejected row goes to
 * `FILE.rejects.csv` (line, reason, the row as it was) and never stops its neighbours.
 * A duplicate id inside one file is found through the store (rows remember the import run
 * and line that wrote them), so memory stays flat whatever the file size. Reading and
 * validation run in a worker thread when the code runs compiled, overlapping the writes.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CsvFile } from '../core/csv.js';
import { type ErrorCode, ERRORS, InvitoError } from '../core/errors.js';
import type { WorkerInput, WorkerMessage } from './import-worker.js';
import type { FileEncoding, FileFormat } from './reader.js';
import type { RegistryStore } from './store.js';
import { vaccinationKey } from './vaccinations.js';
import { type KindName, type ReadOptions, type RecordOf, type SourceInfo, stopError, type ValidatedBatch, validatedBatches } from './validated.js';

export interface ImportSummary {
  /** This run's id, kept with every row it wrote (`import_run`). */
  run: string;
  imported: number;
  rejected: number;
  warnings: number;
  /** Where the rejected rows were written (see `SideFile`); null when none was rejected. */
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
  /**
   * Read and validate in a worker thread. @defaultValue true when running compiled (the worker
   * script exists next to this module), false otherwise
   */
  worker?: boolean;
  /** Called after each batch with rows read and bytes consumed of the total. */
  onProgress?: (p: { rows: number; bytes: number; size: number }) => void;
}

/**
 * A side file (rejects, warnings), created on first write under a temporary name and named
 * at the end: `FILE.rejects.csv` when no file has that name, else `FILE.<run>.rejects.csv`.
 * Another run's file — one running at the same time, or an earlier one whose summary named
 * it — is never replaced or deleted; a run without rejects leaves no file.
 */
class SideFile {
  private file: CsvFile | null = null;
  count = 0;
  constructor(
    private readonly path: string,
    private readonly kind: 'rejects' | 'warnings',
    private readonly run: string,
    private readonly header: readonly string[],
  ) {}
  async write(fields: readonly string[]): Promise<void> {
    this.file ??= await CsvFile.create(`${this.path}.${this.kind}.csv`, this.header);
    this.count++;
    await this.file.write(fields);
  }
  async publish(): Promise<string | null> {
    if (!this.file) return null;
    const usual = `${this.path}.${this.kind}.csv`;
    if (await this.file.placeNew(usual)) return usual;
    const own = `${this.path}.${this.run}.${this.kind}.csv`;
    await this.file.replace(own);
    return own;
  }
}

/** A run id that sorts by time and reads as one in a file name: `20260512T103015Z-1a2b3c`. */
const newRun = (): string => `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(3).toString('hex')}`;

type Item<K extends KindName> = SourceInfo | ValidatedBatch<RecordOf<K>>;

const WORKER_URL = new URL('./import-worker.js', import.meta.url);
const workerAvailable = (): boolean => existsSync(fileURLToPath(WORKER_URL));

/** Batches from a worker thread, with at most `ahead` batches waiting for the store. */
async function* fromWorker<K extends KindName>(kind: K, path: string, options: ReadOptions): AsyncGenerator<Item<K>> {
  const ahead = 3;
  // A small young generation keeps the worker's garbage from piling up while it races ahead.
  const worker = new Worker(WORKER_URL, { workerData: { kind, path, options, ahead } satisfies WorkerInput, resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 96 } });
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  let exited = false;
  const poke = (): void => {
    wake?.();
    wake = null;
  };
  worker.on('message', (m: WorkerMessage) => {
    queue.push(m);
    poke();
  });
  worker.on('error', (e) => {
    failure = e;
    poke();
  });
  worker.on('exit', () => {
    exited = true;
    poke();
  });
  try {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        if (failure) throw failure;
        if (exited) throw new InvitoError('INTERNAL', 'the import worker stopped before the end of the file');
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      if (m.type === 'end') return;
      if (m.type === 'error') {
        const code = m.code && Object.hasOwn(ERRORS, m.code) ? (m.code as ErrorCode) : 'INTERNAL';
        throw new InvitoError(code, m.message);
      }
      yield m as unknown as Item<K>;
      if (m.type === 'batch') worker.postMessage('more');
    }
  } finally {
    await worker.terminate();
  }
}

async function importFile<K extends KindName>(
  kind: K,
  /** Writes a batch; returns the rows it refused by key: the line of the row with the same key this run wrote first, or the reason. */
  write: (run: string, rows: RecordOf<K>[]) => Promise<Map<string, number | string>>,
  idOf: (r: RecordOf<K>) => string,
  path: string,
  options: ImportOptions,
  /** Called with the run once it wrote what it could: at the end (`complete`), or when it stopped part-way with rows before the stop in the store. */
  wrote: (run: string, complete: boolean) => Promise<void> = async () => {},
): Promise<ImportSummary> {
  const readOptions: ReadOptions = {
    today: options.today ?? new Date().toISOString().slice(0, 10),
    batchSize: options.batchSize ?? 1000,
    ...(options.encoding ? { encoding: options.encoding } : {}),
    ...(options.format ? { format: options.format } : {}),
  };
  const items = (options.worker ?? workerAvailable()) ? fromWorker(kind, path, readOptions) : validatedBatches(kind, path, readOptions);
  const run = newRun();
  let rejects: SideFile | null = null;
  let warnings: SideFile | null = null;
  let idColumn = '';
  let size = 0;
  let imported = 0;
  try {
    for await (const item of items) {
      if (item.type === 'info') {
        rejects = new SideFile(path, 'rejects', run, ['line', 'reason', ...item.rejectColumns]);
        warnings = new SideFile(path, 'warnings', run, ['line', item.idColumn, 'reason']);
        idColumn = item.idColumn;
        size = item.size;
        continue;
      }
      const duplicates = await write(run, item.rows);
      for (const r of item.rejects) await rejects!.write(r);
      for (const w of item.warnings) await warnings!.write(w);
      if (duplicates.size > 0) {
        for (let i = 0; i < item.rows.length; i++) {
          const row = item.rows[i]!;
          const first = duplicates.get(idOf(row));
          if (first !== undefined) await rejects!.write([String(row.line), typeof first === 'number' ? `${idColumn} already seen at line ${first}` : first, ...item.originals[i]!]);
        }
      }
      imported += item.rows.length - duplicates.size;
      options.onProgress?.({ rows: item.read, bytes: item.bytes, size });
      if (item.stop) throw stopError(path, item.stop, imported);
    }
  } catch (e) {
    // What was rejected before the stop is still worth reading.
    await rejects?.publish().catch(() => null);
    await warnings?.publish().catch(() => null);
    if (imported > 0) await wrote(run, false).catch(() => null);
    throw e;
  }
  await wrote(run, true);
  return {
    run,
    imported,
    rejected: rejects!.count,
    warnings: warnings!.count,
    rejectsFile: await rejects!.publish(),
    warningsFile: await warnings!.publish(),
  };
}

/**
 * Imports a citizen registry file (CSV or NDJSON), upserting by `citizen_id`. The run is recorded
 * (also one that stopped part-way, for the rows before the stop): the pacer then checks its
 * campaigns' open work against the registry as it is now.
 */
export const importCitizens = (store: RegistryStore, path: string, options: ImportOptions = {}): Promise<ImportSummary> =>
  store.bulk(async () => {
    const recorded = (run: string) => store.recordImport(run, 'citizens', new Date().toISOString());
    return importFile('citizens', (run, rows) => store.writeCitizens(run, rows), (r) => r.citizen_id, path, options, recorded);
  });

export interface VaccinationsSummary extends ImportSummary {
  /** Appointments marked attended: a dose recorded on their day. */
  attended: number;
  /** Appointments marked no_show: held or confirmed, their day before today and not after the file's last date, no dose. */
  noShow: number;
}

/**
 * Imports a vaccinations file (`citizen_id`, `date`, `dose`, `center_id`): the doses given, with
 * the registry's reject rules and report. Each dose raises the citizen's dose count (and last
 * dose's date) and marks the appointment of its day `attended`; afterwards, past appointments
 * with no dose become `no_show`. The finished run is recorded for the pacer's eligibility sweep.
 */
export async function importVaccinations(store: RegistryStore, path: string, options: ImportOptions = {}): Promise<VaccinationsSummary> {
  let attended = 0;
  let noShow = 0;
  let through = '';
  const summary = await importFile(
    'vaccinations',
    async (run, rows) => {
      const r = await store.writeVaccinations(run, rows);
      attended += r.attended;
      for (const row of rows) if (row.date > through && !r.refused.has(vaccinationKey(row.citizen_id, row.dose))) through = row.date;
      return r.refused;
    },
    (r) => vaccinationKey(r.citizen_id, r.dose),
    path,
    options,
    // No-shows only after a whole file: a stopped one has not said who came on its last days.
    async (run, complete) => {
      const at = new Date().toISOString();
      if (complete && through !== '') noShow = await store.markNoShows(through, options.today ?? at.slice(0, 10), at);
      await store.recordImport(run, 'vaccinations', at);
    },
  );
  return { ...summary, attended, noShow };
}

/** Imports a vaccination centres CSV, upserting by `center_id`. */
export const importCenters = (store: RegistryStore, path: string, options: ImportOptions = {}): Promise<ImportSummary> =>
  importFile('centers', (run, rows) => store.writeCenters(run, rows), (r) => r.center_id, path, options);
