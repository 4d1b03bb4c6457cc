/**
 * The simulator's `SimulationStore` (src/simulate/store.ts) over Kysely, one set of statements
 * for SQLite and PostgreSQL. It satisfies the port by its shape, without importing it: the
 * simulator opens its scratch store itself, so an import back would make a folder cycle.
 */
import type { Kysely } from 'kysely';
import type { CohortQuery } from '../cohort/criteria.js';
import { groupBy } from '../core/collections.js';
import { HOLDS_SLOT } from '../pacer/allocation.js';
import type { CenterRecord, CitizenRecord } from '../registry/store.js';
import { cohortWhere } from './cohort.js';
import type { Database } from './schema.js';

export class KyselySimulationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async centers(): Promise<Omit<CenterRecord, 'line'>[]> {
    const centers = await this.db.selectFrom('centers').selectAll().orderBy('center_id').execute();
    const catchment = await this.db.selectFrom('center_catchment').selectAll().execute();
    const areas = groupBy(catchment, (a) => a.center_id, (a) => a.area);
    return centers.map((c) => ({
      center_id: c.center_id, name: c.name, region: c.region, asl: c.asl, municipality: c.municipality, address: c.address,
      daily_capacity: c.daily_capacity, opening: c.opening, catchment: areas.get(c.center_id) ?? [],
    }));
  }

  async cohortAfter(q: CohortQuery, after: string, limit: number): Promise<Omit<CitizenRecord, 'line'>[]> {
    const rows = await this.db.selectFrom('citizens as c').where(cohortWhere(q)).where('c.citizen_id', '>', after).selectAll('c').orderBy('c.citizen_id').limit(limit).execute();
    if (rows.length === 0) return [];
    const groups = await this.db.selectFrom('citizen_groups').selectAll().where('citizen_id', 'in', rows.map((r) => r.citizen_id)).execute();
    const byCitizen = groupBy(groups, (g) => g.citizen_id, (g) => g.group_code);
    return rows.map((r) => ({
      citizen_id: r.citizen_id, given_name: r.given_name, family_name: r.family_name, birth_date: r.birth_date, sex: r.sex, phone: r.phone, email: r.email,
      language: r.language, region: r.region, asl: r.asl, municipality: r.municipality, doses: r.doses, last_dose_date: r.last_dose_date,
      opt_out: r.opt_out === 1, priority_groups: byCitizen.get(r.citizen_id) ?? [],
    }));
  }

  async slotsUsedByDay(): Promise<Map<string, number>> {
    const used = await this.db
      .selectFrom('appointments')
      .select(['day', (eb) => eb.fn.countAll().as('n')])
      .where('state', 'in', HOLDS_SLOT)
      .groupBy('day')
      .execute();
    return new Map(used.map((u) => [u.day, Number(u.n)]));
  }
}
