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
import { type ExpressionBuilder, type Insertable, type Kysely, sql } from 'kysely';
import { ZodError } from 'zod';
import { messageKey } from '../campaigns/messages.js';
import { addTo, groupBy } from '../core/collections.js';
import type { ErrorCode } from '../core/errors.js';
import type { AppointmentStore, CenterInfo } from '../pacer/appointments.js';
import { acceptanceEstimate } from '../pacer/slots.js';
import { allocateSlots, candidateCenters, KyselyAppointmentStore, releaseAppointment } from './slots.js';
import { atomically, type Executor } from './unit-of-work.js';
import { type Campaign, type CampaignStep, campaignSchema } from '../campaigns/schema.js';
import type { CampaignStatus, CitizenCard } from '../campaigns/store.js';
import type { CallTaskStore } from '../channels/call.js';
import type { Channel } from '../core/channels.js';
import type { CohortQuery } from '../cohort/criteria.js';
import type { CampaignRecord, CampaignSummary, PacerStore, PacingDay, Released, ReleaseContext } from '../pacer/store.js';
import type { DispatchStore, MessageForSend } from '../queues/store.js';
import type { StatusRow, ReportStore } from '../reports/store.js';
import { cohortWhere, rankExpression } from './cohort.js';
import { GroupCommit, param, prepare } from './prepared.js';
import type { Database, MessageState } from './schema.js';

/**
 * When a reminder goes: `days` before the appointment's day at local `at`. When the window is
 * closed then (a Sunday, a holiday), at the same time on the last open day before — the citizen
 * hears before the appointment, not after — else at the next opening if that is still before
 * the appointment; never before now. Null when no window is left before the appointment.
 */
export function reminderTime(ctx: Pick<ReleaseContext, 'calendar' | 'now'>, channel: Channel, day: string, days: number, at: string, start: number): number | null {
  const cal = ctx.calendar;
  const wanted = cal.at(cal.addDays(day, -days), at);
  for (let back = 0; back < 7; back++) {
    const t = cal.at(cal.addDays(day, -days - back), at);
    if (t < ctx.now) break;
    if (cal.isOpen(channel, t) && t < start) return t;
  }
  const next = cal.nextOpen(channel, Math.max(wanted, ctx.now));
  if (next !== null && next < start) return next;
  const now = cal.isOpen(channel, ctx.now) && ctx.now < start ? ctx.now : null;
  return now;
}

/**
 * The channel a message goes by now: the first of its step's channels that reaches the citizen,
 * if its window is open and (for a call) the operators' list has room, which it takes.
 * `unreachable` when no channel ever can; null to wait (closed now, or no room).
 */
function channelNow(step: CampaignStep, c: { phone: string | null; email: string | null }, ctx: ReleaseContext, room: { calls: number }): Channel | 'unreachable' | null {
  const channel = step.channels.find((ch) => reachable(ch, c));
  if (!channel) return 'unreachable';
  if (!ctx.calendar.isOpen(channel, ctx.now)) return null;
  if (channel === 'call') {
    if (room.calls <= 0) return null;
    room.calls--;
  }
  return channel;
}

function reachable(channel: Channel, c: { phone: string | null; email: string | null }): boolean {
  return channel === 'call' ? true : channel === 'email' ? c.email !== null : c.phone !== null;
}

type CampaignRow = Database['campaigns'];

const LOAD_COLUMNS = [
  'm.message_id', 'm.campaign_id', 'm.step_id', 'm.state', 'm.channel', 'm.link_token',
  'c.citizen_id', 'c.given_name', 'c.family_name', 'c.birth_date', 'c.sex', 'c.language', 'c.phone', 'c.email',
  'c.region', 'c.asl', 'c.municipality', 'c.opt_out', 'k.status', 'k.definition',
  'a.state as appointment_state', 'a.start_at', 'z.center_id', 'z.name as center_name', 'z.address as center_address',
  'z.municipality as center_municipality', 'z.opening as center_opening', 'z.daily_capacity as center_capacity',
] as const;

interface LoadRow {
  message_id: string; campaign_id: string; step_id: string; state: MessageState; channel: string | null; link_token: string | null;
  citizen_id: string; given_name: string | null; family_name: string | null; birth_date: string; sex: 'M' | 'F' | 'X' | null; language: string;
  phone: string | null; email: string | null; region: string | null; asl: string | null; municipality: string | null; opt_out: number;
  status: CampaignStatus; definition: string;
  appointment_state: string | null; start_at: string | null; center_id: string | null; center_name: string | null; center_address: string | null;
  center_municipality: string | null; center_opening: string | null; center_capacity: number | null;
}

/** A stored definition, through the schema again: keys added since its launch get their defaults. */
const storedCampaign = (text: string): Campaign => campaignSchema.parse(JSON.parse(text));
const record = (r: CampaignRow, definition: Campaign = storedCampaign(r.definition)): CampaignRecord => ({ ...summary(r), definition });
const summary = (r: CampaignRow): CampaignSummary => ({
  campaignId: r.campaign_id,
  status: r.status,
  statusReason: r.status_reason,
  releaseRate: r.release_rate,
  recipients: r.recipients,
  releaseError:
    r.release_error_code === null || r.release_error_code === undefined
      ? null
      : { code: r.release_error_code, message: r.release_error_message ?? '', at: r.release_error_at ?? r.updated_at },
});

/** Why a stored definition no longer passes the schema: its first problem, by path. */
function definitionProblem(e: unknown): string {
  const first = e instanceof ZodError ? e.issues[0] : undefined;
  const path = first?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `the stored definition is no longer valid${first ? `: ${path || 'campaign'} ${first.message}` : ''}; cancel it and launch a corrected file`;
}

export class KyselyDispatchStore implements DispatchStore, PacerStore, CallTaskStore, ReportStore {
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

  private readonly appointments: AppointmentStore;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: 'sqlite' | 'postgres' = 'postgres',
  ) {
    this.appointments = new KyselyAppointmentStore(db, dialect);
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
        .leftJoin('appointments as a', 'a.appointment_id', 'm.appointment_id')
        .leftJoin('centers as z', 'z.center_id', 'a.center_id')
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
    const out: CampaignRecord[] = [];
    for (const r of rows) {
      let definition: Campaign;
      try {
        // Asked every tick: each definition is parsed once.
        definition = this.definition(r.campaign_id, r.definition);
      } catch (e) {
        // Stored by a version with looser bounds: this campaign cannot be released, the others can.
        const message = definitionProblem(e);
        if (r.release_error_message !== message) await this.recordReleaseError(r.campaign_id, { code: 'CAMPAIGN_INVALID', message }, new Date().toISOString());
        continue;
      }
      out.push(record(r, definition));
    }
    return out;
  }

  async recordReleaseError(campaignId: string, error: { readonly code: string; readonly message: string } | null, at: string): Promise<void> {
    await this.db
      .updateTable('campaigns')
      .set({ release_error_code: error?.code ?? null, release_error_message: error?.message ?? null, release_error_at: error ? at : null })
      .where('campaign_id', '=', campaignId)
      .execute();
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

  // ── pacing ───────────────────────────────────────────────────────────────────────────────

  async pacingDay(campaignId: string, day: string): Promise<PacingDay | null> {
    const r = await this.db.selectFrom('pacing_days').select(['day', 'target', 'released']).where('campaign_id', '=', campaignId).where('day', '=', day).executeTakeFirst();
    return r ? { day: r.day, target: Number(r.target), released: Number(r.released) } : null;
  }

  async lastPacingDay(campaignId: string, beforeDay: string): Promise<PacingDay | null> {
    const r = await this.db
      .selectFrom('pacing_days')
      .select(['day', 'target', 'released'])
      .where('campaign_id', '=', campaignId)
      .where('day', '<', beforeDay)
      .orderBy('day', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? { day: r.day, target: Number(r.target), released: Number(r.released) } : null;
  }

  async openPacingDay(campaignId: string, day: string, target: number, at: string): Promise<PacingDay> {
    await this.db
      .insertInto('pacing_days')
      .values({ campaign_id: campaignId, day, target, released: 0, updated_at: at })
      .onConflict((oc) => oc.columns(['campaign_id', 'day']).doNothing())
      .execute();
    return (await this.pacingDay(campaignId, day))!;
  }

  async releaseInvitations(campaign: Campaign, limit: number, ctx: ReleaseContext): Promise<{ released: Released[]; dayReleased: number }> {
    const step = campaign.steps[0]!;
    // BEGIN IMMEDIATE on SQLite: the transaction reads before it writes, and workers in other
    // processes write all the time (a deferred one would fail to upgrade its lock).
    return atomically(this.db, this.dialect, async (trx) => {
      const released: Released[] = [];
      if (limit > 0) {
        // Citizens whose channel is closed now or whose centres are full keep their place, so
        // read a little beyond the limit to fill it from those behind them.
        const rows = await trx
          .selectFrom('messages as m')
          .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
          .select(['m.message_id', 'c.citizen_id', 'c.phone', 'c.email', 'c.opt_out', 'c.region', 'c.asl', 'c.municipality'])
          .where('m.campaign_id', '=', campaign.id)
          .where('m.state', '=', 'pending')
          .where('m.step_id', '=', step.id)
          .orderBy('m.seq')
          .limit(limit + Math.min(1000, Math.ceil(limit / 4) + 20))
          .execute();
        const queued = new Map<Channel, { id: string; token: string }[]>();
        const optedOut: string[] = [];
        const unreachable: string[] = [];
        const unserved: string[] = [];
        const room = { calls: ctx.callRoom ?? Infinity };
        const from = ctx.calendar.addDays(ctx.day, campaign.appointments.lead_days);
        const to = ctx.calendar.addDays(from, campaign.appointments.horizon_days - 1);
        // Decide each citizen's channel first; then allocate slots per group of citizens with
        // the same candidate centres, in a few statements per group.
        const wanted: { id: string; citizen: string; channel: Channel; centers: CenterInfo[]; key: string }[] = [];
        for (const r of rows) {
          if (wanted.length >= limit) break;
          if (r.opt_out === 1) {
            optedOut.push(r.message_id);
            continue;
          }
          const channel = channelNow(step, r, ctx, room);
          if (channel === 'unreachable') unreachable.push(r.message_id);
          if (typeof channel !== 'string' || channel === 'unreachable') continue;
          const centers = await this.candidatesIn(trx, r);
          if (centers.length === 0) {
            unserved.push(r.message_id);
            continue;
          }
          wanted.push({ id: r.message_id, citizen: r.citizen_id, channel, centers, key: centers.map((c) => c.centerId).join('|') });
        }
        const groups = groupBy(wanted, (w) => w.key);
        for (const group of groups.values()) {
          const slots = await allocateSlots(
            trx,
            this.dialect,
            group.map((w) => ({
              appointmentId: w.id,
              campaignId: campaign.id,
              citizenId: w.citizen,
              centers: w.centers,
              fromDay: from,
              toDay: to,
              isClosedDay: (d: string) => ctx.calendar.isClosedDay(d),
              timezone: campaign.timezone,
              slotMinutes: campaign.appointments.slot_minutes,
              at: ctx.at,
            })),
          );
          // Without a slot (the centres are full within the horizon) a citizen waits, in their place.
          group.forEach((w, i) => {
            if (slots[i]) addTo(queued, w.channel, { id: w.id, token: ctx.token(w.id) });
          });
        }
        for (const [channel, items] of queued) {
          const tokens = sql.join(items.map((i) => sql`when ${i.id} then ${i.token}`), sql` `);
          const updated = await trx
            .updateTable('messages')
            .set({ state: 'queued', channel, link_token: sql`case message_id ${tokens} end`, appointment_id: sql`message_id`, queued_at: ctx.at, updated_at: ctx.at })
            .where('message_id', 'in', items.map((i) => i.id))
            .where('state', '=', 'pending')
            .returning('message_id')
            .execute();
          for (const u of updated) released.push({ messageId: u.message_id, channel });
        }
        await this.finishUnsendable(trx, { optedOut, unreachable, unserved }, ctx.at);
        // Jobs go out in priority order.
        const order = new Map(rows.map((r, i) => [r.message_id, i]));
        released.sort((a, b) => order.get(a.messageId)! - order.get(b.messageId)!);
      }
      const day = await trx
        .updateTable('pacing_days')
        .set((eb) => ({ released: eb('released', '+', released.length), updated_at: ctx.at }))
        .where('campaign_id', '=', campaign.id)
        .where('day', '=', ctx.day)
        .returning('released')
        .executeTakeFirst();
      return { released, dayReleased: Number(day?.released ?? released.length) };
    });
  }

  /**
   * Centres serving a citizen, cached for a minute per area: every citizen of an ASL gets the
   * same answer and the release path must not ask per message. Read through the transaction
   * (on SQLite the connection is the transaction's while it runs).
   */
  private readonly centerCache = new Map<string, { at: number; centers: CenterInfo[] }>();
  private async candidatesIn(trx: Executor, c: { region: string | null; asl: string | null; municipality: string | null }): Promise<CenterInfo[]> {
    const key = `${c.asl ?? ''}|${c.municipality ?? ''}|${c.region ?? ''}`;
    const hit = this.centerCache.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.centers;
    if (this.centerCache.size > 10_000) this.centerCache.clear();
    const centers = await candidateCenters(trx, c);
    this.centerCache.set(key, { at: Date.now(), centers });
    return centers;
  }

  /** Messages that will never be sent: opted out, unreachable by the step's channels, or with no centre serving the citizen. */
  private async finishUnsendable(trx: Executor, m: { optedOut: string[]; unreachable: string[]; unserved: string[] }, at: string): Promise<void> {
    if (m.optedOut.length > 0) {
      await trx.updateTable('messages').set({ state: 'opted_out', final_at: at, updated_at: at }).where('message_id', 'in', m.optedOut).where('state', '=', 'pending').execute();
    }
    const fail = async (ids: string[], code: ErrorCode, detail: string): Promise<void> => {
      if (ids.length === 0) return;
      await trx.updateTable('messages').set({ state: 'failed', error_code: code, error_detail: detail, final_at: at, updated_at: at }).where('message_id', 'in', ids).where('state', '=', 'pending').execute();
    };
    await fail(m.unreachable, 'NO_CHANNEL', "none of the step's channels reaches the citizen");
    await fail(m.unserved, 'NO_CENTER', "no vaccination centre serves the citizen's area");
  }

  async releaseDue(campaign: Campaign, limit: number, ctx: ReleaseContext): Promise<Released[]> {
    return atomically(this.db, this.dialect, async (trx) => {
      const rows = await trx
        .selectFrom('messages as m')
        .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
        .leftJoin('appointments as a', 'a.appointment_id', 'm.appointment_id')
        .select(['m.message_id', 'm.step_id', 'c.phone', 'c.email', 'c.opt_out', 'a.state as appointment', 'a.start_at'])
        .where('m.campaign_id', '=', campaign.id)
        .where('m.state', '=', 'pending')
        .where('m.due_at', '<=', ctx.at)
        .orderBy('m.due_at')
        .orderBy('m.seq')
        .limit(limit)
        .execute();
      const queued = new Map<Channel, string[]>();
      const optedOut: string[] = [];
      const unreachable: string[] = [];
      const moot: string[] = [];
      const room = { calls: ctx.callRoom ?? Infinity };
      for (const r of rows) {
        const step = campaign.steps.find((s) => s.id === r.step_id);
        if (r.opt_out === 1) {
          optedOut.push(r.message_id);
          continue;
        }
        // A reminder of a released appointment, or a follow-up to someone who has answered since.
        const needed = step?.send && 'before_appointment' in step.send
          ? (r.appointment === 'held' || r.appointment === 'confirmed') && r.start_at !== null && Date.parse(r.start_at) > ctx.now
          : r.appointment === 'held';
        if (!step || !needed) {
          moot.push(r.message_id);
          continue;
        }
        const channel = channelNow(step, r, ctx, room);
        if (channel === 'unreachable') unreachable.push(r.message_id);
        if (typeof channel !== 'string' || channel === 'unreachable') continue;
        addTo(queued, channel, r.message_id);
      }
      const released: Released[] = [];
      for (const [channel, ids] of queued) {
        const tokens = sql.join(ids.map((id) => sql`when ${id} then ${ctx.token(id)}`), sql` `);
        const updated = await trx
          .updateTable('messages')
          .set({ state: 'queued', channel, link_token: sql`case message_id ${tokens} end`, queued_at: ctx.at, updated_at: ctx.at })
          .where('message_id', 'in', ids)
          .where('state', '=', 'pending')
          .returning('message_id')
          .execute();
        for (const u of updated) released.push({ messageId: u.message_id, channel });
      }
      await this.finishUnsendable(trx, { optedOut, unreachable, unserved: [] }, ctx.at);
      if (moot.length > 0) {
        await trx
          .updateTable('messages')
          .set({ state: 'cancelled', error_detail: 'no longer needed: the appointment was released or the citizen answered', final_at: ctx.at, updated_at: ctx.at })
          .where('message_id', 'in', moot)
          .where('state', '=', 'pending')
          .execute();
      }
      return released;
    });
  }

  async scheduleSteps(campaign: Campaign, ctx: ReleaseContext): Promise<number> {
    const invite = campaign.steps[0]!;
    let created = 0;
    for (const step of campaign.steps.slice(1)) {
      const send = step.send;
      if (!send) continue;
      const key = sql<string>`${campaign.id + '.' + step.id + '.'} || a.citizen_id`;
      // The builder of the query this predicate joins (appointments and messages): its tables
      // are named by alias, which Kysely's Database type cannot spell here.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const missing = ({ not, exists, selectFrom }: ExpressionBuilder<any, any>) =>
        not(exists(selectFrom('messages as r').select('r.message_id').whereRef('r.message_id', '=', key)));
      if ('before_appointment' in send) {
        const { days, at } = send.before_appointment;
        // Appointments whose reminder day has come (or is tomorrow, to be ready at the window's start).
        const rows = await this.db
          .selectFrom('appointments as a')
          .innerJoin('messages as m', 'm.message_id', 'a.appointment_id')
          .select(['a.appointment_id', 'a.citizen_id', 'a.day', 'a.start_at', 'm.seq'])
          .where('a.campaign_id', '=', campaign.id)
          .where('a.state', 'in', ['held', 'confirmed'])
          .where('a.day', '>=', ctx.day)
          // A few days ahead: a reminder whose day is closed moves to an earlier open day.
          .where('a.day', '<=', ctx.calendar.addDays(ctx.day, days + 4))
          .where(missing)
          .limit(50_000)
          .execute();
        const channel = step.channels[0]!;
        const values = rows.map((r) => {
          const due = reminderTime(ctx, channel, r.day, days, at, Date.parse(r.start_at));
          const inTime = due !== null;
          return {
            message_id: messageKey(campaign.id, step.id, r.citizen_id), campaign_id: campaign.id, step_id: step.id, citizen_id: r.citizen_id, seq: r.seq,
            state: (inTime ? 'pending' : 'cancelled') as MessageState, attempts: 0, appointment_id: r.appointment_id,
            due_at: inTime ? new Date(due).toISOString() : null,
            error_detail: inTime ? null : 'no send window before the appointment', final_at: inTime ? null : ctx.at, updated_at: ctx.at,
          };
        });
        created += await this.insertMessages(values);
      } else {
        const cutoff = new Date(ctx.now - send.no_answer_after.days * 86_400_000).toISOString();
        const rows = await this.db
          .selectFrom('messages as a')
          .innerJoin('appointments as p', 'p.appointment_id', 'a.message_id')
          .select(['a.message_id', 'a.citizen_id', 'a.seq'])
          .where('a.campaign_id', '=', campaign.id)
          .where('a.step_id', '=', invite.id)
          .where('a.state', 'in', ['sent', 'delivered'])
          .where('a.sent_at', '<=', cutoff)
          .where('p.state', '=', 'held')
          .where(missing)
          .limit(50_000)
          .execute();
        const values = rows.map((r) => ({
          message_id: messageKey(campaign.id, step.id, r.citizen_id), campaign_id: campaign.id, step_id: step.id, citizen_id: r.citizen_id, seq: r.seq,
          state: 'pending' as MessageState, attempts: 0, appointment_id: r.message_id, due_at: ctx.at, error_detail: null, final_at: null, updated_at: ctx.at,
        }));
        created += await this.insertMessages(values);
      }
    }
    return created;
  }

  private async insertMessages(values: Insertable<Database['messages']>[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      const r = await this.db.insertInto('messages').values(chunk).onConflict((oc) => oc.column('message_id').doNothing()).executeTakeFirst();
      n += Number(r.numInsertedOrUpdatedRows ?? chunk.length);
    }
    return n;
  }

  async openSlots(campaign: Campaign, day: string): Promise<number> {
    const centers = await this.centersOfCampaign(campaign);
    return this.appointments.openSlots(centers, day);
  }

  private async centersOfCampaign(campaign: Campaign): Promise<string[]> {
    let q = this.db.selectFrom('centers').select('center_id').orderBy('center_id');
    if (campaign.cohort.regions && campaign.cohort.regions.length > 0) q = q.where('region', 'in', campaign.cohort.regions);
    return (await q.execute()).map((r) => r.center_id);
  }

  async acceptance(campaign: Campaign): Promise<number> {
    const { confirmed, declined } = await this.appointments.acceptance(campaign.id);
    return acceptanceEstimate(campaign.pacing.acceptance, confirmed, declined);
  }

  async releaseSlotsOfFailedInvitations(at: string): Promise<number> {
    const rows = await this.db
      .selectFrom('appointments as a')
      .innerJoin('messages as m', 'm.message_id', 'a.appointment_id')
      .select('a.appointment_id')
      .where('a.state', '=', 'held')
      .where('m.state', 'in', ['undelivered', 'failed'])
      .limit(10_000)
      .execute();
    for (const r of rows) await atomically(this.db, this.dialect, (trx) => releaseAppointment(trx, r.appointment_id, 'undelivered', at));
    return rows.length;
  }

  async liveAppointments(campaignId: string, day: string): Promise<number> {
    const r = await this.db
      .selectFrom('appointments')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('campaign_id', '=', campaignId)
      .where('state', 'in', ['held', 'confirmed'])
      .where('day', '>=', day)
      .executeTakeFirstOrThrow();
    return Number(r.n);
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
      appointment:
        r.start_at !== null && r.center_id !== null
          ? {
              state: r.appointment_state as 'held' | 'confirmed' | 'released',
              start: r.start_at,
              center: { center_id: r.center_id, name: r.center_name!, address: r.center_address, municipality: r.center_municipality, opening: r.center_opening!, daily_capacity: Number(r.center_capacity) },
            }
          : null,
    };
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
    // A failed invitation frees its slot for the next citizen, in the same transaction.
    await atomically(this.db, this.dialect, async (trx) => {
      const res = await trx.executeQuery(q.compile());
      if (Number(res.numAffectedRows ?? 0) === 1) await releaseAppointment(trx, messageId, 'undelivered', at);
    });
  }

  async cancelUnsent(campaignId: string, at: string): Promise<number> {
    return atomically(this.db, this.dialect, async (trx) => {
      const res = await trx
        .updateTable('messages')
        .set({ state: 'cancelled', final_at: at, updated_at: at })
        .where('campaign_id', '=', campaignId)
        .where('state', 'in', ['pending', 'queued'])
        .executeTakeFirst();
      // Slots offered and not yet confirmed go back to the centres; a confirmed one stays the citizen's.
      const held = await trx.selectFrom('appointments').select('appointment_id').where('campaign_id', '=', campaignId).where('state', '=', 'held').execute();
      for (const a of held) await releaseAppointment(trx, a.appointment_id, 'cancelled', at);
      return Number(res.numUpdatedRows);
    });
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

  async campaigns(campaignId?: string): Promise<CampaignSummary[]> {
    let q = this.db.selectFrom('campaigns').selectAll().orderBy('campaign_id');
    if (campaignId) q = q.where('campaign_id', '=', campaignId);
    // Reports do not read the definition, so one the schema now refuses is still reported.
    return (await q.execute()).map(summary);
  }
}
