/**
 * The free-phone line's queues and the operators who take its calls (desk/line.ts `LineStore`),
 * one set of statements for SQLite and PostgreSQL. The pairing of a caller with an operator is
 * one transaction with guarded updates, so two operators becoming ready at once never get the
 * same caller, and one operator never gets two.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { LineCall, LineOperator, LineStore } from '../desk/line.js';
import type { Dialect } from './open.js';
import type { Database } from './schema.js';
import type { LineCallsTable, OperatorsTable } from './schema-desk.js';
import { atomically } from './unit-of-work.js';

const toCall = (r: Selectable<LineCallsTable>): LineCall => ({
  callSid: r.call_sid,
  language: r.language,
  citizenId: r.citizen_id,
  messageId: r.message_id,
  state: r.state,
  enqueuedAt: r.enqueued_at,
  operatorId: r.operator_id,
  taskId: r.task_id,
  answeredAt: r.answered_at,
  endedAt: r.ended_at,
  result: r.result,
});

const toOperator = (r: Selectable<OperatorsTable>): LineOperator => ({
  operatorId: r.operator_id,
  languages: r.languages.split(',').filter(Boolean),
  phone: r.phone ?? null,
  ready: Number(r.inbound_ready ?? 0) === 1,
  idleSince: r.idle_since ?? null,
  onCall: r.inbound_call ?? null,
  disabled: Number(r.disabled) === 1,
});

export class KyselyLineStore implements LineStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async enqueue(c: { callSid: string; language: string; citizenId: string | null; messageId: string | null; at: string }): Promise<void> {
    await this.db
      .insertInto('line_calls')
      .values({ call_sid: c.callSid, language: c.language, citizen_id: c.citizenId, message_id: c.messageId, state: 'waiting', enqueued_at: c.at, operator_id: null, operator_call_sid: null, task_id: null, answered_at: null, ended_at: null, result: null, updated_at: c.at })
      .onConflict((oc) => oc.column('call_sid').doNothing())
      .execute();
  }

  async claimPair(language: string, at: string): Promise<{ call: LineCall; operator: LineOperator } | null> {
    return atomically(this.db, this.dialect, async (trx) => {
      const call = await trx
        .selectFrom('line_calls')
        .selectAll()
        .where('state', '=', 'waiting')
        .where('language', '=', language)
        .orderBy('enqueued_at')
        .orderBy('call_sid')
        .limit(1)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked())
        .executeTakeFirst();
      if (!call) return null;
      const op = await trx
        .selectFrom('operators')
        .selectAll()
        .where('inbound_ready', '=', 1)
        .where('disabled', '=', 0)
        .where('inbound_call', 'is', null)
        .where('phone', 'is not', null)
        .where(sql<boolean>`(',' || languages || ',') like ${`%,${language},%`}`)
        .orderBy('idle_since')
        .orderBy('operator_id')
        .limit(1)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked())
        .executeTakeFirst();
      if (!op) return null;
      // Guarded: in a transaction already, but each update also says what it expects to find.
      const took = await trx.updateTable('operators').set({ inbound_call: call.call_sid }).where('operator_id', '=', op.operator_id).where('inbound_call', 'is', null).executeTakeFirst();
      if (Number(took.numUpdatedRows) !== 1) return null;
      const claimed = await trx.updateTable('line_calls').set({ state: 'connecting', operator_id: op.operator_id, updated_at: at }).where('call_sid', '=', call.call_sid).where('state', '=', 'waiting').executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw new Error(`line call ${call.call_sid} changed inside its claim`);
      return { call: toCall({ ...call, state: 'connecting', operator_id: op.operator_id }), operator: toOperator({ ...op, inbound_call: call.call_sid }) };
    });
  }

  async setOperatorLeg(callSid: string, legSid: string, at: string): Promise<void> {
    await this.db.updateTable('line_calls').set({ operator_call_sid: legSid, updated_at: at }).where('call_sid', '=', callSid).execute();
  }

  async bridged(callSid: string, operatorId: string, at: string): Promise<LineCall | null> {
    return atomically(this.db, this.dialect, async (trx) => {
      const op = await trx.selectFrom('operators').select('inbound_call').where('operator_id', '=', operatorId).executeTakeFirst();
      const claimed = op?.inbound_call ?? null;
      // Twilio took the head of the queue: if it is not the caller claimed for this operator, that one waits again.
      if (claimed && claimed !== callSid) {
        await trx.updateTable('line_calls').set({ state: 'waiting', operator_id: null, operator_call_sid: null, updated_at: at }).where('call_sid', '=', claimed).where('state', '=', 'connecting').execute();
      }
      await trx
        .updateTable('line_calls')
        .set({ state: 'connected', operator_id: operatorId, answered_at: at, result: 'bridged', updated_at: at })
        .where('call_sid', '=', callSid)
        .where('state', 'in', ['waiting', 'connecting'])
        .execute();
      await trx.updateTable('operators').set({ inbound_call: callSid }).where('operator_id', '=', operatorId).execute();
      const r = await trx.selectFrom('line_calls').selectAll().where('call_sid', '=', callSid).executeTakeFirst();
      return r ? toCall(r) : null;
    });
  }

  async leaseLineTask(t: { taskId: string; callSid: string; messageId: string; operatorId: string; language: string; at: string; leaseUntil: string }): Promise<boolean> {
    return atomically(this.db, this.dialect, async (trx) => {
      const m = await trx.selectFrom('messages').select(['campaign_id', 'citizen_id']).where('message_id', '=', t.messageId).executeTakeFirst();
      if (!m) return false;
      const r = await trx
        .insertInto('call_tasks')
        .values({
          task_id: t.taskId, message_id: t.messageId, campaign_id: m.campaign_id, citizen_id: m.citizen_id, state: 'leased', created_at: t.at, updated_at: t.at,
          seq: 0, priority: 0, language: t.language, due_at: null, lease_operator: t.operatorId, lease_until: t.leaseUntil, callback_operator: null, last_disposition: null, closed_reason: null, answers: null, triage: 0,
        })
        .onConflict((oc) => oc.column('task_id').doNothing())
        .executeTakeFirst();
      await trx.updateTable('line_calls').set({ task_id: t.taskId, updated_at: t.at }).where('call_sid', '=', t.callSid).execute();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    });
  }

  async left(callSid: string, result: string, at: string): Promise<void> {
    await this.db.updateTable('line_calls').set({ state: 'left', result, ended_at: at, updated_at: at }).where('call_sid', '=', callSid).where('state', 'in', ['waiting', 'connecting']).execute();
  }

  async legEnded(operatorId: string, at: string, missed: boolean): Promise<void> {
    await atomically(this.db, this.dialect, async (trx) => {
      const op = await trx.selectFrom('operators').select('inbound_call').where('operator_id', '=', operatorId).executeTakeFirst();
      const sid = op?.inbound_call ?? null;
      if (sid) {
        await trx.updateTable('line_calls').set({ state: 'ended', ended_at: at, updated_at: at }).where('call_sid', '=', sid).where('state', '=', 'connected').execute();
        await trx.updateTable('line_calls').set({ state: 'waiting', operator_id: null, operator_call_sid: null, updated_at: at }).where('call_sid', '=', sid).where('state', '=', 'connecting').execute();
      }
      await trx
        .updateTable('operators')
        .set({ inbound_call: null, idle_since: at, ...(missed ? { inbound_ready: 0 } : {}) })
        .where('operator_id', '=', operatorId)
        .execute();
    });
  }

  async setReady(operatorId: string, ready: boolean, at: string): Promise<void> {
    // Idle from now when becoming ready (a ready operator clicking again keeps their place).
    await this.db
      .updateTable('operators')
      .set((eb) => ({ inbound_ready: ready ? 1 : 0, idle_since: ready ? eb.fn.coalesce(eb.case().when('inbound_ready', '=', 1).then(eb.ref('idle_since')).end(), eb.val(at)) : eb.ref('idle_since') }))
      .where('operator_id', '=', operatorId)
      .execute();
  }

  async setPhone(operatorId: string, phone: string | null): Promise<boolean> {
    const r = await this.db.updateTable('operators').set({ phone }).where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async lineOperator(operatorId: string): Promise<LineOperator | null> {
    const r = await this.db.selectFrom('operators').selectAll().where('operator_id', '=', operatorId).executeTakeFirst();
    return r ? toOperator(r) : null;
  }

  async lineOperators(): Promise<LineOperator[]> {
    return (await this.db.selectFrom('operators').selectAll().orderBy('operator_id').execute()).map(toOperator);
  }

  async lineCall(callSid: string): Promise<LineCall | null> {
    const r = await this.db.selectFrom('line_calls').selectAll().where('call_sid', '=', callSid).executeTakeFirst();
    return r ? toCall(r) : null;
  }

  async lineCalls(since: string): Promise<LineCall[]> {
    const rows = await this.db
      .selectFrom('line_calls')
      .selectAll()
      .where((eb) => eb.or([eb('enqueued_at', '>=', since), eb('state', 'in', ['waiting', 'connecting'])]))
      .orderBy('enqueued_at')
      .execute();
    return rows.map(toCall);
  }
}
