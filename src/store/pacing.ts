/** The pacing days repository (both dialects): each campaign-day's target and what was released against it. */
import type { PacingDay, PacingDays } from '../pacer/store.js';
import type { Executor } from './unit-of-work.js';

const day = (r: { day: string; target: number; released: number }): PacingDay => ({ day: r.day, target: Number(r.target), released: Number(r.released) });

export class PacingRepository implements PacingDays {
  constructor(private readonly ex: Executor) {}

  async day(campaignId: string, d: string): Promise<PacingDay | null> {
    const r = await this.ex.selectFrom('pacing_days').select(['day', 'target', 'released']).where('campaign_id', '=', campaignId).where('day', '=', d).executeTakeFirst();
    return r ? day(r) : null;
  }

  async last(campaignId: string, beforeDay: string): Promise<PacingDay | null> {
    const r = await this.ex.selectFrom('pacing_days').select(['day', 'target', 'released']).where('campaign_id', '=', campaignId).where('day', '<', beforeDay).orderBy('day', 'desc').limit(1).executeTakeFirst();
    return r ? day(r) : null;
  }

  async open(campaignId: string, d: string, target: number, at: string): Promise<PacingDay> {
    const row = { campaign_id: campaignId, day: d, target, released: 0, updated_at: at };
    await this.ex.insertInto('pacing_days').values(row).onConflict((oc) => oc.columns(['campaign_id', 'day']).doNothing()).execute();
    return (await this.day(campaignId, d))!;
  }

  async addReleased(campaignId: string, d: string, n: number, at: string): Promise<number | null> {
    const r = await this.ex
      .updateTable('pacing_days').set((eb) => ({ released: eb('released', '+', n), updated_at: at }))
      .where('campaign_id', '=', campaignId).where('day', '=', d).returning('released').executeTakeFirst();
    return r ? Number(r.released) : null;
  }
}
