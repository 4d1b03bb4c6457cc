/**
 * Doses given (`invito import vaccinations`), both dialects: the vaccinations table, the
 * citizens' dose count and last dose's date, and what a dose says of the appointment of its day.
 * The rules (which rows are refused, which appointment is attended or a no-show) are
 * registry/store.ts's `writeVaccinations` and `markNoShows`.
 */
import { type Kysely, sql } from 'kysely';
import { HOLDS_SLOT } from '../pacer/allocation.js';
import { vaccinationKey } from '../registry/vaccinations.js';
import type { VaccinationRecord } from '../registry/store.js';
import type { Database } from './schema.js';

export async function writeVaccinations(db: Kysely<Database>, run: string, rows: readonly VaccinationRecord[]): Promise<{ refused: Map<string, string>; attended: number }> {
  const refused = new Map<string, string>();
  if (rows.length === 0) return { refused, attended: 0 };
  const now = new Date().toISOString();
  return db.transaction().execute(async (trx) => {
    const ids = [...new Set(rows.map((r) => r.citizen_id))];
    const known = new Set((await trx.selectFrom('citizens').select('citizen_id').where('citizen_id', 'in', ids).execute()).map((c) => c.citizen_id));
    const earlier = await trx.selectFrom('vaccinations').select(['citizen_id', 'dose', 'source_line']).where('import_run', '=', run).where('citizen_id', 'in', ids).execute();
    const seen = new Map(earlier.map((e) => [vaccinationKey(e.citizen_id, e.dose), e.source_line ?? 0]));
    // In citizen order, so two imports at once take their row locks in the same order.
    const keep: VaccinationRecord[] = [];
    for (const r of rows) {
      const key = vaccinationKey(r.citizen_id, r.dose);
      if (!known.has(r.citizen_id)) refused.set(key, 'citizen_id is not in the registry');
      else if (seen.has(key)) refused.set(key, `citizen_id and dose already seen at line ${seen.get(key)}`);
      else keep.push(r);
    }
    keep.sort((a, b) => (a.citizen_id < b.citizen_id ? -1 : a.citizen_id > b.citizen_id ? 1 : a.dose - b.dose));
    if (keep.length === 0) return { refused, attended: 0 };
    await trx
      .insertInto('vaccinations')
      .values(keep.map((r) => ({ citizen_id: r.citizen_id, dose: r.dose, date: r.date, center_id: r.center_id, import_run: run, source_line: r.line, updated_at: now })))
      .onConflict((oc) =>
        oc.columns(['citizen_id', 'dose']).doUpdateSet((eb) => ({
          date: eb.ref('excluded.date'), center_id: eb.ref('excluded.center_id'), import_run: eb.ref('excluded.import_run'), source_line: eb.ref('excluded.source_line'), updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
    let attended = 0;
    for (const r of keep) {
      // The dose count is at least this dose; the last dose's date moves only forward.
      await trx
        .updateTable('citizens')
        .set({
          doses: sql<number>`case when doses < ${r.dose} then ${r.dose} else doses end`,
          last_dose_date: sql<string>`case when last_dose_date is null or last_dose_date < ${r.date} then ${r.date} else last_dose_date end`,
          updated_at: now,
        })
        .where('citizen_id', '=', r.citizen_id)
        .execute();
      const res = await trx
        .updateTable('appointments')
        .set({ state: 'attended', updated_at: now })
        .where('citizen_id', '=', r.citizen_id).where('day', '=', r.date).where('state', 'in', HOLDS_SLOT)
        .executeTakeFirst();
      attended += Number(res.numUpdatedRows);
    }
    return { refused, attended };
  });
}

export async function markNoShows(db: Kysely<Database>, through: string, today: string, at: string): Promise<number> {
  const res = await db
    .updateTable('appointments')
    .set({ state: 'no_show', updated_at: at })
    .where('state', 'in', HOLDS_SLOT).where('day', '<', today).where('day', '<=', through)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function recordImport(db: Kysely<Database>, run: string, kind: 'citizens' | 'vaccinations', at: string): Promise<void> {
  await db.insertInto('registry_imports').values({ run, kind, finished_at: at }).onConflict((oc) => oc.column('run').doNothing()).execute();
}
