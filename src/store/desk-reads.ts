/**
 * What the desk reads and never writes: the citizen's card during a call (the citizen, the
 * appointment offered, every message, reply and earlier call) and the desk's figures.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import { parseAnswers } from '../desk/rules.js';
import type { DeskCitizen, StatsRows } from '../desk/store.js';
import type { CallAttempt, CardAppointment, CardMessage, CardResponse, Disposition } from '../desk/types.js';
import type { Database } from './schema.js';
import type { CallAttemptsTable } from './schema-desk.js';

type Db = Kysely<Database>;

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

export async function citizenCard(db: Db, citizenId: string): Promise<DeskCitizen | null> {
  const r = await db
    .selectFrom('citizens')
    .select(['citizen_id', 'given_name', 'family_name', 'birth_date', 'sex', 'language', 'phone', 'email', 'region', 'asl', 'municipality', 'opt_out', 'do_not_call_at'])
    .where('citizen_id', '=', citizenId)
    .executeTakeFirst();
  return r ? { ...r, opt_out: Number(r.opt_out) === 1, doNotCallAt: r.do_not_call_at ?? null } : null;
}

export async function appointmentCard(db: Db, appointmentId: string): Promise<CardAppointment | null> {
  const r = await db
    .selectFrom('appointments as a')
    .leftJoin('centers as k', 'k.center_id', 'a.center_id')
    .select(['a.appointment_id', 'a.state', 'a.start_at', 'a.center_id', 'k.name', 'k.address', 'k.municipality'])
    .where('a.appointment_id', '=', appointmentId)
    .executeTakeFirst();
  return r
    ? { appointmentId: r.appointment_id, state: r.state, start: r.start_at, centerId: r.center_id, centerName: r.name, centerAddress: r.address, centerMunicipality: r.municipality }
    : null;
}

export async function messagesOf(db: Db, citizenId: string): Promise<CardMessage[]> {
  const rows = await db
    .selectFrom('messages')
    .select(['message_id', 'campaign_id', 'step_id', 'channel', 'state', 'error_code', 'fallback_of', 'sent_at', 'updated_at'])
    .where('citizen_id', '=', citizenId)
    .orderBy('updated_at')
    .orderBy('message_id')
    .execute();
  return rows.map((r) => ({ messageId: r.message_id, campaignId: r.campaign_id, stepId: r.step_id, channel: r.channel, state: r.state, errorCode: r.error_code, fallback: r.fallback_of !== null, sentAt: r.sent_at, updatedAt: r.updated_at }));
}

export async function responsesOf(db: Db, citizenId: string): Promise<CardResponse[]> {
  const rows = await db.selectFrom('responses').select(['kind', 'channel', 'received_at']).where('citizen_id', '=', citizenId).orderBy('received_at').execute();
  return rows.map((r) => ({ kind: r.kind, channel: r.channel, receivedAt: r.received_at }));
}

export async function attemptsOf(db: Db, citizenId: string): Promise<CallAttempt[]> {
  return (await db.selectFrom('call_attempts').selectAll().where('citizen_id', '=', citizenId).orderBy('at').orderBy('attempt_id').execute()).map(toAttempt);
}

export async function messageStep(db: Db, messageId: string): Promise<{ stepId: string; linkToken: string | null } | null> {
  const r = await db.selectFrom('messages').select(['step_id', 'link_token']).where('message_id', '=', messageId).executeTakeFirst();
  return r ? { stepId: r.step_id, linkToken: r.link_token } : null;
}

export async function deskStats(db: Db, now: string, since: string): Promise<StatsRows> {
  const due = sql<number>`case when due_at is null or due_at <= ${now} then 1 else 0 end`;
  const lists = await db
    .selectFrom('call_tasks')
    .select(['campaign_id', 'state', due.as('due'), (eb) => eb.fn.countAll().as('n')])
    .where('state', '!=', 'closed')
    // By the output name: the expression's parameter would make it a different one to PostgreSQL.
    .groupBy(['campaign_id', 'state', sql.ref('due')])
    .execute();
  const closed = await db
    .selectFrom('call_tasks')
    .select(['campaign_id', 'closed_reason', (eb) => eb.fn.countAll().as('n')])
    .where('state', '=', 'closed')
    .groupBy(['campaign_id', 'closed_reason'])
    .execute();
  const hour = sql<string>`substr(at, 1, 13)`;
  const hourly = await db
    .selectFrom('call_attempts')
    .select([hour.as('hour'), (eb) => eb.fn.countAll().as('n')])
    .where('at', '>=', since)
    .groupBy(hour)
    .orderBy(hour)
    .execute();
  const outcomes = await db
    .selectFrom('call_attempts')
    .select(['campaign_id', 'operator_id', 'disposition', (eb) => eb.fn.countAll().as('n')])
    .groupBy(['campaign_id', 'operator_id', 'disposition'])
    .execute();
  const triage = await db.selectFrom('call_tasks').select((eb) => eb.fn.countAll().as('n')).where('triage', '=', 1).executeTakeFirst();
  return {
    lists: lists.map((r) => ({ campaignId: r.campaign_id, state: r.state, due: Number(r.due) === 1, n: Number(r.n) })),
    closed: closed.map((r) => ({ campaignId: r.campaign_id, reason: r.closed_reason, n: Number(r.n) })),
    hourly: hourly.map((r) => ({ hour: r.hour, n: Number(r.n) })),
    outcomes: outcomes.map((r) => ({ campaignId: r.campaign_id, operatorId: r.operator_id, disposition: r.disposition as Disposition, n: Number(r.n) })),
    triage: Number(triage?.n ?? 0),
  };
}
