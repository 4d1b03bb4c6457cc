/** Samples, worst cases and cards for campaign checks, plans and previews (both dialects). */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { CampaignStore, CenterCard, CitizenCard } from '../campaigns/store.js';
import type { Channel } from '../core/channels.js';
import type { CohortQuery } from '../cohort/criteria.js';
import type { CitizenStanding } from '../cohort/standing.js';
import { cohortWhere, reachesSql } from './cohort.js';
import type { Database } from './schema.js';

const CARD = [
  'c.citizen_id', 'c.given_name', 'c.family_name', 'c.birth_date', 'c.sex', 'c.language', 'c.phone', 'c.email',
  'c.region', 'c.asl', 'c.municipality', 'c.opt_out',
] as const;

type CardRow = Omit<CitizenCard, 'opt_out'> & { opt_out: number };
const card = (r: CardRow): CitizenCard => ({ ...r, opt_out: r.opt_out === 1 });
const CENTER = ['k.center_id', 'k.name', 'k.address', 'k.municipality', 'k.opening', 'k.daily_capacity'] as const;

/**
 * Zero counts per channel: the four original channels always (reports have always listed them),
 * WhatsApp only when the step uses it, so a campaign without WhatsApp reads as it always did.
 */
const channelCounts = (channels: readonly Channel[]): Record<Channel | 'none', number> =>
  ({ sms: 0, email: 0, voice: 0, call: 0, ...(channels.includes('whatsapp') ? { whatsapp: 0 } : {}), none: 0 }) as Record<Channel | 'none', number>;

/** Whether a channel can reach a citizen, in SQL (store/cohort.ts `reachesSql`). */
const reachable = (channel: Channel) => reachesSql([channel]);

export class KyselyCampaignStore implements CampaignStore {
  constructor(private readonly db: Kysely<Database>) {}

  async cohortLanguages(q: CohortQuery): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('citizens as c')
      .where(cohortWhere(q))
      .select(['c.language', (eb) => eb.fn.countAll().as('n')])
      .groupBy('c.language')
      .orderBy('c.language')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.language, Number(r.n)]));
  }

  async cohortSample(q: CohortQuery, perLanguage: number, languages?: readonly string[]): Promise<CitizenCard[]> {
    const langs = languages ?? Object.keys(await this.cohortLanguages(q));
    const samples = await Promise.all(
      langs.map((language) =>
        this.db
          .selectFrom('citizens as c')
          .where(cohortWhere(q))
          .where('c.language', '=', language)
          .select(CARD)
          .orderBy(sql`random()`)
          .limit(perLanguage)
          .execute(),
      ),
    );
    return samples.flat().map(card);
  }

  async longestNames(q: CohortQuery, n: number): Promise<CitizenCard[]> {
    const rows = await this.db
      .selectFrom('citizens as c')
      .where(cohortWhere(q))
      .select(CARD)
      .orderBy(sql`length(coalesce(c.given_name, '')) + length(coalesce(c.family_name, ''))`, 'desc')
      .orderBy('c.citizen_id')
      .limit(n)
      .execute();
    return rows.map(card);
  }

  async longestCenter(): Promise<CenterCard | null> {
    const row = await this.db
      .selectFrom('centers as k')
      .select(CENTER)
      .orderBy(sql`length(k.name) + length(coalesce(k.address, '')) + length(coalesce(k.municipality, ''))`, 'desc')
      .orderBy('k.center_id')
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  async centerFor(citizen: CitizenCard): Promise<CenterCard | null> {
    const areas = [citizen.asl, citizen.municipality].filter((a): a is string => a !== null).map((a) => a.toUpperCase());
    if (areas.length > 0) {
      const served = await this.db
        .selectFrom('centers as k')
        .innerJoin('center_catchment as a', 'a.center_id', 'k.center_id')
        .where('a.area', 'in', areas)
        .select(CENTER)
        .orderBy('k.center_id')
        .limit(1)
        .executeTakeFirst();
      if (served) return served;
    }
    if (citizen.region === null) return null;
    const regional = await this.db.selectFrom('centers as k').where('k.region', '=', citizen.region).select(CENTER).orderBy('k.center_id').limit(1).executeTakeFirst();
    return regional ?? null;
  }

  async citizen(id: string): Promise<CitizenCard | null> {
    const row = await this.db.selectFrom('citizens as c').where('c.citizen_id', '=', id).select(CARD).executeTakeFirst();
    return row ? card(row) : null;
  }

  async standing(id: string): Promise<CitizenStanding | null> {
    const row = await this.db
      .selectFrom('citizens as c')
      .where('c.citizen_id', '=', id)
      .select(['c.citizen_id', 'c.birth_date', 'c.region', 'c.doses', 'c.opt_out', 'c.opt_out_at', 'c.opt_out_source', 'c.deceased', 'c.last_dose_date'])
      .executeTakeFirst();
    if (!row) return null;
    const groups = await this.db.selectFrom('citizen_groups').where('citizen_id', '=', id).select('group_code').orderBy('group_code').execute();
    return { ...row, doses: Number(row.doses), opt_out: Number(row.opt_out) === 1, deceased: Number(row.deceased) === 1, groups: groups.map((g) => g.group_code) };
  }

  async channelAssignment(q: CohortQuery, channels: readonly Channel[]): Promise<Record<Channel | 'none', number>> {
    const whens = sql.join(channels.map((ch) => sql`when ${reachable(ch)} then ${sql.lit(ch)}`), sql` `);
    const assigned = sql<string>`case ${whens} else 'none' end`;
    const rows = await this.db
      .selectFrom('citizens as c')
      .where(cohortWhere(q))
      .select([assigned.as('channel'), (eb) => eb.fn.countAll().as('n')])
      .groupBy(assigned)
      .execute();
    const out = channelCounts(channels);
    for (const r of rows) out[r.channel as Channel | 'none'] = Number(r.n);
    return out;
  }

  async fallbackAssignment(q: CohortQuery, channels: readonly Channel[]): Promise<{ byChannel: Record<Channel | 'none', number>; fixedLine: number }> {
    // The second channel that reaches each member: the first that does, after the one that does first (core/reach.ts nextReaching).
    const not = (chs: readonly Channel[]) => chs.map((ch) => sql`not ${reachable(ch)}`);
    const whens: RawBuilder<unknown>[] = [];
    for (let i = 0; i < channels.length; i++) {
      for (let j = i + 1; j < channels.length; j++) {
        const all = [reachable(channels[i]!), ...not(channels.slice(0, i)), ...not(channels.slice(i + 1, j)), reachable(channels[j]!)];
        whens.push(sql`when ${sql.join(all, sql` and `)} then ${sql.lit(channels[j]!)}`);
      }
    }
    const second = whens.length > 0 ? sql<string>`case ${sql.join(whens, sql` `)} else 'none' end` : sql<string>`'none'`;
    const fixed = channels.includes('sms') ? sql<number>`sum(case when c.phone_type = 'fixed_line' then 1 else 0 end)` : sql<number>`0`;
    const [rows, fixedLine] = await Promise.all([
      // One channel, no second: every member is `none` (PostgreSQL refuses GROUP BY a constant).
      whens.length > 0
        ? this.db.selectFrom('citizens as c').where(cohortWhere(q)).select([second.as('channel'), (eb) => eb.fn.countAll().as('n')]).groupBy(second).execute()
        : this.db.selectFrom('citizens as c').where(cohortWhere(q)).select([second.as('channel'), (eb) => eb.fn.countAll().as('n')]).execute(),
      this.db.selectFrom('citizens as c').where(cohortWhere(q)).select(fixed.as('n')).executeTakeFirstOrThrow(),
    ]);
    const byChannel = channelCounts(channels);
    for (const r of rows) byChannel[r.channel as Channel | 'none'] = Number(r.n);
    return { byChannel, fixedLine: Number(fixedLine.n ?? 0) };
  }
}
