/**
 * The campaigns repository (both dialects): a launched campaign's row — its status, rate,
 * recipients, last release error and its definition's JSON text (campaigns/stored.ts reads it
 * back) — and the one statement that selects its cohort into messages.
 */
import { sql } from 'kysely';
import type { Campaign } from '../campaigns/schema.js';
import type { CampaignStatus } from '../campaigns/store.js';
import type { CohortQuery } from '../cohort/criteria.js';
import { messageKeyPrefix } from '../core/lifecycle.js';
import type { CampaignRecords, CampaignSummary, StoredCampaignRow } from '../pacer/store.js';
import { cohortWhere, rankExpression } from './cohort.js';
import type { Dialect } from './open.js';
import type { Database } from './schema.js';
import { atomically, type Executor } from './unit-of-work.js';

type CampaignRow = Database['campaigns'];

const summary = (r: CampaignRow): CampaignSummary => ({
  campaignId: r.campaign_id, status: r.status, statusReason: r.status_reason, releaseRate: r.release_rate, recipients: r.recipients,
  releaseError:
    r.release_error_code === null || r.release_error_code === undefined
      ? null
      : { code: r.release_error_code, message: r.release_error_message ?? '', at: r.release_error_at ?? r.updated_at },
});
const stored = (r: CampaignRow): StoredCampaignRow => ({ ...summary(r), definitionText: r.definition });

export class CampaignRecordRepository implements CampaignRecords {
  constructor(private readonly ex: Executor, private readonly dialect: Dialect) {}

  async get(campaignId: string): Promise<StoredCampaignRow | null> {
    const r = await this.ex.selectFrom('campaigns').selectAll().where('campaign_id', '=', campaignId).executeTakeFirst();
    return r ? stored(r) : null;
  }

  async create(campaign: Campaign, releaseRate: number, at: string): Promise<void> {
    const row = { campaign_id: campaign.id, name: campaign.name, definition: JSON.stringify(campaign), status: 'active', status_reason: null, release_rate: releaseRate, recipients: 0, launched_at: at, updated_at: at } as const;
    await this.ex.insertInto('campaigns').values(row).onConflict((oc) => oc.column('campaign_id').doNothing()).execute();
  }

  async update(campaignId: string, patch: { status?: CampaignStatus; statusReason?: string | null; releaseRate?: number }, at: string): Promise<void> {
    const set = {
      updated_at: at,
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.statusReason !== undefined ? { status_reason: patch.statusReason } : {}),
      ...(patch.releaseRate !== undefined ? { release_rate: patch.releaseRate } : {}),
    };
    await this.ex.updateTable('campaigns').set(set).where('campaign_id', '=', campaignId).execute();
  }

  async setStatus(campaignId: string, status: CampaignStatus, reason: string | null, at: string): Promise<void> {
    // A cancelled campaign stays cancelled; the error brake must not turn it back into "paused".
    await this.ex.updateTable('campaigns').set({ status, status_reason: reason, updated_at: at }).where('campaign_id', '=', campaignId).where('status', '!=', 'cancelled').execute();
  }

  async active(): Promise<StoredCampaignRow[]> {
    return (await this.ex.selectFrom('campaigns').selectAll().where('status', '=', 'active').orderBy('campaign_id').execute()).map(stored);
  }

  /** Every campaign (or one) without its definition: reports do not read it, so one the schema now refuses is still reported. */
  async summaries(campaignId?: string): Promise<CampaignSummary[]> {
    let q = this.ex.selectFrom('campaigns').selectAll().orderBy('campaign_id');
    if (campaignId) q = q.where('campaign_id', '=', campaignId);
    return (await q.execute()).map(summary);
  }

  async recordReleaseError(campaignId: string, error: { readonly code: string; readonly message: string } | null, at: string): Promise<void> {
    const set = { release_error_code: error?.code ?? null, release_error_message: error?.message ?? null, release_error_at: error ? at : null };
    await this.ex.updateTable('campaigns').set(set).where('campaign_id', '=', campaignId).execute();
  }

  async selectRecipients(campaign: Campaign, q: CohortQuery, at: string): Promise<number> {
    const step = campaign.steps[0]!;
    await atomically(this.ex, this.dialect, async (trx) => {
      const base = await trx.selectFrom('messages').select((eb) => eb.fn.max('seq').as('m')).where('campaign_id', '=', campaign.id).executeTakeFirst();
      const offset = Number(base?.m ?? 0);
      const rank = rankExpression(q);
      const order = q.ranks.length > 0 ? sql`${rank}, c.birth_date, c.citizen_id` : sql`c.birth_date, c.citizen_id`;
      await trx
        .insertInto('messages')
        .columns(['message_id', 'campaign_id', 'step_id', 'citizen_id', 'seq', 'state', 'attempts', 'updated_at'])
        .expression((eb) =>
          eb
            .selectFrom('citizens as c')
            .where(cohortWhere(q))
            .where(({ not, exists, selectFrom }) =>
              not(exists(selectFrom('messages as m').select('m.message_id').whereRef('m.citizen_id', '=', 'c.citizen_id').where('m.campaign_id', '=', campaign.id).where('m.step_id', '=', step.id))),
            )
            .select([
              sql<string>`${messageKeyPrefix(campaign.id, step.id)} || c.citizen_id`.as('message_id'),
              sql<string>`${campaign.id}`.as('campaign_id'),
              sql<string>`${step.id}`.as('step_id'),
              'c.citizen_id',
              sql<number>`${sql.lit(offset)} + row_number() over (order by ${order})`.as('seq'),
              sql<string>`'pending'`.as('state'),
              sql<number>`0`.as('attempts'),
              sql<string>`${at}`.as('updated_at'),
            ]),
        )
        .onConflict((oc) => oc.column('message_id').doNothing())
        .execute();
      // Recipients: the members given an invitation (not the reminders, follow-ups or fallbacks made since).
      const total = await trx.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('campaign_id', '=', campaign.id).where('step_id', '=', step.id).where('fallback_of', 'is', null).executeTakeFirstOrThrow();
      await trx.updateTable('campaigns').set({ recipients: Number(total.n), updated_at: at }).where('campaign_id', '=', campaign.id).execute();
    });
    return (await this.get(campaign.id))?.recipients ?? 0;
  }
}
