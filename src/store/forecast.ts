/** Counts for the forecast (both dialects): the cohort by rank and place, the catchment, the centres. */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Channel } from '../core/channels.js';
import type { CohortQuery } from '../cohort/criteria.js';
import { type CenterCapacity, type ForecastStore, type JoiningCounts, type ServedGroup, servedGroupsOf } from '../pacer/forecast.js';
import { cohortWhere, rankExpression, reachesSql } from './cohort.js';
import type { Database } from './schema.js';

export class KyselyForecastStore implements ForecastStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The database counts the cohort by rank and place (a few thousand rows for millions of citizens); `servedGroupsOf` maps places to centres. */
  async servedGroups(q: CohortQuery, channels: readonly Channel[]): Promise<ServedGroup[]> {
    // Ranked in a subquery: PostgreSQL groups only by what it can see is the selected expression.
    const members = this.db.selectFrom('citizens as c').where(cohortWhere(q))
      .select([rankExpression(q).as('rank'), reachedBy(channels).as('reached'), 'c.asl', 'c.municipality', 'c.region']);
    const [places, catchment, regional] = await Promise.all([
      this.db.selectFrom(members.as('m')).groupBy(['m.rank', 'm.asl', 'm.municipality', 'm.region'])
        .select(['m.rank', 'm.asl', 'm.municipality', 'm.region', (eb) => eb.fn.countAll().as('n'), sql<number>`sum(m.reached)`.as('reached')]).execute(),
      this.db.selectFrom('center_catchment').select(['area', 'center_id as centerId']).execute(),
      this.db.selectFrom('centers').select(['region', 'center_id as centerId']).where('region', 'is not', null).$narrowType<{ region: string }>().execute(),
    ]);
    const counted = places.map((p) => ({ rank: Number(p.rank), asl: p.asl, municipality: p.municipality, region: p.region, members: Number(p.n), reached: Number(p.reached) }));
    return servedGroupsOf(counted, catchment, regional);
  }

  async joiningPlaces(wider: CohortQuery, first: CohortQuery, channels: readonly Channel[]): Promise<JoiningCounts> {
    const firstWhere = cohortWhere(first);
    const members = this.db.selectFrom('citizens as c').where(cohortWhere(wider)).where((eb) => eb.not(firstWhere(eb)))
      .select([rankExpression(wider).as('rank'), reachedBy(channels).as('reached'), 'c.asl', 'c.municipality', 'c.region', 'c.birth_date', 'c.last_dose_date']);
    const [places, catchment, regional] = await Promise.all([
      this.db.selectFrom(members.as('m')).groupBy(['m.rank', 'm.asl', 'm.municipality', 'm.region', 'm.birth_date', 'm.last_dose_date'])
        .select(['m.rank', 'm.asl', 'm.municipality', 'm.region', 'm.birth_date', 'm.last_dose_date', (eb) => eb.fn.countAll().as('n'), sql<number>`sum(m.reached)`.as('reached')]).execute(),
      this.db.selectFrom('center_catchment').select(['area', 'center_id as centerId']).execute(),
      this.db.selectFrom('centers').select(['region', 'center_id as centerId']).where('region', 'is not', null).$narrowType<{ region: string }>().execute(),
    ]);
    return {
      places: places.map((p) => ({ rank: Number(p.rank), asl: p.asl, municipality: p.municipality, region: p.region, members: Number(p.n), reached: Number(p.reached), birthDate: p.birth_date, lastDoseDate: p.last_dose_date })),
      catchment,
      regional,
    };
  }

  async centerCapacities(): Promise<CenterCapacity[]> {
    const rows = await this.db.selectFrom('centers').select(['center_id', 'daily_capacity', 'opening']).orderBy('center_id').execute();
    return rows.map((r) => ({ centerId: r.center_id, dailyCapacity: Number(r.daily_capacity), opening: r.opening }));
  }
}

/** 1 when one of the channels reaches the citizen (store/cohort.ts `reachesSql`), else 0. */
const reachedBy = (channels: readonly Channel[]): RawBuilder<number> => sql<number>`case when ${reachesSql(channels)} then 1 else 0 end`;
