/**
 * The feedback layer's store: provider receipts, inbound replies, reply links and opt-outs.
 * Providers repeat and reorder callbacks, and several servers may receive them at once, so every
 * write is idempotent and every state change one conditional statement. The allowed moves are the
 * lifecycle's (core/lifecycle.ts); what a receipt or an answer does to an appointment is
 * feedback/rules.ts's, applied here in the transaction that records it.
 */
import type { Kysely } from 'kysely';
import { receiptMovesFrom, UNSENT_STATES } from '../core/lifecycle.js';
import { answerOf, answerMove, offeredAppointment, OPT_OUT_RELEASE, RECEIPT_RELEASES } from '../feedback/rules.js';
import type { FeedbackStore, LinkTarget, OptOutResult, ReceiptResult, ReceiptState, ResponseRecord } from '../feedback/store.js';
import type { Database } from './schema.js';
import { confirmAppointment, reclaimAppointment, releaseAppointment, releaseForCitizens } from './slots.js';
import type { Executor } from './unit-of-work.js';

/** `FeedbackStore` over Kysely, one set of statements for SQLite and PostgreSQL. */
export class KyselyFeedbackStore implements FeedbackStore {
  constructor(private readonly db: Kysely<Database>) {}

  async applyReceipt(providerId: string, state: ReceiptState, errorCode: string | null, at: string): Promise<ReceiptResult> {
    // Kept even when the message is found: it is the record of what the provider said, and
    // the worker applies it when a receipt overtook the recording of the send.
    const event = { provider_id: providerId, status: state, error_code: errorCode, received_at: at };
    await this.db.insertInto('provider_events').values(event).onConflict((oc) => oc.columns(['provider_id', 'status']).doNothing()).execute();
    const [from, failing] = [receiptMovesFrom(state), RECEIPT_RELEASES[state] !== undefined];
    if (from.length > 0) {
      const moved = await this.db.transaction().execute(async (trx) => {
        const m = await trx
          .updateTable('messages')
          .set({ state, final_at: at, updated_at: at, ...(errorCode === null ? {} : { error_code: errorCode }) })
          .where('provider_id', '=', providerId)
          .where('state', 'in', from)
          .returning(['message_id', 'campaign_id', 'appointment_id'])
          .executeTakeFirst();
        // An attempt that never arrived keeps its slot: the pacer tries the next channel, or frees
        // the slot when the chain ends (pacer/fallback.ts). A campaign completed meanwhile (its
        // messages were all sent) is active again until that is decided.
        if (m && failing && m.appointment_id !== null) {
          await trx.updateTable('campaigns').set({ status: 'active', status_reason: null, updated_at: at }).where('campaign_id', '=', m.campaign_id).where('status', '=', 'completed').execute();
        }
        return m;
      });
      if (moved) return { messageId: moved.message_id, changed: true };
    }
    const message = await this.db.selectFrom('messages').select('message_id').where('provider_id', '=', providerId).executeTakeFirst();
    return { messageId: message?.message_id ?? null, changed: false };
  }

  async markRead(providerId: string, at: string): Promise<void> {
    await this.db.insertInto('provider_events').values({ provider_id: providerId, status: 'read', error_code: null, received_at: at }).onConflict((oc) => oc.columns(['provider_id', 'status']).doNothing()).execute();
    await this.db.updateTable('messages').set({ read_at: at }).where('provider_id', '=', providerId).where('read_at', 'is', null).execute();
  }

  optOutByPhone(phone: string, source: string, at: string): Promise<OptOutResult> { return this.optOut('phone', phone, source, at); }
  optOutCitizen(citizenId: string, source: string, at: string): Promise<OptOutResult> { return this.optOut('citizen_id', citizenId, source, at); }

  private optOut(by: 'phone' | 'citizen_id', value: string, source: string, at: string): Promise<OptOutResult> {
    return this.db.transaction().execute(async (trx) => {
      const newly = await trx
        .updateTable('citizens')
        .set({ opt_out: 1, opt_out_at: at, opt_out_source: source, updated_at: at })
        .where(by, '=', value)
        .where('opt_out', '=', 0)
        .returning('citizen_id')
        .execute();
      // Every opted-out citizen matching, not only the ones just now: a message inserted after an
      // earlier opt-out (a launch that read the cohort just before it) is stopped by the next STOP.
      const optedOut = () => trx.selectFrom('citizens').select('citizen_id').where(by, '=', value).where('opt_out', '=', 1);
      const stopped = await trx
        .updateTable('messages')
        .set({ state: 'opted_out', final_at: at, updated_at: at })
        .where('state', 'in', UNSENT_STATES)
        .where('citizen_id', 'in', optedOut())
        .executeTakeFirst();
      await releaseForCitizens(trx, (await optedOut().execute()).map((c) => c.citizen_id), OPT_OUT_RELEASE, at);
      return { citizens: newly.map((c) => c.citizen_id).sort(), messagesStopped: Number(stopped.numUpdatedRows) };
    });
  }

  async recordResponse(r: ResponseRecord): Promise<void> {
    const answer = answerOf(r);
    if (answer === null) return insertResponse(this.db, r);
    await this.db.transaction().execute(async (trx) => {
      await insertResponse(trx, r);
      const id = await appointmentOf(trx, r.messageId!);
      if (id === null) return;
      // A decline does not depend on the appointment's state; a confirm does.
      const current = answer === 'confirm' ? await trx.selectFrom('appointments').select(['state', 'state_reason as reason']).where('appointment_id', '=', id).executeTakeFirstOrThrow() : null;
      const move = answerMove(answer, current);
      if (move?.kind === 'release') await releaseAppointment(trx, id, move.reason, r.at);
      else if (move?.kind === 'confirm') await confirmAppointment(trx, id, r.at);
      else if (move?.kind === 'reclaim') await reclaimAppointment(trx, id, r.at);
    });
  }

  async citizensByPhone(phone: string): Promise<string[]> {
    const rows = await this.db.selectFrom('citizens').select('citizen_id').where('phone', '=', phone).orderBy('citizen_id').execute();
    return rows.map((r) => r.citizen_id);
  }

  async messageByToken(token: string): Promise<LinkTarget | null> {
    const row = await this.db.selectFrom('messages').select(['message_id', 'campaign_id', 'citizen_id']).where('link_token', '=', token).executeTakeFirst();
    return row ? { messageId: row.message_id, campaignId: row.campaign_id, citizenId: row.citizen_id } : null;
  }
}

async function insertResponse(ex: Executor, r: ResponseRecord): Promise<void> {
  const row = { response_id: r.responseId, citizen_id: r.citizenId, message_id: r.messageId, channel: r.channel, kind: r.kind, body: r.body, received_at: r.at, action: r.action ?? null };
  await ex.insertInto('responses').values(row).onConflict((oc) => oc.column('response_id').doNothing()).execute();
}

/** The appointment a reply link answers: the one its message offered, else (a reminder's link) the citizen's latest in that campaign. */
async function appointmentOf(trx: Executor, messageId: string): Promise<string | null> {
  const own = await trx.selectFrom('appointments').select('appointment_id').where('appointment_id', '=', offeredAppointment(messageId)).executeTakeFirst();
  if (own) return own.appointment_id;
  const latest = await trx
    .selectFrom('appointments as a')
    .innerJoin('messages as m', (j) => j.onRef('m.campaign_id', '=', 'a.campaign_id').onRef('m.citizen_id', '=', 'a.citizen_id'))
    .where('m.message_id', '=', messageId)
    .select('a.appointment_id')
    .orderBy('a.created_at', 'desc')
    .orderBy('a.appointment_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return latest?.appointment_id ?? null;
}
