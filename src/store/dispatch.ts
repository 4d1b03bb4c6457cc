/**
 * The dispatch side of the store (both dialects): campaigns, their messages and the state
 * machine every send goes through, call tasks, and the counts `status` reports.
 *
 *   pending → queued → sending → sent → delivered | undelivered | failed
 *                │         └──→ unknown (claimed, never recorded)
 *                └→ opted_out | cancelled | failed (never sent)
 *
 * Every transition is one conditional UPDATE on the current state, so two workers, a retried
 * job or a late webhook can never move a message backwards or send it twice.
 */
import { type Kysely, sql } from 'kysely';
import { type Campaign, campaignSchema } from '../campaigns/schema.js';
import type { CenterCard, CitizenCard } from '../campaigns/store.js';
import type { CallTaskStore } from '../channels/call.js';
import type { Channel } from '../core/channels.js';
import type { CohortQuery } from '../cohort/criteria.js';
import type { CampaignRecord, PacerStore, Released } from '../pacer/store.js';
import type { CampaignStatus, DispatchStore, MessageForSend } from '../queues/store.js';
import type { StatusRow, ReportStore } from '../reports/store.js';
import { KyselyCampaignStore } from './campaigns.js';
import { cohortWhere, rankExpression } from './cohort.js';
import { GroupCommit, param, prepare } from './prepared.js';
import type { Database, MessageState } from './schema.js';

function reachable(channel: Channel, c: { phone: string | null; email: string | null }): boolean {
  return channel === 'call' ? true : channel === 'email' ? c.email !== null : c.phone !== null;
}

type CampaignRow = Database['campaigns'];

const LOAD_COLUMNS = [
  'm.message_id', 'm.campaign_id', 'm.step_id', 'm.state', 'm.channel', 'm.link_token',
  'c.citizen_id', 'c.given_name', 'c.family_name', 'c.birth_date', 'c.sex', 'c.language', 'c.phone', 'c.email',
  'c.region', 'c.asl', 'c.municipality', 'c.opt_out', 'k.status', 'k.definition',
] as const;

interface LoadRow {
  message_id: string; campaign_id: string; step_id: string; state: MessageState; channel: string | null; link_token: string | null;
  citizen_id: string; given_name: string | null; family_name: string | null; birth_date: string; sex: 'M' | 'F' | 'X' | null; language: string;
  phone: string | null; email: string | null; region: string | null; asl: string | null; municipality: string | null; opt_out: number;
  status: CampaignStatus; definition: string;
}

/** A stored definition, through the schema again: keys added since its launch get their defaults. */
const storedCampaign = (text: string): Campaign => campaignSchema.parse(JSON.parse(text));
const record = (r: CampaignRow): CampaignRecord => ({
  campaignId: r.campaign_id,
  definition: storedCampaign(r.definition),
  status: r.status,
  statusReason: r.status_reason,
  releaseRate: r.release_rate,
  recipients: r.recipients,
});

export class KyselyDispatchStore implements DispatchStore, PacerStore, CallTaskStore, ReportStore {
  private readonly cards: KyselyCampaignStore;
  /** Parsed definitions by campaign id and JSON text: a worker parses each campaign once. */
  private readonly definitions = new Map<string, { text: string; campaign: Campaign }>();

  /** The send path's three statements, prepared once (see prepared.ts). */
  private readonly hot: ReturnType<KyselyDispatchStore['prepareHot']>;

  /**
   * On SQLite the claim and the record go through group commit: a commit costs far more than
   * the UPDATE, and many jobs are in flight at once. (PostgreSQL commits are concurrent across
   * connections already.)
   */
  private readonly grouped: { claim: GroupCommit<{ id: string; token: string; at: string }>; sent: GroupCommit<{ id: string; token: string; provider: string; at: string }> } | null;

  constructor(
    private readonly db: Kysely<Database>,
    dialect: 'sqlite' | 'postgres' = 'postgres',
  ) {
    this.cards = new KyselyCampaignStore(db);
    this.hot = this.prepareHot();
    this.grouped = dialect === 'sqlite' ? { claim: new GroupCommit(db, this.hot.claim), sent: new GroupCommit(db, this.hot.sent) } : null;
  }

  private prepareHot() {
    const db = this.db;
    const load = prepare<{ id: string }, LoadRow>(
      db
        .selectFrom('messages as m')
        .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
        .innerJoin('campaigns as k', 'k.campaign_id', 'm.campaign_id')
        .select(LOAD_COLUMNS)
        .where('m.message_id', '=', param('id')),
    );
    const claimQuery = db
        .updateTable('messages')
        .set((eb) => ({ state: 'sending', claim_token: param('token'), claimed_at: param('at'), attempts: eb('attempts', '+', 1), updated_at: param('at') }))
        .where('message_id', '=', param('id'))
        .where('state', '=', 'queued')
        // A STOP that arrived after the message was loaded still wins.
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('citizens as c').select('c.citizen_id').whereRef('c.citizen_id', '=', 'messages.citizen_id').where('c.opt_out', '=', 1))),
        );
    const claim = prepare<{ id: string; token: string; at: string }>(claimQuery);
    // A final receipt that overtook this record (the provider answers before we write) is
    // applied in the same statement; otherwise the message is simply sent.
    const overtaken = (col: 'status' | 'error_code' | 'received_at') =>
      sql<string | null>`(select e.${sql.ref(col)} from provider_events e where e.provider_id = ${param('provider')} and e.status in ('delivered', 'undelivered', 'failed') order by e.status limit 1)`;
    const sentQuery = db
        .updateTable('messages')
        .set({
          state: sql<MessageState>`coalesce(${overtaken('status')}, 'sent')`,
          error_code: overtaken('error_code'),
          final_at: overtaken('received_at'),
          provider_id: param('provider'),
          sent_at: param('at'),
          error_detail: null,
          updated_at: param('at'),
        })
        .where('message_id', '=', param('id'))
        .where('claim_token', '=', param('token'))
        .where('state', 'in', ['sending', 'unknown']);
    const sent = prepare<{ id: string; token: string; provider: string; at: string }>(sentQuery);
    return { load, claim, sent };
  }

  private definition(id: string, text: string): Campaign {
    const cached = this.definitions.get(id);
    if (cached && cached.text === text) return cached.campaign;
    const campaign = storedCampaign(text);
    this.definitions.set(id, { text, campaign });
    return campaign;
  }

  // ── campaigns ────────────────────────────────────────────────────────────────────────────

  async campaign(campaignId: string): Promise<CampaignRecord | null> {
    const r = await this.db.selectFrom('campaigns').selectAll().where('campaign_id', '=', campaignId).executeTakeFirst();
    return r ? record(r) : null;
  }

  async createCampaign(campaign: Campaign, releaseRate: number, at: string): Promise<void> {
    await this.db
      .insertInto('campaigns')
      .values({ campaign_id: campaign.id, name: campaign.name, definition: JSON.stringify(campaign), status: 'active', status_reason: null, release_rate: releaseRate, recipients: 0, launched_at: at, updated_at: at })
      .onConflict((oc) => oc.column('campaign_id').doNothing())
      .execute();
  }

  async updateCampaign(campaignId: string, patch: { status?: CampaignStatus; statusReason?: string | null; releaseRate?: number }, at: string): Promise<void> {
    await this.db
      .updateTable('campaigns')
      .set({
        updated_at: at,
        ...(patch.status ? { status: patch.status } : {}),
        ...(patch.statusReason !== undefined ? { status_reason: patch.statusReason } : {}),
        ...(patch.releaseRate !== undefined ? { release_rate: patch.releaseRate } : {}),
      })
      .where('campaign_id', '=', campaignId)
      .execute();
  }

  async setCampaignStatus(campaignId: string, status: CampaignStatus, reason: string | null, at: string): Promise<void> {
    // A cancelled campaign stays cancelled; the error brake must not turn it back into "paused".
    await this.db
      .updateTable('campaigns')
      .set({ status, status_reason: reason, updated_at: at })
      .where('campaign_id', '=', campaignId)
      .where('status', '!=', 'cancelled')
      .execute();
  }

  async activeCampaigns(): Promise<CampaignRecord[]> {
    const rows = await this.db.selectFrom('campaigns').selectAll().where('status', '=', 'active').orderBy('campaign_id').execute();
    return rows.map(record);
  }

  async selectRecipients(campaign: Campaign, q: CohortQuery, at: string): Promise<number> {
    const step = campaign.steps[0]!;
    await this.db.transaction().execute(async (trx) => {
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
              sql<string>`${campaign.id + '.' + step.id + '.'} || c.citizen_id`.as('message_id'),
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
      const total = await trx.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('campaign_id', '=', campaign.id).executeTakeFirstOrThrow();
      await trx.updateTable('campaigns').set({ recipients: Number(total.n), updated_at: at }).where('campaign_id', '=', campaign.id).execute();
    });
    const c = await this.campaign(campaign.id);
    return c?.recipients ?? 0;
  }

  async releaseNext(campaign: Campaign, limit: number, linkToken: (messageId: string) => string, at: string): Promise<Released[]> {
    if (limit <= 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('messages as m')
        .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
        .select(['m.message_id', 'm.step_id', 'c.phone', 'c.email', 'c.opt_out'])
        .where('m.campaign_id', '=', campaign.id)
        .where('m.state', '=', 'pending')
        .orderBy('m.seq')
        .limit(limit)
        .execute();
      // Decide each message's outcome in JS (channel choice, link token), then write them in
      // a few set-based statements rather than one UPDATE per message.
      const queued = new Map<Channel, { id: string; token: string }[]>();
      const optedOut: string[] = [];
      const unreachable: string[] = [];
      for (const r of rows) {
        if (r.opt_out === 1) {
          optedOut.push(r.message_id);
          continue;
        }
        const step = campaign.steps.find((s) => s.id === r.step_id);
        const channel = step?.channels.find((ch) => reachable(ch, r));
        if (!channel) unreachable.push(r.message_id);
        else queued.set(channel, [...(queued.get(channel) ?? []), { id: r.message_id, token: linkToken(r.message_id) }]);
      }
      const released: Released[] = [];
      for (const [channel, items] of queued) {
        const tokens = sql.join(items.map((i) => sql`when ${i.id} then ${i.token}`), sql` `);
        const updated = await trx
          .updateTable('messages')
          .set({ state: 'queued', channel, link_token: sql`case message_id ${tokens} end`, queued_at: at, updated_at: at })
          .where('message_id', 'in', items.map((i) => i.id))
          .where('state', '=', 'pending')
          .returning('message_id')
          .execute();
        for (const u of updated) released.push({ messageId: u.message_id, channel });
      }
      if (optedOut.length > 0) {
        await trx.updateTable('messages').set({ state: 'opted_out', final_at: at, updated_at: at }).where('message_id', 'in', optedOut).where('state', '=', 'pending').execute();
      }
      if (unreachable.length > 0) {
        await trx
          .updateTable('messages')
          .set({ state: 'failed', error_code: 'NO_CHANNEL', error_detail: 'none of the step\'s channels reaches the citizen', final_at: at, updated_at: at })
          .where('message_id', 'in', unreachable)
          .where('state', '=', 'pending')
          .execute();
      }
      // Jobs go out in priority order.
      const order = new Map(rows.map((r, i) => [r.message_id, i]));
      return released.sort((a, b) => order.get(a.messageId)! - order.get(b.messageId)!);
    });
  }

  async staleQueued(before: string, limit: number): Promise<Released[]> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['message_id', 'channel'])
      .where('state', '=', 'queued')
      .where('queued_at', '<', before)
      .orderBy('queued_at')
      .limit(limit)
      .execute();
    return rows.filter((r) => r.channel !== null).map((r) => ({ messageId: r.message_id, channel: r.channel as Channel }));
  }

  async expireClaims(before: string, at: string): Promise<number> {
    const res = await this.db
      .updateTable('messages')
      .set({ state: 'unknown', error_detail: 'the worker that claimed it stopped before recording the provider answer', final_at: at, updated_at: at })
      .where('state', '=', 'sending')
      .where('claimed_at', '<', before)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async unfinished(campaignId: string): Promise<{ pending: number; queued: number; sending: number }> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['state', (eb) => eb.fn.countAll().as('n')])
      .where('campaign_id', '=', campaignId)
      .where('state', 'in', ['pending', 'queued', 'sending'])
      .groupBy('state')
      .execute();
    const out = { pending: 0, queued: 0, sending: 0 };
    for (const r of rows) out[r.state as keyof typeof out] = Number(r.n);
    return out;
  }

  async cancelUnsent(campaignId: string, at: string): Promise<number> {
    const res = await this.db
      .updateTable('messages')
      .set({ state: 'cancelled', final_at: at, updated_at: at })
      .where('campaign_id', '=', campaignId)
      .where('state', 'in', ['pending', 'queued'])
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  // ── sending ──────────────────────────────────────────────────────────────────────────────

  async loadForSend(messageId: string): Promise<MessageForSend | null> {
    const [r] = await this.hot.load.all(this.db, { id: messageId });
    if (!r) return null;
    const citizen: CitizenCard = {
      citizen_id: r.citizen_id, given_name: r.given_name, family_name: r.family_name, birth_date: r.birth_date, sex: r.sex,
      language: r.language, phone: r.phone, email: r.email, region: r.region, asl: r.asl, municipality: r.municipality, opt_out: r.opt_out === 1,
    };
    return {
      messageId: r.message_id,
      campaignId: r.campaign_id,
      stepId: r.step_id,
      state: r.state,
      channel: r.channel as Channel | null,
      linkToken: r.link_token ?? '',
      citizen,
      campaignStatus: r.status,
      campaign: this.definition(r.campaign_id, r.definition),
    };
  }

  /**
   * Centres change a few times a day at most, and every citizen of an ASL gets the same answer:
   * cached for a minute per area, so the send path does not ask the database per message.
   */
  private readonly centers = new Map<string, { at: number; center: Promise<CenterCard | null> }>();

  centerFor(citizen: CitizenCard): Promise<CenterCard | null> {
    const key = `${citizen.asl ?? ''}|${citizen.municipality ?? ''}|${citizen.region ?? ''}`;
    const hit = this.centers.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.center;
    if (this.centers.size > 10_000) this.centers.clear();
    const center = this.cards.centerFor(citizen);
    this.centers.set(key, { at: Date.now(), center });
    return center;
  }

  async claim(messageId: string, token: string, at: string): Promise<boolean> {
    const params = { id: messageId, token, at };
    return (await (this.grouped ? this.grouped.claim.run(params) : this.hot.claim.run(this.db, params))) === 1;
  }

  async recordSent(messageId: string, token: string, providerId: string, at: string): Promise<void> {
    const params = { id: messageId, token, provider: providerId, at };
    await (this.grouped ? this.grouped.sent.run(params) : this.hot.sent.run(this.db, params));
  }

  async unclaim(messageId: string, token: string, at: string): Promise<void> {
    await this.db
      .updateTable('messages')
      .set({ state: 'queued', claim_token: null, claimed_at: null, updated_at: at })
      .where('message_id', '=', messageId)
      .where('claim_token', '=', token)
      .where('state', '=', 'sending')
      .execute();
  }

  async recordFailed(messageId: string, token: string | null, code: string, detail: string, at: string): Promise<void> {
    let q = this.db
      .updateTable('messages')
      .set({ state: 'failed', error_code: code, error_detail: detail, final_at: at, updated_at: at })
      .where('message_id', '=', messageId);
    q = token === null ? q.where('state', '=', 'queued') : q.where('claim_token', '=', token).where('state', '=', 'sending');
    await q.execute();
  }

  async markUnknown(messageId: string, detail: string, at: string): Promise<void> {
    await this.db
      .updateTable('messages')
      .set({ state: 'unknown', error_detail: detail, final_at: at, updated_at: at })
      .where('message_id', '=', messageId)
      .where('state', '=', 'sending')
      .execute();
  }

  async transition(messageId: string, from: readonly string[], to: string, at: string): Promise<boolean> {
    const res = await this.db
      .updateTable('messages')
      .set({ state: to as MessageState, updated_at: at, ...(to === 'pending' ? { queued_at: null } : { final_at: at }) })
      .where('message_id', '=', messageId)
      .where('state', 'in', from as MessageState[])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async outcomes(campaignId: string): Promise<{ failed: number; finished: number }> {
    const r = await this.db
      .selectFrom('messages')
      .select([
        sql<number>`sum(case when state = 'failed' then 1 else 0 end)`.as('failed'),
        sql<number>`sum(case when state in ('sent', 'delivered', 'undelivered', 'failed', 'unknown') then 1 else 0 end)`.as('finished'),
      ])
      .where('campaign_id', '=', campaignId)
      .executeTakeFirst();
    return { failed: Number(r?.failed ?? 0), finished: Number(r?.finished ?? 0) };
  }

  async createCallTask(t: { messageId: string; campaignId: string; citizenId: string; at: string }): Promise<string> {
    await this.db
      .insertInto('call_tasks')
      .values({ task_id: t.messageId, message_id: t.messageId, campaign_id: t.campaignId, citizen_id: t.citizenId, state: 'open', created_at: t.at, updated_at: t.at })
      .onConflict((oc) => oc.column('task_id').doNothing())
      .execute();
    return t.messageId;
  }

  // ── reports ──────────────────────────────────────────────────────────────────────────────

  async statusCounts(campaignId?: string): Promise<StatusRow[]> {
    let q = this.db
      .selectFrom('messages')
      .select(['campaign_id', 'step_id', 'channel', 'state', (eb) => eb.fn.countAll().as('n')])
      .groupBy(['campaign_id', 'step_id', 'channel', 'state'])
      .orderBy('campaign_id')
      .orderBy('step_id')
      .orderBy('channel')
      .orderBy('state');
    if (campaignId) q = q.where('campaign_id', '=', campaignId);
    const rows = await q.execute();
    return rows.map((r) => ({ campaignId: r.campaign_id, stepId: r.step_id, channel: r.channel, state: r.state, count: Number(r.n) }));
  }

  async campaigns(campaignId?: string): Promise<CampaignRecord[]> {
    let q = this.db.selectFrom('campaigns').selectAll().orderBy('campaign_id');
    if (campaignId) q = q.where('campaign_id', '=', campaignId);
    return (await q.execute()).map(record);
  }
}
