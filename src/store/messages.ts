/**
 * The messages repository (both dialects): rows of the state machine in core/lifecycle.ts.
 * Every move is one conditional UPDATE on the current state, so two workers, a retried job or a
 * late webhook can never move a message backwards or send it twice. Who, when and by which
 * channel are the pacer's and the worker's to decide; this only reads and writes.
 */
import { type ExpressionBuilder, type InferResult, sql, type UpdateObject } from 'kysely';
import type { Channel } from '../core/channels.js';
import { CONTACT_STATES, FAILURES, FINISHED_STATES, messageKeyPrefix, OPEN_STATES, UNSENT_STATES } from '../core/lifecycle.js';
import { RECEIPT_RELEASES } from '../feedback/rules.js';
import { ACTIVE_TASK_STATES } from '../desk/rules.js';
import type { AppointmentState } from '../pacer/appointments.js';
import type { ContactWindow, DueMessage, EligibilityCandidate, FailedAttempt, FallbackDecision, IneligibleCitizen, NewMessage, PacerMessages, PendingInvitation, Released, Unfinished, Unsendable } from '../pacer/store.js';
import type { DispatchStore, MessageForSend } from '../queues/store.js';
import type { FallbackRow, StatusRow } from '../reports/store.js';
import { GroupCommit, param, prepare } from './prepared.js';
import type { Dialect } from './open.js';
import type { Database, MessageState } from './schema.js';
import { eligibilityCandidates, eligibilityOf, endIneligible } from './eligibility.js';
import { releaseAppointment } from './slots.js';
import { atomically, type Executor } from './unit-of-work.js';

const LOAD_COLUMNS = [
  'm.message_id', 'm.campaign_id', 'm.step_id', 'm.state', 'm.channel', 'm.link_token',
  'c.citizen_id', 'c.given_name', 'c.family_name', 'c.birth_date', 'c.sex', 'c.language', 'c.phone', 'c.phone_type', 'c.email', 'c.whatsapp_opt_in',
  'c.region', 'c.asl', 'c.municipality', 'c.opt_out', 'c.doses', 'c.last_dose_date', 'c.deceased', 'k.status', 'k.definition',
  'a.state as appointment_state', 'a.start_at', 'z.center_id', 'z.name as center_name', 'z.address as center_address',
  'z.municipality as center_municipality', 'z.opening as center_opening', 'z.daily_capacity as center_capacity',
] as const;

/** The send path's three statements, prepared once (see prepared.ts) and shared by every repository of a store. */
export type HotStatements = ReturnType<typeof prepareHot>;

const loadQuery = (db: Executor) =>
  db
      .selectFrom('messages as m')
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .innerJoin('campaigns as k', 'k.campaign_id', 'm.campaign_id')
      .leftJoin('appointments as a', 'a.appointment_id', 'm.appointment_id')
      .leftJoin('centers as z', 'z.center_id', 'a.center_id')
      .select(LOAD_COLUMNS)
      .where('m.message_id', '=', param('id'));
type LoadRow = InferResult<ReturnType<typeof loadQuery>>[number];

export function prepareHot(db: Executor, dialect: Dialect) {
  const load = prepare<{ id: string }, LoadRow>(loadQuery(db));
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
      .set({ state: sql<MessageState>`coalesce(${overtaken('status')}, 'sent')`, error_code: overtaken('error_code'), final_at: overtaken('received_at'), provider_id: param('provider'), sent_at: param('at'), error_detail: null, updated_at: param('at') })
      .where('message_id', '=', param('id')).where('claim_token', '=', param('token')).where('state', 'in', ['sending', 'unknown']);
  const sent = prepare<{ id: string; token: string; provider: string; at: string }>(sentQuery);
  // On SQLite the claim and the record go through group commit: a commit costs far more than
  // the UPDATE, and many jobs are in flight at once. (PostgreSQL commits are concurrent across
  // connections already.) Only on the store's pool: inside a unit of work they run in it.
  const grouped = dialect === 'sqlite' ? { claim: new GroupCommit(db, claim), sent: new GroupCommit(db, sent) } : null;
  return { load, claim, sent, grouped };
}

const inList = (states: readonly MessageState[]) => sql.join(states.map((s) => sql.lit(s)));

/**
 * The contact limits in SQL (pacer/contact.ts): true while the citizen of message `m` has fewer
 * than `perDay` contacts released since `dayStart` and fewer than `perWeek` since `weekStart`,
 * from every campaign (the index messages_citizen_queued serves it).
 */
const withinLimits = (w: ContactWindow) =>
  sql<boolean>`not exists (select count(*) from messages x where x.citizen_id = m.citizen_id and x.queued_at >= ${w.weekStart} and x.state in (${inList(CONTACT_STATES)})
    having count(*) >= ${w.perWeek} or sum(case when x.queued_at >= ${w.dayStart} then 1 else 0 end) >= ${w.perDay})`;

export class MessageRepository implements PacerMessages, Omit<DispatchStore, 'setCampaignStatus'> {
  constructor(
    protected readonly ex: Executor,
    protected readonly dialect: Dialect,
    private readonly hot: HotStatements,
    /** Whether this repository runs on the store's pool (not inside a unit of work): only there may writes join a group commit. */
    private readonly pooled: boolean,
  ) {}

  async loadForSend(messageId: string): Promise<MessageForSend | null> {
    const [r] = await this.hot.load.all(this.ex, { id: messageId });
    if (!r) return null;
    const { given_name, family_name, birth_date, sex, language, phone, email, region, asl, municipality } = r;
    return {
      messageId: r.message_id, campaignId: r.campaign_id, stepId: r.step_id, state: r.state, channel: r.channel as Channel | null, linkToken: r.link_token ?? '',
      citizen: { citizen_id: r.citizen_id, given_name, family_name, birth_date, sex, language, phone, email, region, asl, municipality, opt_out: r.opt_out === 1, whatsapp_opt_in: r.whatsapp_opt_in === 1 },
      phoneType: r.phone_type,
      campaignStatus: r.status, definitionText: r.definition, eligibility: eligibilityOf(r),
      appointment:
        r.start_at !== null && r.center_id !== null
          ? {
              state: r.appointment_state as AppointmentState,
              start: r.start_at,
              center: { center_id: r.center_id, name: r.center_name!, address: r.center_address, municipality: r.center_municipality, opening: r.center_opening!, daily_capacity: Number(r.center_capacity) },
            }
          : null,
    };
  }

  async claim(messageId: string, token: string, at: string): Promise<boolean> {
    const params = { id: messageId, token, at };
    return (await (this.hot.grouped && this.pooled ? this.hot.grouped.claim.run(params) : this.hot.claim.run(this.ex, params))) === 1;
  }

  async recordSent(messageId: string, token: string, providerId: string, at: string): Promise<void> {
    const params = { id: messageId, token, provider: providerId, at };
    await (this.hot.grouped && this.pooled ? this.hot.grouped.sent.run(params) : this.hot.sent.run(this.ex, params));
  }

  async unclaim(messageId: string, token: string, at: string): Promise<void> {
    await this.move(messageId, 'sending', { state: 'queued', claim_token: null, claimed_at: null, updated_at: at }).where('claim_token', '=', token).execute();
  }

  async recordFailed(messageId: string, token: string | null, code: string, detail: string, at: string): Promise<void> {
    const set = { state: 'failed', error_code: code, error_detail: detail, final_at: at, updated_at: at } as const;
    const q = token === null ? this.move(messageId, 'queued', set) : this.move(messageId, 'sending', set).where('claim_token', '=', token);
    // A failed invitation keeps its slot: the pacer tries its fallback, or frees it when the chain ends (pacer/fallback.ts).
    await q.execute();
  }

  async markUnknown(messageId: string, detail: string, at: string): Promise<void> {
    await this.move(messageId, 'sending', { state: 'unknown', error_detail: detail, final_at: at, updated_at: at }).execute();
  }

  async transition(messageId: string, from: readonly MessageState[], to: MessageState, at: string): Promise<boolean> {
    const set = { state: to, updated_at: at, ...(to === 'pending' ? { queued_at: null } : { final_at: at }) };
    return Number((await this.ex.updateTable('messages').set(set).where('message_id', '=', messageId).where('state', 'in', from).executeTakeFirst()).numUpdatedRows) === 1;
  }

  /** One message's conditional move out of `from`. */
  private move(messageId: string, from: MessageState, set: UpdateObject<Database, 'messages'>) {
    return this.ex.updateTable('messages').set(set).where('message_id', '=', messageId).where('state', '=', from);
  }

  async outcomes(campaignId: string): Promise<{ failed: number; finished: number }> {
    const failed = sql<number>`sum(case when state = 'failed' then 1 else 0 end)`.as('failed');
    const finished = sql<number>`sum(case when state in (${inList(FINISHED_STATES)}) then 1 else 0 end)`.as('finished');
    const r = await this.ex.selectFrom('messages').select([failed, finished]).where('campaign_id', '=', campaignId).executeTakeFirst();
    return { failed: Number(r?.failed ?? 0), finished: Number(r?.finished ?? 0) };
  }

  async createCallTask(t: { messageId: string; campaignId: string; citizenId: string; at: string }): Promise<string> {
    const task = { task_id: t.messageId, message_id: t.messageId, campaign_id: t.campaignId, citizen_id: t.citizenId, state: 'open', created_at: t.at, updated_at: t.at } as const;
    await this.ex.insertInto('call_tasks').values(task).onConflict((oc) => oc.column('task_id').doNothing()).execute();
    return t.messageId;
  }

  async pendingInvitations(campaignId: string, stepId: string, limit: number, contact?: ContactWindow): Promise<PendingInvitation[]> {
    let q = this.ex
      .selectFrom('messages as m')
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .select(['m.message_id as messageId', 'c.citizen_id as citizenId', 'c.phone', 'c.phone_type as phoneType', 'c.email', 'c.whatsapp_opt_in', 'c.opt_out', 'c.region', 'c.asl', 'c.municipality', 'c.doses', 'c.last_dose_date', 'c.deceased'])
      // A fallback attempt of the step is released as it comes due (dueMessages), with its appointment.
      .where('m.campaign_id', '=', campaignId).where('m.state', '=', 'pending').where('m.step_id', '=', stepId).where('m.fallback_of', 'is', null);
    // Citizens at their contact limit wait, in their place; those behind them go.
    if (contact) q = q.where(withinLimits(contact));
    const rows = await q.orderBy('m.seq').limit(limit).execute();
    return rows.map(({ opt_out, doses, last_dose_date, deceased, ...r }) => ({ ...r, optOut: opt_out === 1, eligibility: eligibilityOf({ doses, last_dose_date, region: r.region, deceased, opt_out }) }));
  }

  async dueMessages(campaignId: string, at: string, limit: number, contact?: ContactWindow): Promise<DueMessage[]> {
    let q = this.ex
      .selectFrom('messages as m')
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .leftJoin('appointments as a', 'a.appointment_id', 'm.appointment_id')
      .select(['m.message_id as messageId', 'm.citizen_id as citizenId', 'm.step_id as stepId', 'm.channel', 'c.phone', 'c.phone_type as phoneType', 'c.email', 'c.whatsapp_opt_in', 'c.opt_out', 'a.state as appointment', 'a.start_at as startAt'])
      .where('m.campaign_id', '=', campaignId).where('m.state', '=', 'pending').where('m.due_at', '<=', at);
    if (contact) q = q.where(withinLimits(contact));
    const rows = await q.orderBy('m.due_at').orderBy('m.seq').limit(limit).execute();
    return rows.map(({ opt_out, ...r }) => ({ ...r, channel: r.channel as Channel | null, optOut: opt_out === 1 }));
  }

  async failedAttempts(campaignId: string, limit: number): Promise<FailedAttempt[]> {
    const rows = await this.ex
      .selectFrom('messages as m')
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .leftJoin('appointments as a', 'a.appointment_id', 'm.appointment_id')
      .select([
        'm.message_id as messageId', 'm.campaign_id as campaignId', 'm.step_id as stepId', 'm.citizen_id as citizenId', 'm.seq', 'm.channel', 'm.state',
        'm.error_code as errorCode', 'm.appointment_id as appointmentId', 'm.fallback_depth as depth', 'c.phone', 'c.phone_type as phoneType', 'c.email', 'c.whatsapp_opt_in',
        'c.opt_out', 'c.region', 'c.doses', 'c.last_dose_date', 'c.deceased', 'a.state as appointment', 'a.start_at as startAt',
      ])
      .where('m.campaign_id', '=', campaignId).where('m.state', 'in', ['undelivered', 'failed']).where('m.fallback_state', 'is', null).where('m.appointment_id', 'is not', null)
      .orderBy('m.seq').limit(limit).execute();
    return rows.map(({ opt_out, doses, last_dose_date, deceased, region, ...r }) => ({
      ...r, channel: r.channel as Channel | null, appointmentId: r.appointmentId!, depth: Number(r.depth), optOut: opt_out === 1,
      eligibility: eligibilityOf({ doses, last_dose_date, region, deceased, opt_out }),
    }));
  }

  async settleFallbacks(decisions: readonly FallbackDecision[], at: string): Promise<number> {
    const made = decisions.filter((d) => d.kind === 'made');
    const inserted = await this.insert(made.map((d) => d.attempt));
    for (const d of decisions) {
      const set = d.kind === 'made' ? { fallback_state: 'made', fallback_id: d.attempt.messageId } : { fallback_state: d.reason };
      const moved = await this.ex.updateTable('messages').set({ ...set, updated_at: at }).where('message_id', '=', d.failedId).where('fallback_state', 'is', null).executeTakeFirst();
      // The chain ends: the slot its attempts held goes to the next citizen.
      if (d.kind === 'ended' && d.freeAppointment !== null && Number(moved.numUpdatedRows) === 1) await releaseAppointment(this.ex, d.freeAppointment, RECEIPT_RELEASES.undelivered!, at);
    }
    return inserted;
  }

  async queue(channel: Channel, items: readonly { readonly id: string; readonly token: string }[], at: string, withAppointment: boolean): Promise<string[]> {
    const tokens = sql.join(items.map((i) => sql`when ${i.id} then ${i.token}`), sql` `);
    const updated = await this.ex
      .updateTable('messages')
      .set({ state: 'queued', channel, link_token: sql`case message_id ${tokens} end`, ...(withAppointment ? { appointment_id: sql`message_id` } : {}), queued_at: at, updated_at: at })
      .where('message_id', 'in', items.map((i) => i.id)).where('state', '=', 'pending')
      .returning('message_id').execute();
    return updated.map((u) => u.message_id);
  }

  async finish(ids: readonly string[], how: Unsendable, at: string): Promise<void> {
    if (ids.length === 0) return;
    const set = how.state === 'failed' || how.state === 'skipped'
      ? { state: how.state, error_code: how.code, error_detail: FAILURES[how.code] }
      : how.state === 'cancelled' ? { state: how.state, error_detail: how.detail, ...('code' in how ? { error_code: how.code } : {}) } : { state: how.state };
    await this.ex.updateTable('messages').set({ ...set, final_at: at, updated_at: at }).where('message_id', 'in', ids).where('state', '=', 'pending').execute();
  }

  async insert(messages: readonly NewMessage[]): Promise<number> {
    const values = messages.map((m) => ({
      message_id: m.messageId, campaign_id: m.campaignId, step_id: m.stepId, citizen_id: m.citizenId, seq: m.seq, state: m.state, attempts: 0,
      appointment_id: m.appointmentId, due_at: m.dueAt, error_detail: m.errorDetail, final_at: m.finalAt, updated_at: m.at,
      channel: m.channel ?? null, fallback_of: m.fallbackOf ?? null, fallback_depth: m.fallbackDepth ?? 0,
    }));
    let n = 0;
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      const r = await this.ex.insertInto('messages').values(chunk).onConflict((oc) => oc.column('message_id').doNothing()).executeTakeFirst();
      n += Number(r.numInsertedOrUpdatedRows ?? chunk.length);
    }
    return n;
  }

  appointmentsWithout(campaignId: string, stepId: string, states: readonly AppointmentState[], fromDay: string, toDay: string, limit: number) {
    return this.ex
      .selectFrom('appointments as a')
      .innerJoin('messages as m', 'm.message_id', 'a.appointment_id')
      .select(['a.appointment_id as appointmentId', 'a.citizen_id as citizenId', 'a.day', 'a.start_at as startAt', 'm.seq'])
      .where('a.campaign_id', '=', campaignId).where('a.state', 'in', states).where('a.day', '>=', fromDay).where('a.day', '<=', toDay)
      .where(missing(campaignId, stepId)).limit(limit).execute();
  }

  async invitationsWithout(campaignId: string, inviteStepId: string, stepId: string, q: { states: readonly MessageState[]; sentBefore: string; appointmentBy: string; appointment: AppointmentState }, limit: number) {
    // Joined by the message's appointment, not its id: the attempt that reached the citizen may be a fallback.
    const rows = await this.ex
      .selectFrom('messages as a')
      .innerJoin('appointments as p', 'p.appointment_id', 'a.appointment_id')
      .select(['a.appointment_id as appointmentId', 'a.citizen_id as citizenId', 'a.seq', 'a.sent_at as sentAt', 'p.day', 'p.start_at as startAt'])
      .where('a.campaign_id', '=', campaignId).where('a.step_id', '=', inviteStepId).where('a.state', 'in', q.states).where('a.sent_at', 'is not', null)
      .where((eb) => eb.or([eb('a.sent_at', '<=', q.sentBefore), eb('p.day', '<=', q.appointmentBy)]))
      .where('p.state', '=', q.appointment).where(missing(campaignId, stepId)).orderBy('a.sent_at').limit(limit).execute();
    return rows.map((r) => ({ ...r, appointmentId: r.appointmentId!, sentAt: r.sentAt! }));
  }

  async staleQueued(before: string, limit: number): Promise<Released[]> {
    const rows = await this.ex.selectFrom('messages').select(['message_id', 'channel']).where('state', '=', 'queued').where('queued_at', '<', before).orderBy('queued_at').limit(limit).execute();
    return rows.filter((r) => r.channel !== null).map((r) => ({ messageId: r.message_id, channel: r.channel as Channel }));
  }

  async expireClaims(before: string, at: string): Promise<number> {
    const res = await this.ex
      .updateTable('messages')
      .set({ state: 'unknown', error_detail: 'the worker that claimed it stopped before recording the provider answer', final_at: at, updated_at: at })
      .where('state', '=', 'sending').where('claimed_at', '<', before).executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async unfinished(campaignId: string): Promise<Unfinished> {
    const rows = await this.ex.selectFrom('messages').select(['state', (eb) => eb.fn.countAll().as('n')]).where('campaign_id', '=', campaignId).where('state', 'in', OPEN_STATES).groupBy('state').execute();
    const tasks = await this.ex.selectFrom('call_tasks').select((eb) => eb.fn.countAll().as('n')).where('campaign_id', '=', campaignId).where('state', 'in', ACTIVE_TASK_STATES).executeTakeFirstOrThrow();
    // Attempts that did not reach the citizen and whose fallback the pacer has still to decide.
    const awaiting = await this.ex.selectFrom('messages').select((eb) => eb.fn.countAll().as('n'))
      .where('campaign_id', '=', campaignId).where('state', 'in', ['undelivered', 'failed']).where('fallback_state', 'is', null).where('appointment_id', 'is not', null)
      .executeTakeFirstOrThrow();
    const out = { pending: 0, queued: 0, sending: 0, callTasks: Number(tasks.n), awaitingFallback: Number(awaiting.n) };
    for (const r of rows) out[r.state as 'pending' | 'queued' | 'sending'] = Number(r.n);
    return out;
  }

  async cancelUnsent(campaignId: string, at: string): Promise<number> {
    return atomically(this.ex, this.dialect, async (trx) => {
      const res = await trx.updateTable('messages').set({ state: 'cancelled', final_at: at, updated_at: at }).where('campaign_id', '=', campaignId).where('state', 'in', UNSENT_STATES).executeTakeFirst();
      // Which slots go back: the port's rule (pacer/store.ts `cancelUnsent`), in the same transaction.
      const held = await trx.selectFrom('appointments').select('appointment_id').where('campaign_id', '=', campaignId).where('state', '=', 'held').execute();
      for (const a of held) await releaseAppointment(trx, a.appointment_id, 'cancelled', at);
      return Number(res.numUpdatedRows);
    });
  }

  async latestImport(): Promise<string | null> {
    const r = await this.ex.selectFrom('registry_imports').select('run').orderBy('run', 'desc').limit(1).executeTakeFirst();
    return r?.run ?? null;
  }

  eligibilityCandidates(campaignId: string, day: string, after: string, limit: number): Promise<EligibilityCandidate[]> {
    return eligibilityCandidates(this.ex, campaignId, day, after, limit);
  }

  endIneligible(campaignId: string, citizens: readonly IneligibleCitizen[], day: string, at: string): Promise<number> {
    return endIneligible(this.ex, this.dialect, campaignId, citizens, day, at);
  }

  async statusCounts(campaignId?: string): Promise<StatusRow[]> {
    const columns = ['campaign_id', 'step_id', 'channel', 'state'] as const;
    let q = this.ex.selectFrom('messages').select([...columns, (eb) => eb.fn.countAll().as('n')]).groupBy([...columns]).orderBy('campaign_id').orderBy('step_id').orderBy('channel').orderBy('state');
    if (campaignId) q = q.where('campaign_id', '=', campaignId);
    return (await q.execute()).map((r) => ({ campaignId: r.campaign_id, stepId: r.step_id, channel: r.channel, state: r.state, count: Number(r.n) }));
  }

  async fallbackCounts(campaignId?: string): Promise<FallbackRow[]> {
    // The links: each fallback attempt with the channel of the attempt it follows.
    let links = this.ex
      .selectFrom('messages as f')
      .innerJoin('messages as p', 'p.message_id', 'f.fallback_of')
      .select(['f.campaign_id', 'f.step_id', 'p.channel as from', 'f.channel as to', 'f.state', (eb) => eb.fn.countAll().as('n')])
      .groupBy(['f.campaign_id', 'f.step_id', 'p.channel', 'f.channel', 'f.state']);
    // The ends: attempts after which no fallback was made, and why.
    let ends = this.ex
      .selectFrom('messages')
      .select(['campaign_id', 'step_id', 'channel', 'fallback_state', (eb) => eb.fn.countAll().as('n')])
      .where('fallback_state', 'is not', null).where('fallback_state', '<>', 'made')
      .groupBy(['campaign_id', 'step_id', 'channel', 'fallback_state']);
    if (campaignId) {
      links = links.where('f.campaign_id', '=', campaignId);
      ends = ends.where('campaign_id', '=', campaignId);
    }
    const made = (await links.execute()).map((r) => ({ campaignId: r.campaign_id, stepId: r.step_id, from: r.from, to: r.to, outcome: r.state, count: Number(r.n) }));
    const ended = (await ends.execute()).map((r) => ({ campaignId: r.campaign_id, stepId: r.step_id, from: r.channel, to: null, outcome: r.fallback_state ?? 'none', count: Number(r.n) }));
    return [...made, ...ended];
  }
}

/**
 * No message of the step for the row's citizen yet. The builder is the query's this predicate
 * joins (appointments or messages as `a`): its tables are named by alias, which Kysely's
 * Database type cannot spell here.
 */
function missing(campaignId: string, stepId: string) {
  const key = sql<string>`${messageKeyPrefix(campaignId, stepId)} || a.citizen_id`;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return ({ not, exists, selectFrom }: ExpressionBuilder<any, any>) => not(exists(selectFrom('messages as r').select('r.message_id').whereRef('r.message_id', '=', key)));
}
