/** The rows behind SMS replies that act (feedback/conversation.ts): targets, threads, answers, offers. */
import type { IvrStore } from '../feedback/ivr.js';
import type { Kysely } from 'kysely';
import { storedCampaign } from '../campaigns/stored.js';
import type { Campaign } from '../campaigns/schema.js';
import type { Offer, PageTarget, ReplyStore, ReplyTarget, ReplyThread } from '../feedback/conversation.js';
import type { AnswerKind, ReplyWord } from '../feedback/replies.js';
import { HOLDS_SLOT } from '../pacer/allocation.js';
import type { CenterInfo, SlotRequest } from '../pacer/appointments.js';
import type { Dialect } from './open.js';
import type { Database } from './schema.js';
import { candidateCenters, movePlace, offerPlaces } from './slots.js';

/** The columns a reply target is read from (citizen, latest message, appointment and centre). */
interface TargetRow {
  readonly citizen_id: string;
  readonly given_name: string | null;
  readonly family_name: string | null;
  readonly birth_date: string;
  readonly sex: 'M' | 'F' | 'X' | null;
  readonly language: string;
  readonly region: string | null;
  readonly asl: string | null;
  readonly municipality: string | null;
  readonly message_id: string | null;
  readonly link_token: string | null;
  readonly appointment_id: string | null;
  readonly campaign_id: string | null;
  readonly state: string | null;
  readonly start_at: string | null;
  readonly center_id: string | null;
  readonly center_name: string | null;
  readonly address: string | null;
  readonly center_municipality: string | null;
}

/** A citizen and, when `open`, the appointment of the row's message. */
const toTarget = (r: TargetRow, open: boolean): ReplyTarget => ({
  citizenId: r.citizen_id,
  givenName: r.given_name,
  familyName: r.family_name,
  birthDate: r.birth_date,
  sex: r.sex,
  language: r.language,
  place: { region: r.region, asl: r.asl, municipality: r.municipality },
  appointment: open
    ? {
        appointmentId: r.appointment_id!,
        campaignId: r.campaign_id!,
        state: r.state!,
        start: r.start_at!,
        center: { centerId: r.center_id!, name: r.center_name ?? r.center_id!, address: r.address, municipality: r.center_municipality },
        messageId: r.message_id!,
        linkToken: r.link_token,
      }
    : null,
});

export class KyselyReplyStore implements ReplyStore, IvrStore {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: Dialect) {}

  async operatorTask(t: { taskId: string; messageId: string; campaignId: string; citizenId: string; language: string; at: string }): Promise<void> {
    // Due at once and first in its campaign's order (seq 0, priority 0): the citizen is waiting to be called back.
    await this.db
      .insertInto('call_tasks')
      .values({ task_id: t.taskId, message_id: t.messageId, campaign_id: t.campaignId, citizen_id: t.citizenId, state: 'open', created_at: t.at, updated_at: t.at, seq: 0, priority: 0, language: t.language, due_at: null, lease_operator: null, lease_until: null, callback_operator: null, last_disposition: null, closed_reason: null, answers: null, triage: 1 })
      .onConflict((oc) => oc.column('task_id').doNothing())
      .execute();
  }

  async seen(inboundId: string): Promise<boolean> {
    return (await this.db.selectFrom('responses').select('response_id').where('response_id', '=', inboundId).executeTakeFirst()) !== undefined;
  }

  async targets(phone: string, at: string): Promise<ReplyTarget[]> {
    const rows = await this.db
      .selectFrom('citizens as c')
      .leftJoin('messages as m', (j) => j.onRef('m.citizen_id', '=', 'c.citizen_id').on('m.sent_at', 'is not', null).on('m.appointment_id', 'is not', null).on('m.channel', 'in', ['sms', 'whatsapp', 'voice']))
      .leftJoin('appointments as a', 'a.appointment_id', 'm.appointment_id')
      .leftJoin('centers as k', 'k.center_id', 'a.center_id')
      .where('c.phone', '=', phone)
      .select([
        'c.citizen_id', 'c.given_name', 'c.family_name', 'c.birth_date', 'c.sex', 'c.language', 'c.region', 'c.asl', 'c.municipality',
        'm.message_id', 'm.sent_at', 'm.link_token', 'a.appointment_id', 'a.campaign_id', 'a.state', 'a.start_at', 'a.center_id', 'k.name as center_name', 'k.address', 'k.municipality as center_municipality',
      ])
      .orderBy('c.citizen_id')
      .orderBy('m.sent_at', 'desc')
      .execute();
    const now = Date.parse(at);
    const out = new Map<string, ReplyTarget>();
    for (const r of rows) {
      const open = r.appointment_id !== null && (HOLDS_SLOT as readonly string[]).includes(r.state ?? '') && Date.parse(r.start_at!) > now;
      const known = out.get(r.citizen_id);
      if (known?.appointment) continue;
      out.set(r.citizen_id, toTarget(r, open));
    }
    return [...out.values()];
  }

  async pageOf(token: string): Promise<PageTarget | null> {
    const r = await this.db
      .selectFrom('messages as m')
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .leftJoin('appointments as a', (j) => j.onRef('a.campaign_id', '=', 'm.campaign_id').onRef('a.citizen_id', '=', 'm.citizen_id'))
      .leftJoin('centers as k', 'k.center_id', 'a.center_id')
      .where('m.link_token', '=', token)
      .select([
        'm.message_id', 'm.campaign_id', 'm.link_token', 'c.citizen_id', 'c.given_name', 'c.family_name', 'c.birth_date', 'c.sex', 'c.language', 'c.region', 'c.asl', 'c.municipality',
        'a.appointment_id', 'a.state', 'a.start_at', 'a.center_id', 'k.name as center_name', 'k.address', 'k.municipality as center_municipality',
      ])
      .orderBy('a.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!r) return null;
    const target = toTarget(r, r.appointment_id !== null);
    return { messageId: r.message_id, target, campaign: await this.campaign(r.campaign_id) };
  }

  async campaign(campaignId: string): Promise<Campaign | null> {
    const r = await this.db.selectFrom('campaigns').select(['campaign_id', 'definition']).where('campaign_id', '=', campaignId).executeTakeFirst();
    return r ? storedCampaign(r.campaign_id, r.definition) : null;
  }

  candidateCenters(place: ReplyTarget['place']): Promise<CenterInfo[]> {
    return candidateCenters(this.db, place);
  }

  async thread(phone: string, at: string): Promise<ReplyThread | null> {
    const r = await this.db.selectFrom('reply_threads').selectAll().where('phone', '=', phone).where('expires_at', '>', at).executeTakeFirst();
    return r ? { phone: r.phone, citizenId: r.citizen_id, pending: r.pending as ReplyWord | null, offers: r.offers ? (JSON.parse(r.offers) as Offer[]) : [], expiresAt: r.expires_at } : null;
  }

  async saveThread(t: ReplyThread, at: string): Promise<void> {
    const row = { phone: t.phone, citizen_id: t.citizenId, pending: t.pending, offers: t.offers.length ? JSON.stringify(t.offers) : null, expires_at: t.expiresAt, updated_at: at };
    await this.db.insertInto('reply_threads').values(row).onConflict((oc) => oc.column('phone').doUpdateSet({ citizen_id: row.citizen_id, pending: row.pending, offers: row.offers, expires_at: row.expires_at, updated_at: at })).execute();
  }

  async endThread(phone: string): Promise<void> {
    await this.db.deleteFrom('reply_threads').where('phone', '=', phone).execute();
  }

  async offers(request: SlotRequest, n: number): Promise<Omit<Offer, 'letter' | 'centerName'>[]> {
    return (await offerPlaces(this.db, request, n)).map((p) => ({ centerId: p.centerId, day: p.day, seq: p.seq, start: p.startAt }));
  }

  async moveTo(appointmentId: string, offer: Offer, at: string): Promise<boolean> {
    return (await movePlace(this.db, this.dialect, appointmentId, { centerId: offer.centerId, day: offer.day, seq: offer.seq, startAt: offer.start }, at)) !== null;
  }

  async answersSince(phone: string, since: string): Promise<number> {
    const r = await this.db.selectFrom('answers').select((eb) => eb.fn.countAll().as('n')).where('phone', '=', phone).where('created_at', '>=', since).where('state', '<>', 'failed').executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async claimAnswer(a: { answerId: string; phone: string; citizenId: string | null; campaignId: string | null; kind: AnswerKind; at: string }): Promise<boolean> {
    const row = { answer_id: a.answerId, phone: a.phone, citizen_id: a.citizenId, campaign_id: a.campaignId, kind: a.kind, state: 'sending', provider_id: null, error_code: null, created_at: a.at, updated_at: a.at };
    const r = await this.db.insertInto('answers').values(row).onConflict((oc) => oc.column('answer_id').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async answerSent(answerId: string, providerId: string, at: string): Promise<void> {
    await this.db.updateTable('answers').set({ state: 'sent', provider_id: providerId, updated_at: at }).where('answer_id', '=', answerId).execute();
  }

  async answerFailed(answerId: string, code: string, at: string): Promise<void> {
    await this.db.updateTable('answers').set({ state: 'failed', error_code: code, updated_at: at }).where('answer_id', '=', answerId).execute();
  }
}
