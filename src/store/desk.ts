/**
 * The call desk's store, one set of statements for SQLite and PostgreSQL.
 *
 * A task goes to one operator only because leasing is one conditional UPDATE that applies only
 * while the task is still free; the pick and the lease also run in one transaction that holds
 * the write lock from its first statement on SQLite (BEGIN IMMEDIATE, see `atomically`) and
 * locks the candidate rows `for update skip locked` on PostgreSQL, so concurrent operators take
 * different tasks instead of queueing behind the same one. An end of call (the task, the
 * attempt, the do-not-call mark, the appointment) is one transaction too.
 */
import { type ExpressionBuilder, type Kysely, type Selectable, sql } from 'kysely';
import type { Campaign } from '../campaigns/schema.js';
import { campaignSchema } from '../campaigns/schema.js';
import { InvitoError } from '../core/errors.js';
import type { AppointmentAction, Completion, DeskCampaign, DeskCitizen, DeskStore, NextQuery, OperatorRecord, SignInAttempt, SignInGate, StatsRows } from '../desk/store.js';
import type { CallAttempt, CallTask, CardAppointment, CardMessage, CardResponse, ClosedReason, Disposition, ListFilter, OperatorRole, TaskState } from '../desk/types.js';
import type { CenterInfo, CitizenPlace } from '../pacer/appointments.js';
import type { Dialect } from './open.js';
import type { CallTasksTable, Database } from './schema.js';
import type { CallAttemptsTable, OperatorsTable } from './schema-desk.js';
import { candidateCenters, confirmAppointment, reclaimAppointment, rebookAppointment, releaseAppointment } from './slots.js';
import { atomically, type Executor } from './unit-of-work.js';

/** Tasks one pick may close (opted out, do not call) or lose to another operator before it gives up for now. */
const MAX_STEPS = 200;

const parseAnswers = (text: string | null): Record<string, string> => {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
};

const toTask = (r: Selectable<CallTasksTable>): CallTask => ({
  taskId: r.task_id,
  messageId: r.message_id,
  campaignId: r.campaign_id,
  citizenId: r.citizen_id,
  state: r.state as TaskState,
  language: r.language,
  seq: r.seq === null ? null : Number(r.seq),
  priority: r.priority === null ? null : Number(r.priority),
  dueAt: r.due_at,
  leaseOperator: r.lease_operator,
  leaseUntil: r.lease_until,
  attempts: Number(r.attempts),
  callbackOperator: r.callback_operator,
  lastDisposition: r.last_disposition,
  closedReason: r.closed_reason,
  answers: parseAnswers(r.answers),
  triage: Number(r.triage) === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toAttempt = (r: Selectable<CallAttemptsTable>): CallAttempt => ({
  attemptId: r.attempt_id,
  taskId: r.task_id,
  campaignId: r.campaign_id,
  operatorId: r.operator_id,
  disposition: r.disposition,
  answers: parseAnswers(r.answers),
  note: r.note,
  callbackAt: r.callback_at,
  at: r.at,
});

const toOperator = (r: Selectable<OperatorsTable>): OperatorRecord => ({
  operatorId: r.operator_id,
  name: r.display_name,
  languages: r.languages.split(',').filter(Boolean),
  role: r.role,
  disabled: Number(r.disabled) === 1,
  hasPassword: r.password_hash !== null,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  lockedUntil: r.locked_until,
});

export class KyselyDeskStore implements DeskStore {
  /** Parsed definitions by campaign id and JSON text: each campaign is parsed once per process. */
  private readonly definitions = new Map<string, { text: string; campaign: Campaign }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  // ── operators ──────────────────────────────────────────────────────────────────────────

  async insertOperator(o: { operatorId: string; name: string; languages: readonly string[]; role: OperatorRole; passwordHash: string | null; at: string }): Promise<boolean> {
    const r = await this.db
      .insertInto('operators')
      .values({ operator_id: o.operatorId, display_name: o.name, languages: o.languages.join(','), role: o.role, password_hash: o.passwordHash, disabled: 0, created_at: o.at, last_seen_at: null })
      .onConflict((oc) => oc.column('operator_id').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async operator(operatorId: string): Promise<OperatorRecord | null> {
    const r = await this.db.selectFrom('operators').selectAll().where('operator_id', '=', operatorId).executeTakeFirst();
    return r ? toOperator(r) : null;
  }

  async operators(): Promise<OperatorRecord[]> {
    return (await this.db.selectFrom('operators').selectAll().orderBy('operator_id').execute()).map(toOperator);
  }

  async setOperatorDisabled(operatorId: string, disabled: boolean): Promise<boolean> {
    const r = await this.db.updateTable('operators').set({ disabled: disabled ? 1 : 0 }).where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setOperatorPassword(operatorId: string, passwordHash: string): Promise<boolean> {
    const r = await this.db.updateTable('operators').set({ password_hash: passwordHash }).where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async touchOperator(operatorId: string, at: string): Promise<void> {
    // Only forward: a request answered late must not make the operator look idle.
    await this.db
      .updateTable('operators')
      .set({ last_seen_at: at })
      .where('operator_id', '=', operatorId)
      .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', at)]))
      .execute();
  }

  async beginSignIn(operatorId: string, a: SignInAttempt): Promise<SignInGate> {
    return atomically(this.db, this.dialect, async (trx) => {
      const r = await trx
        .selectFrom('operators')
        .select(['failed_sign_ins', 'failed_since', 'locked_until'])
        .where('operator_id', '=', operatorId)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!r) return { known: false, allowed: true, lockedUntil: null };
      if (r.locked_until !== null && r.locked_until > a.now) return { known: true, allowed: false, lockedUntil: r.locked_until };
      // A lock that has ended leaves a fresh count: the operator gets their attempts back.
      const fresh = r.locked_until !== null || r.failed_since === null || r.failed_since < a.windowStart;
      const failures = fresh ? 1 : Number(r.failed_sign_ins) + 1;
      const lockedUntil = failures >= a.maxFailures ? a.lockUntil : null;
      await trx
        .updateTable('operators')
        .set({ failed_sign_ins: failures, failed_since: fresh ? a.now : r.failed_since, locked_until: lockedUntil })
        .where('operator_id', '=', operatorId)
        .execute();
      return { known: true, allowed: true, lockedUntil };
    });
  }

  async clearSignInFailures(operatorId: string): Promise<void> {
    await this.db.updateTable('operators').set({ failed_sign_ins: 0, failed_since: null, locked_until: null }).where('operator_id', '=', operatorId).execute();
  }

  async unlockOperator(operatorId: string): Promise<boolean> {
    const r = await this.db.updateTable('operators').set({ failed_sign_ins: 0, failed_since: null, locked_until: null }).where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async onShift(since: string): Promise<number> {
    const r = await this.db
      .selectFrom('operators')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('disabled', '=', 0)
      .where('last_seen_at', '>=', since)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  // ── campaigns ──────────────────────────────────────────────────────────────────────────

  private definition(id: string, text: string): Campaign {
    const cached = this.definitions.get(id);
    if (cached && cached.text === text) return cached.campaign;
    // Through the schema again: keys added since the launch (the desk's `calls`) get their defaults.
    const campaign = campaignSchema.parse(JSON.parse(text));
    this.definitions.set(id, { text, campaign });
    return campaign;
  }

  async campaigns(): Promise<DeskCampaign[]> {
    const rows = await this.db.selectFrom('campaigns').select(['campaign_id', 'status', 'definition']).orderBy('campaign_id').execute();
    return rows.map((r) => ({ campaignId: r.campaign_id, status: r.status, definition: this.definition(r.campaign_id, r.definition) }));
  }

  async campaign(campaignId: string): Promise<DeskCampaign | null> {
    const r = await this.db.selectFrom('campaigns').select(['campaign_id', 'status', 'definition']).where('campaign_id', '=', campaignId).executeTakeFirst();
    return r ? { campaignId: r.campaign_id, status: r.status, definition: this.definition(r.campaign_id, r.definition) } : null;
  }

  // ── tasks ──────────────────────────────────────────────────────────────────────────────

  async adoptNewTasks(priorities: ReadonlyMap<string, number>): Promise<number> {
    const fresh = await this.db.selectFrom('call_tasks').select('campaign_id').distinct().where('seq', 'is', null).execute();
    let adopted = 0;
    for (const { campaign_id } of fresh) {
      const r = await this.db
        .updateTable('call_tasks')
        .set((eb) => ({
          // A task without its message (made by hand) goes last in its campaign.
          seq: eb.fn.coalesce(eb.selectFrom('messages').select('messages.seq').whereRef('messages.message_id', '=', 'call_tasks.message_id'), sql<number>`${2 ** 31 - 1}`),
          language: eb.selectFrom('citizens').select('citizens.language').whereRef('citizens.citizen_id', '=', 'call_tasks.citizen_id'),
          priority: priorities.get(campaign_id) ?? 1,
        }))
        .where('seq', 'is', null)
        .where('campaign_id', '=', campaign_id)
        .executeTakeFirst();
      adopted += Number(r.numUpdatedRows);
    }
    return adopted;
  }

  async heldTask(operatorId: string): Promise<CallTask | null> {
    const r = await this.db
      .selectFrom('call_tasks')
      .selectAll()
      .where('lease_operator', '=', operatorId)
      .where('state', '=', 'leased')
      .orderBy('lease_until')
      .orderBy('task_id')
      .executeTakeFirst();
    return r ? toTask(r) : null;
  }

  async renewLease(taskId: string, operatorId: string, until: string, now: string): Promise<boolean> {
    const r = await this.db
      .updateTable('call_tasks')
      .set({ lease_until: until, updated_at: now })
      .where('task_id', '=', taskId)
      .where('state', '=', 'leased')
      .where('lease_operator', '=', operatorId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async leaseNext(q: NextQuery): Promise<CallTask | null> {
    if (q.campaignIds.length === 0 || q.languages.length === 0) return null;
    return atomically(this.db, this.dialect, async (trx) => {
      // One row at a time: a locked row stays locked until commit, and locking a batch would hide
      // the whole batch from the operators asking at the same moment.
      for (let step = 0; step < MAX_STEPS; step++) {
        const c = await trx
          .selectFrom('call_tasks as t')
          .innerJoin('citizens as c', 'c.citizen_id', 't.citizen_id')
          .select(['t.task_id', 'c.opt_out', 'c.do_not_call_at'])
          .where('t.campaign_id', 'in', q.campaignIds)
          .where('t.language', 'in', q.languages)
          .where((eb) => free(eb, q))
          .orderBy(sql`case when t.callback_operator = ${q.operatorId} then 0 when t.last_disposition = 'callback' then 1 else 2 end`)
          .orderBy('t.priority')
          .orderBy('t.seq')
          .orderBy('t.task_id')
          .limit(1)
          .$if(this.dialect === 'postgres', (s) => s.forUpdate('t').skipLocked())
          .executeTakeFirst();
        if (!c) return null;
        const barred: ClosedReason | null = c.do_not_call_at ? 'do_not_call' : Number(c.opt_out) === 1 ? 'opted_out' : null;
        if (barred) {
          await trx
            .updateTable('call_tasks')
            .set({ state: 'closed', closed_reason: barred, lease_operator: null, lease_until: null, updated_at: q.now })
            .where('task_id', '=', c.task_id)
            .where('state', '!=', 'closed')
            .execute();
          continue;
        }
        const leased = await trx
          .updateTable('call_tasks as t')
          .set({ state: 'leased', lease_operator: q.operatorId, lease_until: q.leaseUntil, updated_at: q.now })
          .where('t.task_id', '=', c.task_id)
          .where((eb) => free(eb, q))
          .returningAll()
          .executeTakeFirst();
        if (leased) return toTask(leased);
      }
      return null;
    });
  }

  async task(taskId: string): Promise<CallTask | null> {
    const r = await this.db.selectFrom('call_tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
    return r ? toTask(r) : null;
  }

  async tasks(f: ListFilter): Promise<CallTask[]> {
    const rows = await this.db
      .selectFrom('call_tasks')
      .selectAll()
      .$if(f.campaignId !== undefined, (s) => s.where('campaign_id', '=', f.campaignId!))
      .$if(f.state !== undefined, (s) => s.where('state', '=', f.state!))
      .$if(f.operatorId !== undefined, (s) => s.where((eb) => eb.or([eb('lease_operator', '=', f.operatorId!), eb('callback_operator', '=', f.operatorId!)])))
      .$if(f.triage === true, (s) => s.where('triage', '=', 1))
      .orderBy('campaign_id')
      .orderBy('priority')
      .orderBy('seq')
      .orderBy('task_id')
      .limit(f.limit ?? 500)
      .execute();
    return rows.map(toTask);
  }

  async complete(c: Completion): Promise<boolean> {
    return atomically(this.db, this.dialect, async (trx) => {
      const moved = await trx
        .updateTable('call_tasks')
        .set({
          state: c.state,
          due_at: c.dueAt,
          callback_operator: c.callbackOperator,
          closed_reason: c.closedReason,
          last_disposition: c.disposition,
          answers: JSON.stringify(c.answers),
          triage: c.triage ? 1 : 0,
          attempts: c.attemptsBefore + 1,
          lease_operator: null,
          lease_until: null,
          updated_at: c.now,
        })
        .where('task_id', '=', c.taskId)
        .where('state', '=', 'leased')
        .where('lease_operator', '=', c.operatorId)
        .where('attempts', '=', c.attemptsBefore)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return false;
      const a = c.attempt;
      await trx
        .insertInto('call_attempts')
        .values({
          attempt_id: a.attemptId, task_id: a.taskId, campaign_id: a.campaignId, citizen_id: c.citizenId,
          operator_id: a.operatorId, disposition: a.disposition, answers: JSON.stringify(a.answers), note: a.note, callback_at: a.callbackAt, at: c.now,
        })
        .execute();
      if (c.doNotCall) await barCitizen(trx, c.citizenId, c.now);
      if (c.appointment) await applyAppointment(trx, this.dialect, c.appointment, c.now);
      return true;
    });
  }

  async release(taskId: string, now: string): Promise<boolean> {
    const r = await this.db
      .updateTable('call_tasks')
      .set({ state: 'open', lease_operator: null, lease_until: null, updated_at: now })
      .where('task_id', '=', taskId)
      .where('state', '=', 'leased')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async reassign(taskId: string, operatorId: string, until: string, now: string): Promise<boolean> {
    return atomically(this.db, this.dialect, async (trx) => {
      // A callback not yet due stays a callback, now for the new operator; anything else is theirs at once.
      const callback = await trx
        .updateTable('call_tasks')
        .set({ callback_operator: operatorId, updated_at: now })
        .where('task_id', '=', taskId)
        .where('state', '=', 'open')
        .where('last_disposition', '=', 'callback')
        .where('due_at', '>', now)
        .executeTakeFirst();
      if (Number(callback.numUpdatedRows) === 1) return true;
      const r = await trx
        .updateTable('call_tasks')
        .set({ state: 'leased', lease_operator: operatorId, lease_until: until, callback_operator: null, updated_at: now })
        .where('task_id', '=', taskId)
        .where('state', '!=', 'closed')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    });
  }

  async activeTasks(horizon: string): Promise<number> {
    const r = await this.db
      .selectFrom('call_tasks')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('state', 'in', ['open', 'leased'])
      .where((eb) => eb.or([eb('due_at', 'is', null), eb('due_at', '<=', horizon)]))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  // ── the card ───────────────────────────────────────────────────────────────────────────

  async citizen(citizenId: string): Promise<DeskCitizen | null> {
    const r = await this.db
      .selectFrom('citizens')
      .select(['citizen_id', 'given_name', 'family_name', 'birth_date', 'sex', 'language', 'phone', 'email', 'region', 'asl', 'municipality', 'opt_out', 'do_not_call_at'])
      .where('citizen_id', '=', citizenId)
      .executeTakeFirst();
    return r ? { ...r, opt_out: Number(r.opt_out) === 1, doNotCallAt: r.do_not_call_at ?? null } : null;
  }

  async appointment(appointmentId: string): Promise<CardAppointment | null> {
    const r = await this.db
      .selectFrom('appointments as a')
      .leftJoin('centers as k', 'k.center_id', 'a.center_id')
      .select(['a.appointment_id', 'a.state', 'a.start_at', 'a.center_id', 'k.name', 'k.address', 'k.municipality'])
      .where('a.appointment_id', '=', appointmentId)
      .executeTakeFirst();
    return r
      ? { appointmentId: r.appointment_id, state: r.state, start: r.start_at, centerId: r.center_id, centerName: r.name, centerAddress: r.address, centerMunicipality: r.municipality }
      : null;
  }

  async candidateCenters(citizen: CitizenPlace): Promise<CenterInfo[]> {
    return candidateCenters(this.db, citizen);
  }

  async messagesOf(citizenId: string): Promise<CardMessage[]> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['message_id', 'campaign_id', 'step_id', 'channel', 'state', 'sent_at', 'updated_at'])
      .where('citizen_id', '=', citizenId)
      .orderBy('updated_at')
      .orderBy('message_id')
      .execute();
    return rows.map((r) => ({ messageId: r.message_id, campaignId: r.campaign_id, stepId: r.step_id, channel: r.channel, state: r.state, sentAt: r.sent_at, updatedAt: r.updated_at }));
  }

  async responsesOf(citizenId: string): Promise<CardResponse[]> {
    const rows = await this.db.selectFrom('responses').select(['kind', 'channel', 'received_at']).where('citizen_id', '=', citizenId).orderBy('received_at').execute();
    return rows.map((r) => ({ kind: r.kind, channel: r.channel, receivedAt: r.received_at }));
  }

  async attemptsOf(citizenId: string): Promise<CallAttempt[]> {
    return (await this.db.selectFrom('call_attempts').selectAll().where('citizen_id', '=', citizenId).orderBy('at').orderBy('attempt_id').execute()).map(toAttempt);
  }

  async messageStep(messageId: string): Promise<{ stepId: string; linkToken: string | null } | null> {
    const r = await this.db.selectFrom('messages').select(['step_id', 'link_token']).where('message_id', '=', messageId).executeTakeFirst();
    return r ? { stepId: r.step_id, linkToken: r.link_token } : null;
  }

  // ── figures ────────────────────────────────────────────────────────────────────────────

  async stats(now: string, since: string): Promise<StatsRows> {
    const due = sql<number>`case when due_at is null or due_at <= ${now} then 1 else 0 end`;
    const lists = await this.db
      .selectFrom('call_tasks')
      .select(['campaign_id', 'state', due.as('due'), (eb) => eb.fn.countAll().as('n')])
      .where('state', '!=', 'closed')
      // By the output name: the expression's parameter would make it a different one to PostgreSQL.
      .groupBy(['campaign_id', 'state', sql.ref('due')])
      .execute();
    const closed = await this.db
      .selectFrom('call_tasks')
      .select(['campaign_id', 'closed_reason', (eb) => eb.fn.countAll().as('n')])
      .where('state', '=', 'closed')
      .groupBy(['campaign_id', 'closed_reason'])
      .execute();
    const hour = sql<string>`substr(at, 1, 13)`;
    const hourly = await this.db
      .selectFrom('call_attempts')
      .select([hour.as('hour'), (eb) => eb.fn.countAll().as('n')])
      .where('at', '>=', since)
      .groupBy(hour)
      .orderBy(hour)
      .execute();
    const outcomes = await this.db
      .selectFrom('call_attempts')
      .select(['campaign_id', 'operator_id', 'disposition', (eb) => eb.fn.countAll().as('n')])
      .groupBy(['campaign_id', 'operator_id', 'disposition'])
      .execute();
    const triage = await this.db.selectFrom('call_tasks').select((eb) => eb.fn.countAll().as('n')).where('triage', '=', 1).executeTakeFirst();
    return {
      lists: lists.map((r) => ({ campaignId: r.campaign_id, state: r.state, due: Number(r.due) === 1, n: Number(r.n) })),
      closed: closed.map((r) => ({ campaignId: r.campaign_id, reason: r.closed_reason, n: Number(r.n) })),
      hourly: hourly.map((r) => ({ hour: r.hour, n: Number(r.n) })),
      outcomes: outcomes.map((r) => ({ campaignId: r.campaign_id, operatorId: r.operator_id, disposition: r.disposition as Disposition, n: Number(r.n) })),
      triage: Number(triage?.n ?? 0),
    };
  }
}

/**
 * A task the operator may take now: open and due (a personal callback only for its operator),
 * or leased with its lease run out. The same condition picks and leases, so a task changed
 * between the two is not taken.
 */
function free(eb: ExpressionBuilder<{ t: CallTasksTable }, 't'>, q: NextQuery) {
  return eb.and([
    eb.or([eb('t.callback_operator', 'is', null), eb('t.callback_operator', '=', q.operatorId)]),
    eb.or([
      eb.and([eb('t.state', '=', 'open'), eb.or([eb('t.due_at', 'is', null), eb('t.due_at', '<=', q.now)])]),
      eb.and([eb('t.state', '=', 'leased'), eb('t.lease_until', '<=', q.now)]),
    ]),
  ]);
}

/** Do not call: the citizen's mark, and every other task of theirs (any campaign) closed. */
async function barCitizen(trx: Executor, citizenId: string, now: string): Promise<void> {
  await trx.updateTable('citizens').set({ do_not_call_at: now }).where('citizen_id', '=', citizenId).where('do_not_call_at', 'is', null).execute();
  await trx
    .updateTable('call_tasks')
    .set({ state: 'closed', closed_reason: 'do_not_call', lease_operator: null, lease_until: null, updated_at: now })
    .where('citizen_id', '=', citizenId)
    .where('state', '!=', 'closed')
    .execute();
}

async function applyAppointment(trx: Executor, dialect: Dialect, a: AppointmentAction, now: string): Promise<void> {
  const exists = await trx.selectFrom('appointments').select(['state']).where('appointment_id', '=', a.appointmentId).executeTakeFirst();
  // A campaign without centres has no appointments: the outcome is the call's alone.
  if (!exists) return;
  if (a.kind === 'release') {
    await releaseAppointment(trx, a.appointmentId, a.reason, now);
    return;
  }
  if (a.kind === 'rebook') await rebookAppointment(trx, dialect, a.appointmentId, a.request);
  else if (exists.state === 'released' && !(await reclaimAppointment(trx, a.appointmentId, now))) {
    throw new InvitoError('APPOINTMENT_STATE', `appointment ${a.appointmentId} was released and its place is gone: book another slot`);
  }
  await confirmAppointment(trx, a.appointmentId, now);
}
