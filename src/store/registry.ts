/** The registry's store, in Kysely: one set of queries for SQLite and PostgreSQL. */
import type { Kysely } from 'kysely';
import type { CenterRecord, CitizenRecord, RegistryStore } from '../registry/store.js';
import type { Database } from './schema.js';

const CITIZEN_COLUMNS = [
  'given_name', 'family_name', 'birth_date', 'sex', 'phone', 'email', 'language', 'region', 'asl',
  'municipality', 'doses', 'last_dose_date', 'opt_out', 'import_run', 'source_line', 'updated_at',
] as const;

const CENTER_COLUMNS = [
  'name', 'region', 'asl', 'municipality', 'address', 'daily_capacity', 'opening', 'catchment',
  'import_run', 'source_line', 'updated_at',
] as const;

/** Both dialects: `excluded.col` is the row that failed to insert. */
function updateFromExcluded<C extends string>(cols: readonly C[]) {
  return (eb: { ref: (r: string) => unknown }) =>
    Object.fromEntries(cols.map((c) => [c, eb.ref(`excluded.${c}`)])) as Record<C, never>;
}

export class KyselyRegistryStore implements RegistryStore {
  constructor(private readonly db: Kysely<Database>) {}

  async citizenLinesInRun(run: string, ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('citizens')
      .select(['citizen_id', 'source_line'])
      .where('import_run', '=', run)
      .where('citizen_id', 'in', ids)
      .execute();
    return new Map(rows.map((r) => [r.citizen_id, r.source_line ?? 0]));
  }

  async upsertCitizens(run: string, rows: readonly CitizenRecord[]): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('citizens')
        .values(
          rows.map((r) => ({
            citizen_id: r.citizen_id,
            given_name: r.given_name,
            family_name: r.family_name,
            birth_date: r.birth_date,
            sex: r.sex,
            phone: r.phone,
            email: r.email,
            language: r.language,
            region: r.region,
            asl: r.asl,
            municipality: r.municipality,
            doses: r.doses,
            last_dose_date: r.last_dose_date,
            opt_out: r.opt_out ? 1 : 0,
            import_run: run,
            source_line: r.line,
            updated_at: now,
          })),
        )
        .onConflict((oc) => oc.column('citizen_id').doUpdateSet(updateFromExcluded(CITIZEN_COLUMNS) as never))
        .execute();
      await trx.deleteFrom('citizen_groups').where('citizen_id', 'in', rows.map((r) => r.citizen_id)).execute();
      const groups = rows.flatMap((r) => r.priority_groups.map((g) => ({ citizen_id: r.citizen_id, group_code: g })));
      if (groups.length > 0) await trx.insertInto('citizen_groups').values(groups).execute();
    });
  }

  async centerLinesInRun(run: string, ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('centers')
      .select(['center_id', 'source_line'])
      .where('import_run', '=', run)
      .where('center_id', 'in', ids)
      .execute();
    return new Map(rows.map((r) => [r.center_id, r.source_line ?? 0]));
  }

  async upsertCenters(run: string, rows: readonly CenterRecord[]): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('centers')
        .values(
          rows.map((r) => ({
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
          })),
        )
        .onConflict((oc) => oc.column('center_id').doUpdateSet(updateFromExcluded(CENTER_COLUMNS) as never))
        .execute();
      await trx.deleteFrom('center_catchment').where('center_id', 'in', rows.map((r) => r.center_id)).execute();
      const areas = rows.flatMap((r) => [...new Set(r.catchment.map((a) => a.toUpperCase()))].map((area) => ({ center_id: r.center_id, area })));
      if (areas.length > 0) await trx.insertInto('center_catchment').values(areas).execute();
    });
  }
}
