/**
 * The call desk's store, one set of statements for SQLite and PostgreSQL.
 *
 * A task goes to one operator only because leasing is one conditional UPDATE that applies only
 * while the task is still free; the pick and the lease also run in one transaction that holds
 * the write lock from its first statement on SQLite (BEGIN IMMEDIATE, see `atomically`) and
 * locks the candidate rows `for update skip locked` on PostgreSQL, so concurrent operators take
 * different tasks instead of queueing behind the same one. An end of call (the task, the
 * attempt, the do-not-call mark, the appointment) is one transaction too. Which task comes next,
 * who is never called and what an end of call does to the appointment are the desk's rules
 * (src/desk/rules.ts): the statements here take their parameters from there.
 */
import { type ExpressionBuilder, type Selectable, sql } from 'kysely';
import { storedCampaign } from '../campaigns/stored.js';
import { ACTIVE_TASK_STATES, ADOPTION, appointmentSteps, barredReason, LIST_ORDER, NEXT_CALL, parseAnswers, placeGone } from '../desk/rules.js';
import type { AppointmentAction, Completion, DeskCampaign, DeskCitizen, DeskStore, NextQuery, StatsRows } from '../desk/store.js';
import type { CallAttempt, CallTask, CardAppointment, CardMessage, CardResponse, ListFilter, TaskState } from '../desk/types.js';
import type { CenterInfo, CitizenPlace } from '../pacer/appointments.js';
import { appointmentCard, attemptsOf, citizenCard, deskStats, messagesOf, messageStep, responsesOf } from './desk-reads.js';
import type { Dialect } from './open.js';
import type { CallTasksTable } from './schema.js';
import { KyselyOperatorStore } from './operators.js';
import { candidateCenters, confirmAppointment, reclaimAppointment, rebookAppointment, releaseAppointment } from './slots.js';
import { atomically, type Executor } from './unit-of-work.js';

/** The columns behind the desk's ordering keys. */
const COLUMN = { campaignId: 'campaign_id', priority: 'priority', seq: 'seq', taskId: 'task_id' } as const satisfies Partial<Record<keyof CallTask, keyof CallTasksTable>>;

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

/** `DeskStore` over Kysely: the operators (`KyselyOperatorStore`), the campaigns as the desk reads them, the tasks and the card. */
export class KyselyDeskStore extends KyselyOperatorStore implements DeskStore {
  async campaigns(): Promise<DeskCampaign[]> {
    const rows = await this.db.selectFrom('campaigns').select(['campaign_id', 'status', 'definition']).orderBy('campaign_id').execute();
    return rows.map((r) => ({ campaignId: r.campaign_id, status: r.status, definition: storedCampaign(r.campaign_id, r.definition) }));
  }

  async campaign(campaignId: string): Promise<DeskCampaign | null> {
    const r = await this.db.selectFrom('campaigns').select(['campaign_id', 'status', 'definition']).where('campaign_id', '=', campaignId).executeTakeFirst();
    return r ? { campaignId: r.campaign_id, status: r.status, definition: storedCampaign(r.campaign_id, r.definition) } : null;
  }

  // ── tasks ──────────────────────────────────────────────────────────────────────────────

  async adoptNewTasks(priorities: ReadonlyMap<string, number>): Promise<number> {
    const fresh = await this.db.selectFrom('call_tasks').select('campaign_id').distinct().where('seq', 'is', null).execute();
    let adopted = 0;
    for (const { campaign_id } of fresh) {
      const r = await this.db
        .updateTable('call_tasks')
        .set((eb) => ({
          seq: eb.fn.coalesce(eb.selectFrom('messages').select('messages.seq').whereRef('messages.message_id', '=', 'call_tasks.message_id'), sql<number>`${ADOPTION.lastSeq}`),
          language: eb.selectFrom('citizens').select('citizens.language').whereRef('citizens.citizen_id', '=', 'call_tasks.citizen_id'),
          priority: priorities.get(campaign_id) ?? ADOPTION.defaultPriority,
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
      for (let step = 0; step < NEXT_CALL.maxSteps; step++) {
        const c = await trx
          .selectFrom('call_tasks as t')
          .innerJoin('citizens as c', 'c.citizen_id', 't.citizen_id')
          .select(['t.task_id', 'c.opt_out', 'c.do_not_call_at'])
          .where('t.campaign_id', 'in', q.campaignIds)
          .where('t.language', 'in', q.languages)
          .where((eb) => free(eb, q))
          .orderBy(sql`case when t.callback_operator = ${q.operatorId} then 0 when t.last_disposition = ${NEXT_CALL.callback} then 1 else 2 end`)
          .$call((s) => NEXT_CALL.then.reduce((o, key) => o.orderBy(`t.${COLUMN[key]}`), s))
          .limit(1)
          .$if(this.dialect === 'postgres', (s) => s.forUpdate('t').skipLocked())
          .executeTakeFirst();
        if (!c) return null;
        const barred = barredReason({ optedOut: Number(c.opt_out) === 1, doNotCallAt: c.do_not_call_at ?? null });
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
      .$call((s) => LIST_ORDER.reduce((o, key) => o.orderBy(COLUMN[key]), s))
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
        .where('last_disposition', '=', NEXT_CALL.callback)
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

  async activeTasks(horizon: string, campaignIds: readonly string[]): Promise<number> {
    if (campaignIds.length === 0) return 0;
    const r = await this.db
      .selectFrom('call_tasks')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('campaign_id', 'in', campaignIds)
      .where('state', 'in', ACTIVE_TASK_STATES)
      .where((eb) => eb.or([eb('due_at', 'is', null), eb('due_at', '<=', horizon)]))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  // ── the card and the figures ───────────────────────────────────────────────────────

  citizen(citizenId: string): Promise<DeskCitizen | null> { return citizenCard(this.db, citizenId); }
  appointment(appointmentId: string): Promise<CardAppointment | null> { return appointmentCard(this.db, appointmentId); }
  candidateCenters(citizen: CitizenPlace): Promise<CenterInfo[]> { return candidateCenters(this.db, citizen); }
  messagesOf(citizenId: string): Promise<CardMessage[]> { return messagesOf(this.db, citizenId); }
  responsesOf(citizenId: string): Promise<CardResponse[]> { return responsesOf(this.db, citizenId); }
  attemptsOf(citizenId: string): Promise<CallAttempt[]> { return attemptsOf(this.db, citizenId); }
  messageStep(messageId: string): Promise<{ stepId: string; linkToken: string | null } | null> { return messageStep(this.db, messageId); }
  stats(now: string, since: string): Promise<StatsRows> { return deskStats(this.db, now, since); }
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

/** The desk's appointment steps for an end of call (see `appointmentSteps`), in the completion's transaction. */
async function applyAppointment(trx: Executor, dialect: Dialect, a: AppointmentAction, now: string): Promise<void> {
  const current = await trx.selectFrom('appointments').select(['state']).where('appointment_id', '=', a.appointmentId).executeTakeFirst();
  for (const s of appointmentSteps(a, current?.state ?? null)) {
    if (s.step === 'release') await releaseAppointment(trx, a.appointmentId, s.reason, now);
    else if (s.step === 'rebook') await rebookAppointment(trx, dialect, a.appointmentId, s.request);
    else if (s.step === 'reclaim') {
      if (!(await reclaimAppointment(trx, a.appointmentId, now))) throw placeGone(a.appointmentId);
    } else await confirmAppointment(trx, a.appointmentId, now);
  }
}
