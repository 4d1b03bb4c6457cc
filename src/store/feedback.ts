/**
 * The feedback layer's store: provider receipts, inbound replies, reply links and opt-outs.
 *
 * Providers repeat callbacks and deliver them out of order, and several servers may receive
 * them at once, so every write here is idempotent and every state change is one conditional
 * statement: the database, not a read-then-write in this process, decides whether it applies.
 * Answers move the appointment in the same transaction (see `FeedbackStore`).
 */
import type { Kysely, Transaction } from 'kysely';
import type { FeedbackStore, LinkTarget, OptOutResult, ReceiptResult, ReceiptState, ResponseRecord } from '../feedback/store.js';
import type { Database, MessageState } from './schema.js';
import { confirmAppointment, reclaimAppointment, releaseAppointment, releaseForCitizens } from './slots.js';

/**
 * The states a receipt may move a message out of. Only `sent` qualifies: a final state is final
 * (a late `sent`, or `delivered` after `undelivered`, is older or contradictory news), and a
 * message the worker has not yet marked `sent` has no provider id to be found by.
 */
const MOVES_FROM: Readonly<Record<ReceiptState, readonly MessageState[]>> = {
  sent: [],
  delivered: ['sent'],
  undelivered: ['sent'],
  failed: ['sent'],
};

/** Why a released appointment may be taken back by a later confirmation. */
const RECLAIMABLE: readonly string[] = ['declined', 'undelivered'];

/** Messages an opt-out can still stop: not yet handed to a worker. */
const STOPPABLE: readonly MessageState[] = ['pending', 'queued'];

/** `FeedbackStore` over Kysely, one set of statements for SQLite and PostgreSQL. */
export class KyselyFeedbackStore implements FeedbackStore {
  constructor(private readonly db: Kysely<Database>) {}

  async applyReceipt(providerId: string, state: ReceiptState, errorCode: string | null, at: string): Promise<ReceiptResult> {
    // Kept even when the message is found: it is the record of what the provider said, and
    // the worker applies it when a receipt overtook the recording of the send.
    await this.db
      .insertInto('provider_events')
      .values({ provider_id: providerId, status: state, error_code: errorCode, received_at: at })
      .onConflict((oc) => oc.columns(['provider_id', 'status']).doNothing())
      .execute();

    const from = MOVES_FROM[state];
    if (from.length > 0) {
      const moved = await this.db.transaction().execute(async (trx) => {
        const m = await trx
          .updateTable('messages')
          .set({ state, final_at: at, updated_at: at, ...(errorCode === null ? {} : { error_code: errorCode }) })
          .where('provider_id', '=', providerId)
          .where('state', 'in', from)
          .returning('message_id')
          .executeTakeFirst();
        // An invitation that never arrived offered its slot to nobody: the next citizen gets it.
        // (An appointment's id is its invitation's message id; reminders match none.)
        if (m && (state === 'undelivered' || state === 'failed')) await releaseAppointment(trx, m.message_id, 'undelivered', at);
        return m;
      });
      if (moved) return { messageId: moved.message_id, changed: true };
    }
    const message = await this.db.selectFrom('messages').select('message_id').where('provider_id', '=', providerId).executeTakeFirst();
    return { messageId: message?.message_id ?? null, changed: false };
  }

  optOutByPhone(phone: string, source: string, at: string): Promise<OptOutResult> {
    return this.optOut('phone', phone, source, at);
  }

  optOutCitizen(citizenId: string, source: string, at: string): Promise<OptOutResult> {
    return this.optOut('citizen_id', citizenId, source, at);
  }

  private optOut(by: 'phone' | 'citizen_id', value: string, source: string, at: string): Promise<OptOutResult> {
    return this.db.transaction().execute(async (trx) => {
      const newly = await trx
        .updateTable('citizens')
        .set({ opt_out: 1, opt_out_at: at, opt_out_source: source, updated_at: at })
        .where(by, '=', value)
        .where('opt_out', '=', 0)
        .returning('citizen_id')
        .execute();
      const messagesStopped = await stopMessages(trx, by, value, at);
      const optedOut = await trx.selectFrom('citizens').select('citizen_id').where(by, '=', value).where('opt_out', '=', 1).execute();
      await releaseForCitizens(trx, optedOut.map((c) => c.citizen_id), 'opted_out', at);
      return { citizens: newly.map((c) => c.citizen_id).sort(), messagesStopped };
    });
  }

  async recordResponse(r: ResponseRecord): Promise<void> {
    const answer = r.channel === 'link' && (r.kind === 'confirm' || r.kind === 'decline') && r.messageId !== null ? r.kind : null;
    if (answer === null) return insertResponse(this.db, r);
    await this.db.transaction().execute(async (trx) => {
      await insertResponse(trx, r);
      const appointmentId = await appointmentOf(trx, r.messageId!);
      if (appointmentId === null) return;
      if (answer === 'decline') {
        await releaseAppointment(trx, appointmentId, 'declined', r.at);
        return;
      }
      const current = await trx.selectFrom('appointments').select(['state', 'state_reason']).where('appointment_id', '=', appointmentId).executeTakeFirstOrThrow();
      if (current.state !== 'released') await confirmAppointment(trx, appointmentId, r.at);
      // A change of mind, or an invitation that arrived after all; an opt-out stays an opt-out.
      else if (RECLAIMABLE.includes(current.state_reason ?? '')) await reclaimAppointment(trx, appointmentId, r.at);
    });
  }

  async citizensByPhone(phone: string): Promise<string[]> {
    const rows = await this.db.selectFrom('citizens').select('citizen_id').where('phone', '=', phone).orderBy('citizen_id').execute();
    return rows.map((r) => r.citizen_id);
  }

  async messageByToken(token: string): Promise<LinkTarget | null> {
    const row = await this.db
      .selectFrom('messages')
      .select(['message_id', 'campaign_id', 'citizen_id'])
      .where('link_token', '=', token)
      .executeTakeFirst();
    return row ? { messageId: row.message_id, campaignId: row.campaign_id, citizenId: row.citizen_id } : null;
  }
}

/**
 * Stops the unsent messages of every opted-out citizen matching `by = value`, not only the ones
 * opted out just now: a message inserted for a citizen after an earlier opt-out (a launch that
 * read the cohort just before it) is stopped by the next STOP instead of being sent.
 */
async function stopMessages(trx: Transaction<Database>, by: 'phone' | 'citizen_id', value: string, at: string): Promise<number> {
  const result = await trx
    .updateTable('messages')
    .set({ state: 'opted_out', final_at: at, updated_at: at })
    .where('state', 'in', STOPPABLE)
    .where('citizen_id', 'in', (eb) => eb.selectFrom('citizens').select('citizen_id').where(by, '=', value).where('opt_out', '=', 1))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

async function insertResponse(ex: Kysely<Database> | Transaction<Database>, r: ResponseRecord): Promise<void> {
  await ex
    .insertInto('responses')
    .values({
      response_id: r.responseId,
      citizen_id: r.citizenId,
      message_id: r.messageId,
      channel: r.channel,
      kind: r.kind,
      body: r.body,
      received_at: r.at,
    })
    .onConflict((oc) => oc.column('response_id').doNothing())
    .execute();
}

/**
 * The appointment a reply link answers: the one its message offered (an invitation's id is its
 * appointment's), else — a reminder's link — the citizen's latest appointment in that campaign.
 */
async function appointmentOf(trx: Transaction<Database>, messageId: string): Promise<string | null> {
  const own = await trx.selectFrom('appointments').select('appointment_id').where('appointment_id', '=', messageId).executeTakeFirst();
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
