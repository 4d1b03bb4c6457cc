/** One citizen's rows for `invito citizens show` (reports/citizen.ts): reads only. */
import type { Kysely } from 'kysely';
import type { HistoryAppointment, HistoryCall, HistoryCitizen, HistoryMessage, HistoryReply, HistoryStore, RepliesToReadStore, ReplyToRead } from '../reports/citizen.js';
import type { Database } from './schema.js';

export class KyselyHistoryStore implements HistoryStore, RepliesToReadStore {
  constructor(private readonly db: Kysely<Database>) {}

  async citizen(citizenId: string): Promise<HistoryCitizen | null> {
    const r = await this.db.selectFrom('citizens').selectAll().where('citizen_id', '=', citizenId).executeTakeFirst();
    if (!r) return null;
    const groups = await this.db.selectFrom('citizen_groups').select('group_code').where('citizen_id', '=', citizenId).orderBy('group_code').execute();
    return {
      citizen_id: r.citizen_id,
      given_name: r.given_name,
      family_name: r.family_name,
      birth_date: r.birth_date,
      sex: r.sex,
      language: r.language,
      phone: r.phone,
      phone_type: r.phone_type,
      email: r.email,
      region: r.region,
      asl: r.asl,
      municipality: r.municipality,
      priority_groups: groups.map((g) => g.group_code),
      doses: Number(r.doses),
      last_dose_date: r.last_dose_date,
      opt_out: Number(r.opt_out) === 1,
      opt_out_source: r.opt_out_source,
      deceased: Number(r.deceased) === 1,
      whatsapp_opt_in: Number(r.whatsapp_opt_in) === 1,
    };
  }

  async appointments(citizenId: string): Promise<HistoryAppointment[]> {
    const rows = await this.db
      .selectFrom('appointments as a')
      .leftJoin('centers as k', 'k.center_id', 'a.center_id')
      .select(['a.appointment_id', 'a.campaign_id', 'a.state', 'a.state_reason', 'a.start_at', 'a.center_id', 'k.name'])
      .where('a.citizen_id', '=', citizenId)
      .orderBy('a.start_at')
      .orderBy('a.appointment_id')
      .execute();
    return rows.map((r) => ({ id: r.appointment_id, campaign: r.campaign_id, state: r.state, reason: r.state_reason, center: r.center_id, centerName: r.name, start: r.start_at }));
  }

  async messages(citizenId: string): Promise<HistoryMessage[]> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['message_id', 'campaign_id', 'step_id', 'channel', 'state', 'error_code', 'appointment_id', 'sent_at', 'updated_at', 'fallback_of', 'fallback_state', 'read_at'])
      .where('citizen_id', '=', citizenId)
      .orderBy('updated_at')
      .orderBy('message_id')
      .execute();
    return rows.map((r) => ({
      id: r.message_id,
      campaign: r.campaign_id,
      step: r.step_id,
      channel: r.channel,
      state: r.state,
      errorCode: r.error_code,
      appointment: r.appointment_id,
      at: r.sent_at ?? r.updated_at,
      sentAt: r.sent_at,
      fallbackOf: r.fallback_of,
      fallbackState: r.fallback_state,
      readAt: r.read_at,
    }));
  }

  async replies(citizenId: string): Promise<HistoryReply[]> {
    const rows = await this.db.selectFrom('responses').select(['kind', 'channel', 'message_id', 'received_at', 'action']).where('citizen_id', '=', citizenId).orderBy('received_at').execute();
    return rows.map((r) => ({ at: r.received_at, channel: r.channel, kind: r.kind, message: r.message_id, action: r.action }));
  }

  async calls(citizenId: string): Promise<HistoryCall[]> {
    const rows = await this.db.selectFrom('call_attempts').select(['task_id', 'campaign_id', 'operator_id', 'disposition', 'note', 'at']).where('citizen_id', '=', citizenId).orderBy('at').orderBy('attempt_id').execute();
    return rows.map((r) => ({ at: r.at, task: r.task_id, campaign: r.campaign_id, operator: r.operator_id, disposition: r.disposition, note: r.note }));
  }

  async repliesToRead(limit: number): Promise<ReplyToRead[]> {
    const rows = await this.db
      .selectFrom('responses as r')
      .leftJoin('citizens as c', 'c.citizen_id', 'r.citizen_id')
      .select(['r.response_id', 'r.citizen_id', 'r.channel', 'r.body', 'r.received_at', 'c.given_name', 'c.family_name'])
      .where('r.action', '=', 'not_understood')
      .where('r.read_at', 'is', null)
      .orderBy('r.received_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ responseId: r.response_id, citizenId: r.citizen_id, name: [r.given_name, r.family_name].filter(Boolean).join(' '), channel: r.channel, body: r.body, at: r.received_at }));
  }

  async markRead(responseId: string, operatorId: string, at: string): Promise<boolean> {
    const r = await this.db.updateTable('responses').set({ read_at: at, read_by: operatorId }).where('response_id', '=', responseId).where('read_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
