/** Counts for the forecast (both dialects): the cohort by rank and serving centres, and the centres. */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Channel } from '../core/channels.js';
import type { CohortQuery } from '../cohort/criteria.js';
import type { CenterCapacity, ForecastStore, ServedGroup } from '../pacer/forecast.js';
import { cohortWhere, rankExpression } from './cohort.js';
import type { Database } from './schema.js';
import { groupBy } from '../core/collections.js';

export class KyselyForecastStore implements ForecastStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The database counts the cohort by rank and place (ASL, municipality, region: a few thousand
   * rows for millions of citizens); the places are then mapped to the centres serving them the
   * way an appointment is made: catchment by municipality or ASL, else the region's centres.
   */
  async servedGroups(q: CohortQuery, channels: readonly Channel[]): Promise<ServedGroup[]> {
    // Ranked in a subquery: PostgreSQL groups only by what it can see is the selected expression.
    const members = this.db
      .selectFrom('citizens as c')
      .where(cohortWhere(q))
      .select([rankExpression(q).as('rank'), reachedBy(channels).as('reached'), 'c.asl', 'c.municipality', 'c.region']);
    const [places, catchment, regional] = await Promise.all([
      this.db
        .selectFrom(members.as('m'))
        .select(['m.rank', 'm.asl', 'm.municipality', 'm.region', (eb) => eb.fn.countAll().as('n'), sql<number>`sum(m.reached)`.as('reached')])
        .groupBy(['m.rank', 'm.asl', 'm.municipality', 'm.region'])
        .execute(),
      this.db.selectFrom('center_catchment').select(['area', 'center_id']).execute(),
      this.db.selectFrom('centers').select(['region', 'center_id']).where('region', 'is not', null).execute(),
    ]);
    const byArea = groupBy(catchment, (r) => r.area, (r) => r.center_id);
    const byRegion = groupBy(regional, (r) => r.region!, (r) => r.center_id);

    const groups = new Map<string, { rank: number; centers: string[]; members: number; unreachable: number }>();
    for (const p of places) {
      const served = new Set<string>();
      for (const area of [p.asl, p.municipality]) if (area !== null) for (const id of byArea.get(area.toUpperCase()) ?? []) served.add(id);
      const centers = served.size > 0 ? [...served] : p.region !== null ? [...(byRegion.get(p.region) ?? [])] : [];
      centers.sort();
      const rank = Number(p.rank);
      const key = `${rank}|${centers.join(';')}`;
      const g = groups.get(key) ?? { rank, centers, members: 0, unreachable: 0 };
      g.members += Number(p.reached);
      g.unreachable += Number(p.n) - Number(p.reached);
      groups.set(key, g);
    }
    return [...groups.values()].sort((a, b) => a.rank - b.rank || (a.centers.join(';') < b.centers.join(';') ? -1 : 1));
  }

  async centerCapacities(): Promise<CenterCapacity[]> {
    const rows = await this.db.selectFrom('centers').select(['center_id', 'daily_capacity', 'opening']).orderBy('center_id').execute();
    return rows.map((r) => ({ centerId: r.center_id, dailyCapacity: Number(r.daily_capacity), opening: r.opening }));
  }
}

/** 1 when one of the channels reaches the citizen (the releaser's rule: a phone for SMS and voice, an address for email, a call always), else 0. */
function reachedBy(channels: readonly Channel[]): RawBuilder<number> {
  if (channels.includes('call')) return sql<number>`1`;
  const tests = [];
  if (channels.includes('sms') || channels.includes('voice')) tests.push(sql`c.phone is not null`);
  if (channels.includes('email')) tests.push(sql`c.email is not null`);
  if (tests.length === 0) return sql<number>`0`;
  return sql<number>`case when ${sql.join(tests, sql` or `)} then 1 else 0 end`;
}
