/** One citizen's rows for `invito citizens show` (reports/citizen.ts): reads only. */
import type { Kysely } from 'kysely';
import type { HistoryAppointment, HistoryCall, HistoryCitizen, HistoryMessage, HistoryResponse, HistoryStore } from '../reports/citizen.js';
import type { Database } from './schema.js';

export class KyselyHistoryStore implements HistoryStore {
  constructor(private readonly db: Kysely<Database>) {}

  async citizen(citizenId: string): Promise<HistoryCitizen | null> {
    const r = await this.db.selectFrom('citizens').selectAll().where('citizen_id', '=', citizenId).executeTakeFirst();
    if (!r) return null;
    return {
      citizenId: r.citizen_id,
      givenName: r.given_name,
      familyName: r.family_name,
      birthDate: r.birth_date,
      sex: r.sex,
      language: r.language,
      phone: r.phone,
      phoneType: r.phone_type,
      email: r.email,
      region: r.region,
      asl: r.asl,
      municipality: r.municipality,
      doses: Number(r.doses),
      lastDoseDate: r.last_dose_date,
      optOut: Number(r.opt_out) === 1,
      optOutSource: r.opt_out_source,
      deceased: Number(r.deceased) === 1,
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
    return rows.map((r) => ({ appointmentId: r.appointment_id, campaignId: r.campaign_id, state: r.state, reason: r.state_reason, start: r.start_at, centerId: r.center_id, centerName: r.name }));
  }

  async messages(citizenId: string): Promise<HistoryMessage[]> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['message_id', 'campaign_id', 'step_id', 'channel', 'state', 'error_code', 'appointment_id', 'sent_at', 'updated_at', 'fallback_of', 'fallback_state'])
      .where('citizen_id', '=', citizenId)
      .orderBy('updated_at')
      .orderBy('message_id')
      .execute();
    return rows.map((r) => ({
      messageId: r.message_id,
      campaignId: r.campaign_id,
      stepId: r.step_id,
      channel: r.channel,
      state: r.state,
      errorCode: r.error_code,
      appointmentId: r.appointment_id,
      sentAt: r.sent_at,
      updatedAt: r.updated_at,
      fallbackOf: r.fallback_of,
      fallbackState: r.fallback_state,
    }));
  }

  async responses(citizenId: string): Promise<HistoryResponse[]> {
    const rows = await this.db.selectFrom('responses').select(['kind', 'channel', 'message_id', 'received_at']).where('citizen_id', '=', citizenId).orderBy('received_at').execute();
    return rows.map((r) => ({ kind: r.kind, channel: r.channel, messageId: r.message_id, receivedAt: r.received_at }));
  }

  async calls(citizenId: string): Promise<HistoryCall[]> {
    const rows = await this.db.selectFrom('call_attempts').select(['task_id', 'campaign_id', 'operator_id', 'disposition', 'at']).where('citizen_id', '=', citizenId).orderBy('at').orderBy('attempt_id').execute();
    return rows.map((r) => ({ taskId: r.task_id, campaignId: r.campaign_id, operatorId: r.operator_id, disposition: r.disposition, at: r.at }));
  }
}
