/** The counts `GET /metrics` reads (metrics/metrics.ts `MetricsStore`): grouped queries, no rows of people. */
import { type Kysely, sql } from 'kysely';
import type { MetricsStore } from '../metrics/metrics.js';
import type { Database } from './schema.js';

export class KyselyMetricsStore implements MetricsStore {
  constructor(private readonly db: Kysely<Database>) {}

  async messageCounts() {
    const rows = await this.db.selectFrom('messages').select(['campaign_id', 'channel', 'state', (eb) => eb.fn.countAll().as('n')]).groupBy(['campaign_id', 'channel', 'state']).execute();
    return rows.map((r) => ({ campaignId: r.campaign_id, channel: r.channel, state: r.state, count: Number(r.n) }));
  }

  async campaigns() {
    const rows = await this.db.selectFrom('campaigns').select(['campaign_id', 'status', 'recipients']).orderBy('campaign_id').execute();
    return rows.map((r) => ({ campaignId: r.campaign_id, status: r.status, recipients: Number(r.recipients) }));
  }

  async latestPacingDays() {
    const rows = await this.db
      .selectFrom('pacing_days as p')
      .select(['p.campaign_id', 'p.day', 'p.target', 'p.released'])
      .where('p.day', '=', (eb) => eb.selectFrom('pacing_days as q').select((e) => e.fn.max('q.day').as('d')).whereRef('q.campaign_id', '=', 'p.campaign_id'))
      .execute();
    return rows.map((r) => ({ campaignId: r.campaign_id, day: r.day, target: Number(r.target), released: Number(r.released) }));
  }

  async freePlaces(fromDay: string, toDay: string) {
    const rows = await this.db
      .selectFrom('center_days')
      .select(['center_id', 'day', sql<number>`capacity - booked`.as('free')])
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .orderBy('center_id')
      .orderBy('day')
      .execute();
    return rows.map((r) => ({ centerId: r.center_id, day: r.day, free: Number(r.free) }));
  }

  async callTasks() {
    const rows = await this.db.selectFrom('call_tasks').select(['campaign_id', 'state', (eb) => eb.fn.countAll().as('n')]).groupBy(['campaign_id', 'state']).execute();
    return rows.map((r) => ({ campaignId: r.campaign_id, state: r.state, count: Number(r.n) }));
  }
}
