/** Cohort selection in SQL (SQLite and PostgreSQL): the registry is never loaded into memory. */
import { type ExpressionBuilder, type Kysely, type RawBuilder, sql } from 'kysely';
import { AGE_BANDS, type AgeBand, bornOnOrBefore } from '../cohort/age.js';
import { type Channel, CHANNELS } from '../core/channels.js';
import { CONSENT_OF, CONTACT_OF, TEXT_CHANNELS } from '../core/reach.js';
import { type CohortQuery, UNRANKED } from '../cohort/criteria.js';
import type { CohortComposition, CohortMember, CohortStore } from '../cohort/store.js';
import type { Database } from './schema.js';

type EB = ExpressionBuilder<Database & { c: Database['citizens'] }, 'c'>;

const groupExists = (eb: EB, codes: readonly string[]) =>
  eb.exists(
    eb
      .selectFrom('citizen_groups as g')
      .select('g.citizen_id')
      .whereRef('g.citizen_id', '=', 'c.citizen_id')
      .where('g.group_code', 'in', codes),
  );

/** The cohort rule (cohort/criteria.ts `CohortQuery`) as a WHERE clause. */
export function cohortWhere(q: CohortQuery) {
  return (eb: EB) => {
    // Never an opted-out or a deceased citizen (cohort/eligibility.ts says the same of one citizen).
    const all = [eb('c.opt_out', '=', 0), eb('c.deceased', '=', 0)];
    const age = [];
    if (q.age?.bornOnOrBefore) age.push(eb('c.birth_date', '<=', q.age.bornOnOrBefore));
    if (q.age?.bornAfter) age.push(eb('c.birth_date', '>', q.age.bornAfter));
    const ageRule = age.length > 0 ? eb.and(age) : null;
    const groupRule = q.includeGroups.length > 0 ? groupExists(eb, q.includeGroups) : null;
    if (ageRule && groupRule) all.push(eb.or([ageRule, groupRule]));
    else if (ageRule) all.push(ageRule);
    else if (groupRule) all.push(groupRule);
    if (q.excludeGroups.length > 0) all.push(eb.not(groupExists(eb, q.excludeGroups)));
    if (q.regions) all.push(eb('c.region', 'in', q.regions));
    if (q.doses?.min !== undefined) all.push(eb('c.doses', '>=', q.doses.min));
    if (q.doses?.max !== undefined) all.push(eb('c.doses', '<=', q.doses.max));
    // A last-dose rule needs a recorded dose: a null date compares false.
    if (q.lastDose?.onOrBefore) all.push(eb('c.last_dose_date', '<=', q.lastDose.onOrBefore));
    if (q.lastDose?.onOrAfter) all.push(eb('c.last_dose_date', '>=', q.lastDose.onOrAfter));
    return eb.and(all);
  };
}

/**
 * Whether one of `channels` reaches citizen `c`, in SQL: core/reach.ts's `CONTACT_OF` (a channel
 * needing no contact always does; else the citizen has the contact it needs). The one SQL form of
 * the reachability rule, for the plan's channel assignment, the forecast and the composition.
 */
export function reachesSql(channels: readonly Channel[]): RawBuilder<boolean> {
  if (channels.some((ch) => CONTACT_OF[ch] === null)) return sql<boolean>`1 = 1`;
  // A text channel needs a phone that is not a fixed line (core/reach.ts TEXT_CHANNELS); a channel
  // needing consent (CONSENT_OF) needs it recorded; the others only the contact.
  const rules = [...new Set(channels.map((ch) => [CONTACT_OF[ch], TEXT_CHANNELS.includes(ch) ? 'text' : '', CONSENT_OF[ch] ?? ''].join(':')))];
  if (rules.length === 0) return sql<boolean>`1 = 0`;
  const one = (rule: string) => {
    const [contact, text, consent] = rule.split(':') as [string, string, string];
    const parts = [sql`${sql.ref(`c.${contact}`)} is not null`];
    if (text) parts.push(sql`(c.phone_type is null or c.phone_type <> 'fixed_line')`);
    if (consent) parts.push(sql`${sql.ref(`c.${consent}`)} = 1`);
    return parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` and `)})`;
  };
  return sql<boolean>`(${sql.join(rules.map(one), sql` or `)})`;
}

/** The channels that need a contact: a citizen none of them reaches has only an operator's call. */
const CONTACT_CHANNELS = CHANNELS.filter((ch) => CONTACT_OF[ch] !== null);

/** Best rank of the citizen's groups. Ranks are validated integers, inlined so both dialects order them as numbers. */
export function rankExpression(q: CohortQuery): RawBuilder<number> {
  if (q.ranks.length === 0) return sql<number>`${sql.lit(UNRANKED)}`;
  const cases = sql.join(q.ranks.map((r) => sql`when ${r.code} then ${sql.lit(r.rank)}`), sql` `);
  return sql<number>`coalesce((select min(case g.group_code ${cases} end) from citizen_groups g where g.citizen_id = c.citizen_id), ${sql.lit(UNRANKED)})`;
}

/**
 * The age band of each citizen. Cut-offs are dates we computed and band names are constants,
 * so they are inlined: PostgreSQL only groups by an expression it can see is the selected one.
 */
function bandExpression(referenceDate: string): RawBuilder<AgeBand> {
  const oldestFirst = [...AGE_BANDS].reverse();
  const whens = sql.join(
    oldestFirst.slice(0, -1).map((b) => sql`when c.birth_date <= ${sql.lit(bornOnOrBefore(referenceDate, b.min))} then ${sql.lit(b.band)}`),
    sql` `,
  );
  return sql<AgeBand>`case ${whens} else ${sql.lit(AGE_BANDS[0].band)} end`;
}

const n = (v: unknown): number => Number(v ?? 0);

export class KyselyCohortStore implements CohortStore {
  constructor(private readonly db: Kysely<Database>) {}

  async composition(q: CohortQuery, referenceDate: string): Promise<CohortComposition> {
    const where = cohortWhere(q);
    // Four independent scans: on PostgreSQL they run side by side on the pool's connections.
    const totalsQ = this.db
      .selectFrom('citizens as c')
      .where(where)
      .select((eb) => [
        eb.fn.countAll().as('total'),
        sql<number>`sum(case when ${reachesSql(['sms'])} then 1 else 0 end)`.as('sms'),
        sql<number>`sum(case when ${reachesSql(['email'])} then 1 else 0 end)`.as('email'),
        sql<number>`sum(case when ${reachesSql(CONTACT_CHANNELS)} then 0 else 1 end)`.as('call_only'),
        sql<number>`sum(case when exists (select 1 from citizen_groups g where g.citizen_id = c.citizen_id) then 0 else 1 end)`.as('no_group'),
      ])
      .executeTakeFirstOrThrow();

    const band = bandExpression(referenceDate);
    const bandsQ = this.db
      .selectFrom('citizens as c')
      .where(where)
      .select([band.as('band'), (eb) => eb.fn.countAll().as('n')])
      .groupBy(band)
      .execute();
    const regionsQ = this.db
      .selectFrom('citizens as c')
      .where(where)
      .select(['c.region', (eb) => eb.fn.countAll().as('n')])
      .groupBy('c.region')
      .orderBy('c.region')
      .execute();
    const groupsQ = this.db
      .selectFrom('citizens as c')
      .innerJoin('citizen_groups as gg', 'gg.citizen_id', 'c.citizen_id')
      .where(where)
      .select(['gg.group_code', (eb) => eb.fn.countAll().as('n')])
      .groupBy('gg.group_code')
      .orderBy('gg.group_code')
      .execute();
    const [totals, bands, regions, groups] = await Promise.all([totalsQ, bandsQ, regionsQ, groupsQ]);
    const byAgeBand = Object.fromEntries(AGE_BANDS.map((b) => [b.band, 0])) as Record<AgeBand, number>;
    for (const r of bands) byAgeBand[r.band] = n(r.n);

    const byRegion: Record<string, number> = {};
    for (const r of regions) byRegion[r.region ?? 'unknown'] = n(r.n);

    const byGroup: Record<string, number> = {};
    for (const r of groups) byGroup[r.group_code] = n(r.n);
    byGroup.none = n(totals.no_group);

    return {
      total: n(totals.total),
      byGroup,
      byAgeBand,
      byRegion,
      reachable: { sms: n(totals.sms), email: n(totals.email), callOnly: n(totals.call_only) },
    };
  }

  async *members(q: CohortQuery): AsyncIterable<CohortMember> {
    const rank = rankExpression(q);
    let query = this.db
      .selectFrom('citizens as c')
      .where(cohortWhere(q))
      .select(['c.citizen_id', 'c.birth_date', rank.as('rank')]);
    // Without ranked groups the rank is a constant, which SQL would read as a column position.
    if (q.ranks.length > 0) query = query.orderBy(rank);
    const rows = query
      .orderBy('c.birth_date')
      .orderBy('c.citizen_id')
      .stream(1000);
    for await (const r of rows) yield { citizen_id: r.citizen_id, birth_date: r.birth_date, rank: n(r.rank) };
  }
}
