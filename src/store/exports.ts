/** The rows of the reports with personal data (reports/exports.ts `ExportsStore`). */
import { type Kysely, sql } from 'kysely';
import type { ExportsStore } from '../reports/exports.js';
import type { Database } from './schema.js';

const KEPT = ['held', 'confirmed', 'attended', 'no_show'] as const;

const personOf = (r: { citizen_id: string; family_name: string | null; given_name: string | null; birth_date: string; phone: string | null; email: string | null; region: string | null; asl: string | null }) => ({
  citizenId: r.citizen_id,
  familyName: r.family_name,
  givenName: r.given_name,
  birthDate: r.birth_date,
  phone: r.phone,
  email: r.email,
  region: r.region,
  asl: r.asl,
});

const PERSON_COLUMNS = ['c.citizen_id', 'c.family_name', 'c.given_name', 'c.birth_date', 'c.phone', 'c.email', 'c.region', 'c.asl'] as const;

export class KyselyExportsStore implements ExportsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async appointmentsOn(campaignId: string, day: string, centerId?: string) {
    const rows = await this.db
      .selectFrom('appointments as a')
      .innerJoin('citizens as c', 'c.citizen_id', 'a.citizen_id')
      .select([...PERSON_COLUMNS, 'a.center_id', 'a.start_at', 'a.state', 'a.appointment_id'])
      .where('a.campaign_id', '=', campaignId)
      .where('a.day', '=', day)
      .where('a.state', 'in', [...KEPT])
      .$if(centerId !== undefined, (q) => q.where('a.center_id', '=', centerId!))
      .orderBy('a.center_id')
      .orderBy('a.start_at')
      .orderBy('c.citizen_id')
      .execute();
    return rows.map((r) => ({ ...personOf(r), centerId: r.center_id, startAt: r.start_at, state: r.state, appointmentId: r.appointment_id }));
  }

  async unreachable(campaignId: string) {
    const per = this.db
      .selectFrom('messages')
      .select([
        'citizen_id',
        sql<number>`max(case when state in ('pending', 'queued', 'sending', 'sent', 'delivered', 'unknown') then 1 else 0 end)`.as('alive'),
        sql<number>`max(case when state in ('failed', 'undelivered') then 1 else 0 end)`.as('failed'),
        sql<string>`max(error_code)`.as('code'),
      ])
      .where('campaign_id', '=', campaignId)
      .groupBy('citizen_id')
      .as('m');
    const rows = await this.db
      .selectFrom(per)
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .select([...PERSON_COLUMNS, 'm.code'])
      .where('m.failed', '=', 1)
      .where('m.alive', '=', 0)
      .orderBy('c.citizen_id')
      .execute();
    const tried = await this.db
      .selectFrom('messages')
      .select(['citizen_id', 'channel'])
      .distinct()
      .where('campaign_id', '=', campaignId)
      .where('citizen_id', 'in', rows.length ? rows.map((r) => r.citizen_id) : [''])
      .execute();
    const channels = new Map<string, string[]>();
    for (const t of tried) if (t.channel) channels.set(t.citizen_id, [...(channels.get(t.citizen_id) ?? []), t.channel].sort());
    return rows.map((r) => ({ ...personOf(r), lastCode: r.code, channels: (channels.get(r.citizen_id) ?? []).join(',') }));
  }

  async declined(campaignId: string) {
    const rows = await this.db
      .selectFrom('appointments as a')
      .innerJoin('citizens as c', 'c.citizen_id', 'a.citizen_id')
      .select([...PERSON_COLUMNS, 'a.updated_at', 'a.center_id', 'a.day'])
      .where('a.campaign_id', '=', campaignId)
      .where('a.state', '=', 'released')
      .where('a.state_reason', '=', 'declined')
      .orderBy('c.citizen_id')
      .orderBy('a.updated_at')
      .execute();
    return rows.map((r) => ({ ...personOf(r), declinedAt: r.updated_at, centerId: r.center_id, day: r.day }));
  }

  async outcomes(campaignId: string) {
    // The last attempt per citizen (highest fallback depth, then the latest update), and the latest appointment.
    const messages = await this.db
      .selectFrom('messages as m')
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .select([...PERSON_COLUMNS, 'm.state', 'm.channel', 'm.updated_at', 'm.fallback_depth'])
      .where('m.campaign_id', '=', campaignId)
      .orderBy('c.citizen_id')
      .orderBy('m.updated_at')
      .orderBy('m.fallback_depth')
      .execute();
    const appts = await this.db.selectFrom('appointments').select(['citizen_id', 'state', 'day', 'center_id', 'updated_at']).where('campaign_id', '=', campaignId).orderBy('citizen_id').orderBy('updated_at').execute();
    const lastAppt = new Map(appts.map((a) => [a.citizen_id, a]));
    const last = new Map<string, (typeof messages)[number]>();
    for (const m of messages) last.set(m.citizen_id, m);
    return [...last.values()].map((m) => {
      const a = lastAppt.get(m.citizen_id);
      return { ...personOf(m), lastState: m.state, lastChannel: m.channel, appointmentState: a?.state ?? null, day: a?.day ?? null, centerId: a?.center_id ?? null };
    });
  }

  async daySummary(campaignId: string, day: string) {
    const p = await this.db.selectFrom('pacing_days').select(['target', 'released']).where('campaign_id', '=', campaignId).where('day', '=', day).executeTakeFirst();
    const rows = await this.db.selectFrom('appointments').select(['state', (eb) => eb.fn.countAll().as('n')]).where('campaign_id', '=', campaignId).where('day', '=', day).groupBy('state').execute();
    return { target: p ? Number(p.target) : null, released: p ? Number(p.released) : null, appointments: Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])) };
  }
}
