/** The dashboard's grouped counts (reports/dashboard.ts `DashboardStore`): no rows of people leave the store. */
import { type Kysely, sql } from 'kysely';
import type { DashboardStore, FunnelRow } from '../reports/dashboard.js';
import type { Database } from './schema.js';

const n = (v: unknown): number => Number(v ?? 0);

export class KyselyDashboardStore implements DashboardStore {
  constructor(private readonly db: Kysely<Database>) {}

  async funnel(campaignId: string): Promise<FunnelRow> {
    // Per citizen first (every attempt of every step), then counted.
    const perCitizen = this.db
      .selectFrom('messages')
      .select([
        'citizen_id',
        sql<number>`max(case when queued_at is not null then 1 else 0 end)`.as('rel'),
        sql<number>`max(case when state = 'delivered' or read_at is not null then 1 else 0 end)`.as('del'),
        sql<number>`max(case when state in ('pending', 'queued', 'sending', 'sent', 'delivered', 'unknown') then 1 else 0 end)`.as('alive'),
        sql<number>`max(case when state in ('failed', 'undelivered') then 1 else 0 end)`.as('failed'),
        sql<number>`sum(case when fallback_of is not null then 1 else 0 end)`.as('fb'),
      ])
      .where('campaign_id', '=', campaignId)
      .groupBy('citizen_id')
      .as('c');
    const m = await this.db
      .selectFrom(perCitizen)
      .select([
        sql<number>`coalesce(sum(c.rel), 0)`.as('released'),
        sql<number>`coalesce(sum(c.del), 0)`.as('delivered'),
        sql<number>`coalesce(sum(case when c.failed = 1 and c.alive = 0 then 1 else 0 end), 0)`.as('unreachable'),
        sql<number>`coalesce(sum(c.fb), 0)`.as('fallbacks'),
      ])
      .executeTakeFirst();
    const a = await this.db
      .selectFrom('appointments')
      .select([
        sql<number>`count(distinct case when state in ('confirmed', 'attended') then citizen_id end)`.as('confirmed'),
        sql<number>`count(distinct case when state = 'released' and state_reason = 'declined' then citizen_id end)`.as('declined'),
      ])
      .where('campaign_id', '=', campaignId)
      .executeTakeFirst();
    return { released: n(m?.released), delivered: n(m?.delivered), unreachable: n(m?.unreachable), fallbacks: n(m?.fallbacks), confirmed: n(a?.confirmed), declined: n(a?.declined) };
  }

  async pacingDays(campaignId: string) {
    const rows = await this.db.selectFrom('pacing_days').select(['day', 'target', 'released']).where('campaign_id', '=', campaignId).orderBy('day').execute();
    return rows.map((r) => ({ day: r.day, target: n(r.target), released: n(r.released) }));
  }

  /** Selected citizens (one per citizen of the campaign's messages), and those with a confirmed appointment, grouped by `key`. */
  private grouped(campaignId: string, key: ReturnType<typeof sql>) {
    const citizens = this.db.selectFrom('messages').select('citizen_id').distinct().where('campaign_id', '=', campaignId).as('m');
    const confirmed = this.db.selectFrom('appointments').select('citizen_id').distinct().where('campaign_id', '=', campaignId).where('state', 'in', ['confirmed', 'attended']).as('a');
    return this.db
      .selectFrom(citizens)
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .leftJoin(confirmed, 'a.citizen_id', 'm.citizen_id')
      .select([key.as('k'), sql<number>`count(*)`.as('selected'), sql<number>`count(a.citizen_id)`.as('confirmed')])
      .groupBy(key)
      .orderBy(key)
      .execute();
  }

  async byRegion(campaignId: string) {
    const rows = await this.grouped(campaignId, sql`c.region`);
    return rows.map((r) => ({ region: (r.k as string | null) ?? null, selected: n(r.selected), confirmed: n(r.confirmed) }));
  }

  async byBirthYear(campaignId: string) {
    const rows = await this.grouped(campaignId, sql`substr(c.birth_date, 1, 4)`);
    return rows.map((r) => ({ year: Number(r.k), selected: n(r.selected), confirmed: n(r.confirmed) }));
  }

  async centerDays(campaignId: string) {
    const mine = this.db
      .selectFrom('appointments')
      .select([
        'center_id',
        'day',
        sql<number>`sum(case when state in ('held', 'confirmed', 'attended', 'no_show') then 1 else 0 end)`.as('booked'),
        sql<number>`sum(case when state = 'no_show' then 1 else 0 end)`.as('no_shows'),
      ])
      .where('campaign_id', '=', campaignId)
      .groupBy(['center_id', 'day'])
      .as('a');
    const rows = await this.db
      .selectFrom(mine)
      .leftJoin('center_days as d', (j) => j.onRef('d.center_id', '=', 'a.center_id').onRef('d.day', '=', 'a.day'))
      .select(['a.center_id', 'a.day', 'a.booked', 'a.no_shows', 'd.capacity', 'd.booked as all_booked'])
      .orderBy('a.center_id')
      .orderBy('a.day')
      .execute();
    return rows.map((r) => ({ centerId: r.center_id, day: r.day, campaignBooked: n(r.booked), noShows: n(r.no_shows), capacity: n(r.capacity), booked: n(r.all_booked) }));
  }

  async replies(campaignId: string) {
    const rows = await this.db
      .selectFrom('responses as r')
      .innerJoin('messages as m', 'm.message_id', 'r.message_id')
      .select([sql<string>`coalesce(r.action, r.kind)`.as('action'), sql<number>`count(*)`.as('n')])
      .where('m.campaign_id', '=', campaignId)
      .groupBy(sql`coalesce(r.action, r.kind)`)
      .orderBy(sql`coalesce(r.action, r.kind)`)
      .execute();
    return rows.map((r) => ({ action: r.action, count: n(r.n) }));
  }

  async callOutcomes(campaignId: string) {
    const rows = await this.db
      .selectFrom('call_tasks')
      .select([sql<string>`coalesce(last_disposition, state)`.as('d'), sql<number>`count(*)`.as('n')])
      .where('campaign_id', '=', campaignId)
      .groupBy(sql`coalesce(last_disposition, state)`)
      .orderBy(sql`coalesce(last_disposition, state)`)
      .execute();
    return rows.map((r) => ({ disposition: r.d, count: n(r.n) }));
  }

  async failures(campaignId: string, idsPerCode: number) {
    const rows = await this.db
      .selectFrom('messages')
      .select(['state', sql<string>`coalesce(error_code, '-')`.as('code'), 'message_id'])
      .where('campaign_id', '=', campaignId)
      .where('state', 'in', ['failed', 'undelivered', 'unknown'])
      .orderBy('state')
      .orderBy(sql`coalesce(error_code, '-')`)
      .orderBy('message_id')
      .execute();
    const out = new Map<string, { state: string; code: string; count: number; messageIds: string[] }>();
    for (const r of rows) {
      const k = `${r.state}\u0000${r.code}`;
      const g = out.get(k) ?? { state: r.state, code: r.code, count: 0, messageIds: [] };
      g.count++;
      if (g.messageIds.length < idsPerCode) g.messageIds.push(r.message_id);
      out.set(k, g);
    }
    return [...out.values()];
  }
}
