/**
 * The registry's store. Every statement is written once, in Kysely, for both dialects.
 *
 * On SQLite the bulk path compiles the single-row statements with Kysely once and runs them as
 * prepared statements inside one transaction per batch: re-preparing a 1,000-row statement for
 * every batch cost more than the inserts themselves. On PostgreSQL each batch is one multi-row
 * statement (round trips dominate there).
 */
import type SQLite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { FILE_OPT_OUT_SOURCE } from '../registry/citizens.js';
import { phoneType } from '../registry/fields.js';
import type { CenterRecord, CitizenRecord, RegistryStore, VaccinationRecord } from '../registry/store.js';
import { CITIZENS_BIRTH_DATE_INDEX } from './migrations.js';
import type { StoreHandle } from './open.js';
import type { Database } from './schema.js';
import { markNoShows, recordImport, writeVaccinations } from './vaccinations.js';

const CITIZEN_COLUMNS = [
  'citizen_id', 'given_name', 'family_name', 'birth_date', 'sex', 'phone', 'phone_type', 'email', 'language', 'region', 'asl',
  'municipality', 'doses', 'last_dose_date', 'opt_out', 'deceased', 'whatsapp_opt_in', 'import_run', 'source_line', 'updated_at',
] as const;

const CENTER_COLUMNS = [
  'center_id', 'name', 'region', 'asl', 'municipality', 'address', 'daily_capacity', 'opening', 'catchment',
  'import_run', 'source_line', 'updated_at',
] as const;

type CitizenValues = Omit<Database['citizens'], 'opt_out_at' | 'opt_out_source'>;
type CenterValues = Database['centers'];

const citizenValues = (run: string, now: string, r: CitizenRecord): CitizenValues => ({
  citizen_id: r.citizen_id,
  given_name: r.given_name,
  family_name: r.family_name,
  birth_date: r.birth_date,
  sex: r.sex,
  phone: r.phone,
  // Typed once per number shape (a record written without a type, such as a test's, is typed here).
  phone_type: r.phone_type !== undefined ? r.phone_type : phoneType(r.phone),
  email: r.email,
  language: r.language,
  region: r.region,
  asl: r.asl,
  municipality: r.municipality,
  doses: r.doses,
  last_dose_date: r.last_dose_date,
  opt_out: r.opt_out ? 1 : 0,
  deceased: r.deceased ? 1 : 0,
  whatsapp_opt_in: r.whatsapp_opt_in ? 1 : 0,
  import_run: run,
  source_line: r.line,
  updated_at: now,
});

const centerValues = (run: string, now: string, r: CenterRecord): CenterValues => ({
  center_id: r.center_id,
  name: r.name,
  region: r.region,
  asl: r.asl,
  municipality: r.municipality,
  address: r.address,
  daily_capacity: r.daily_capacity,
  opening: r.opening,
  catchment: r.catchment.join(';'),
  import_run: run,
  source_line: r.line,
  updated_at: now,
});

/** The upsert's SET list: every column but the key takes the incoming (`excluded`) value. */
function setExcluded(cols: readonly string[], overrides: Record<string, unknown> = {}) {
  return (eb: { ref(r: string): unknown }) =>
    Object.fromEntries(cols.slice(1).map((c) => [c, c in overrides ? overrides[c] : eb.ref(`excluded.${c}`)]));
}

/** Which opt-outs a re-import keeps: registry/citizens.ts FILE_OPT_OUT_SOURCE (a literal, so the prepared SQL and its parameter count stay as they were). */
const keepCitizenOptOut = sql`case when citizens.opt_out_source is not null and citizens.opt_out_source <> ${sql.lit(FILE_OPT_OUT_SOURCE)} then citizens.opt_out else excluded.opt_out end`;


function citizenUpsert(db: Kysely<Database>, rows: CitizenValues[]) {
  return db
    .insertInto('citizens')
    .values(rows)
    .onConflict((oc) =>
      oc.column('citizen_id').doUpdateSet(setExcluded(CITIZEN_COLUMNS, { opt_out: keepCitizenOptOut }) as never),
    );
}

function centerUpsert(db: Kysely<Database>, rows: CenterValues[]) {
  return db
    .insertInto('centers')
    .values(rows)
    .onConflict((oc) => oc.column('center_id').doUpdateSet(setExcluded(CENTER_COLUMNS) as never));
}

const placeholderCitizen: CitizenValues = Object.fromEntries(CITIZEN_COLUMNS.map((c) => [c, null])) as never;

type WriteBatch = (run: string, rows: readonly CitizenRecord[]) => Map<string, number>;

export class KyselyRegistryStore implements RegistryStore {
  private readonly db: Kysely<Database>;
  private sqliteWriter: WriteBatch | null = null;
  /** Set while a bulk import fills an empty registry: every row is new unless this run wrote it. */
  private loadingEmpty = false;

  constructor(private readonly handle: StoreHandle) {
    this.db = handle.db;
  }

  /** Prepared once per store, from Kysely's own compilation of the single-row statements. */
  private sqliteFast(sqlite: SQLite.Database): WriteBatch {
    if (this.sqliteWriter) return this.sqliteWriter;
    const existing = sqlite.prepare<[string], { import_run: string | null; source_line: number | null }>(
      this.db.selectFrom('citizens').select(['import_run', 'source_line']).where('citizen_id', '=', '').compile().sql,
    );
    const upsert = sqlite.prepare<unknown[]>(citizenUpsert(this.db, [placeholderCitizen]).compile().sql);
    const deleteGroups = sqlite.prepare<[string]>(this.db.deleteFrom('citizen_groups').where('citizen_id', '=', '').compile().sql);
    const insertGroup = sqlite.prepare<[string, string]>(
      this.db.insertInto('citizen_groups').values({ citizen_id: '', group_code: '' }).compile().sql,
    );
    const insertNew = sqlite.prepare<unknown[]>(
      this.db.insertInto('citizens').values(placeholderCitizen).onConflict((oc) => oc.column('citizen_id').doNothing()).compile().sql,
    );
    const write = sqlite.transaction((run: string, rows: readonly CitizenRecord[]) => {
      const now = new Date().toISOString();
      const duplicates = new Map<string, number>();
      for (const r of rows) {
        const v = citizenValues(run, now, r);
        // Into an empty registry: insert, and only a conflict needs a look (this run wrote the
        // id before, or another import running at the same time did).
        if (this.loadingEmpty && insertNew.run(CITIZEN_COLUMNS.map((c) => v[c])).changes === 1) {
          for (const g of r.priority_groups) insertGroup.run(r.citizen_id, g);
          continue;
        }
        const before = existing.get(r.citizen_id);
        if (before && before.import_run === run) {
          duplicates.set(r.citizen_id, before.source_line ?? 0);
          continue;
        }
        upsert.run(CITIZEN_COLUMNS.map((c) => v[c]));
        // Only a citizen already in the store can have groups to replace.
        if (before) deleteGroups.run(r.citizen_id);
        for (const g of r.priority_groups) insertGroup.run(r.citizen_id, g);
      }
      return duplicates;
    });
    // IMMEDIATE: the batch reads before it writes; a deferred transaction would fail to take the
    // write lock at once (no busy wait) when another process wrote in between.
    this.sqliteWriter = (run, rows) => write.immediate(run, rows);
    return this.sqliteWriter;
  }

  async bulk<T>(fn: () => Promise<T>): Promise<T> {
    const sqlite = this.handle.sqlite;
    if (!sqlite) return fn();
    // Maintaining the birth-date index row by row costs as much as the rest of an import into
    // an empty registry; building it once at the end takes a second per million rows.
    // Checked and dropped under the write lock, so an import that starts at the same moment
    // sees either an empty registry without the index or rows. Another process's index build
    // (every store open makes sure it exists) only makes this load slower, not wrong.
    const empty = sqlite.transaction(() => {
      const none = sqlite.prepare('select 1 from citizens limit 1').get() === undefined;
      if (none) sqlite.exec('drop index if exists citizens_birth_date');
      return none;
    }).immediate();
    // The import is idempotent (an upsert by id), so a power cut during it costs a re-run, not
    // data: commits need not reach the disk one by one, and checkpoints wait for the end.
    const checkpointEvery = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
    sqlite.pragma('synchronous = OFF');
    sqlite.pragma('wal_autocheckpoint = 100000');
    this.loadingEmpty = empty;
    try {
      return await fn();
    } finally {
      this.loadingEmpty = false;
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma(`wal_autocheckpoint = ${checkpointEvery}`);
      if (empty) {
        // The index build sorts in memory up to the page cache size; a small cache makes it
        // spill to a temporary file instead, so a 10-million-row import stays within its memory.
        const cache = sqlite.pragma('cache_size', { simple: true }) as number;
        sqlite.pragma('cache_size = -8192');
        try {
          sqlite.exec(CITIZENS_BIRTH_DATE_INDEX);
        } finally {
          sqlite.pragma(`cache_size = ${cache}`);
        }
      }
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
    }
  }

  async writeCitizens(run: string, rows: readonly CitizenRecord[]): Promise<Map<string, number>> {
    if (rows.length === 0) return new Map();
    if (this.handle.sqlite) return this.sqliteFast(this.handle.sqlite)(run, rows);
    const now = new Date().toISOString();
    return this.db.transaction().execute(async (trx) => {
      const earlier = await trx
        .selectFrom('citizens')
        .select(['citizen_id', 'source_line'])
        .where('import_run', '=', run)
        .where('citizen_id', 'in', rows.map((r) => r.citizen_id))
        .execute();
      const duplicates = new Map(earlier.map((e) => [e.citizen_id, e.source_line ?? 0]));
      // In id order, so two imports writing the same ids at once take their row locks in the same
      // order and wait for each other instead of deadlocking (the later commit wins).
      const keep = rows.filter((r) => !duplicates.has(r.citizen_id)).sort((a, b) => (a.citizen_id < b.citizen_id ? -1 : a.citizen_id > b.citizen_id ? 1 : 0));
      if (keep.length === 0) return duplicates;
      await citizenUpsert(trx, keep.map((r) => citizenValues(run, now, r))).execute();
      await trx.deleteFrom('citizen_groups').where('citizen_id', 'in', keep.map((r) => r.citizen_id)).execute();
      const groups = keep.flatMap((r) => r.priority_groups.map((g) => ({ citizen_id: r.citizen_id, group_code: g })));
      if (groups.length > 0) await trx.insertInto('citizen_groups').values(groups).execute();
      return duplicates;
    });
  }

  async writeCenters(run: string, rows: readonly CenterRecord[]): Promise<Map<string, number>> {
    if (rows.length === 0) return new Map();
    const now = new Date().toISOString();
    return this.db.transaction().execute(async (trx) => {
      const earlier = await trx
        .selectFrom('centers')
        .select(['center_id', 'source_line'])
        .where('import_run', '=', run)
        .where('center_id', 'in', rows.map((r) => r.center_id))
        .execute();
      const duplicates = new Map(earlier.map((e) => [e.center_id, e.source_line ?? 0]));
      const keep = rows.filter((r) => !duplicates.has(r.center_id)).sort((a, b) => (a.center_id < b.center_id ? -1 : a.center_id > b.center_id ? 1 : 0));
      if (keep.length === 0) return duplicates;
      await centerUpsert(trx, keep.map((r) => centerValues(run, now, r))).execute();
      await trx.deleteFrom('center_catchment').where('center_id', 'in', keep.map((r) => r.center_id)).execute();
      const areas = keep.flatMap((r) => [...new Set(r.catchment.map((a) => a.toUpperCase()))].map((area) => ({ center_id: r.center_id, area })));
      if (areas.length > 0) await trx.insertInto('center_catchment').values(areas).execute();
      return duplicates;
    });
  }

  writeVaccinations(run: string, rows: readonly VaccinationRecord[]): Promise<{ refused: Map<string, string>; attended: number }> {
    return writeVaccinations(this.db, run, rows);
  }

  markNoShows(through: string, today: string, at: string): Promise<number> {
    return markNoShows(this.db, through, today, at);
  }

  recordImport(run: string, kind: 'citizens' | 'vaccinations', at: string): Promise<void> {
    return recordImport(this.db, run, kind, at);
  }

  /** Whether the registry holds any citizen and any centre (one row looked at each). */
  async presence(): Promise<{ citizens: boolean; centers: boolean }> {
    const [citizen, center] = await Promise.all([
      this.db.selectFrom('citizens').select('citizen_id').limit(1).executeTakeFirst(),
      this.db.selectFrom('centers').select('center_id').limit(1).executeTakeFirst(),
    ]);
    return { citizens: citizen !== undefined, centers: center !== undefined };
  }
}
