/**
 * SMS replies that act (issue 13, item 1): an inbound text that is not STOP is read against the
 * citizen's latest open appointment — the one of the most recent invitation or reminder sent to
 * that number — and acts on it: confirm, decline, change (up to three free slots offered by
 * letter; the letter books one, the old slot freed in the same transaction). A phone several
 * citizens share is first asked whose appointment it is, by first name. Every inbound text gets
 * at most one answer, rendered from the `reply` template in the citizen's language and sent at
 * once (an answer to the citizen's own message: no send window, no contact limit), and a phone
 * gets at most `MAX_ANSWERS_PER_DAY` answers a day, so an auto-responder cannot make a loop.
 * A reply nobody understood is stored for the console's "replies to read".
 *
 * Logs ids and kinds only: what a citizen writes is theirs.
 */
import type { Logger } from 'pino';
import type { Campaign } from '../campaigns/schema.js';
import { laterSlotRequest } from '../pacer/allocation.js';
import type { CenterInfo, SlotRequest } from '../pacer/appointments.js';
import type { FeedbackStore } from './store.js';
import {
  type AnswerKind,
  MAX_ANSWERS_PER_DAY,
  mergeWords,
  OFFER_LETTERS,
  replyLetter,
  replyName,
  replyWord,
  type ReplyWord,
  THREAD_HOURS,
} from './replies.js';

/** A citizen with this phone, and their latest open appointment (null: none open). */
export interface ReplyTarget {
  readonly citizenId: string;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly birthDate: string;
  readonly sex: 'M' | 'F' | 'X' | null;
  readonly language: string;
  readonly place: { readonly region: string | null; readonly asl: string | null; readonly municipality: string | null };
  readonly appointment: {
    readonly appointmentId: string;
    readonly campaignId: string;
    readonly state: string;
    readonly start: string;
    readonly center: { readonly centerId: string; readonly name: string; readonly address: string | null; readonly municipality: string | null };
    /** The message the appointment was last sent in (the reply answers it). */
    readonly messageId: string;
    /** That message's reply-link token. */
    readonly linkToken: string | null;
  } | null;
}

/** What the citizen's page behind `/r/<token>` shows: the message's citizen and their appointment in its campaign. */
export interface PageTarget {
  readonly messageId: string;
  readonly target: ReplyTarget;
  readonly campaign: Campaign | null;
}

/** A slot offered by letter. */
export interface Offer {
  readonly letter: string;
  readonly centerId: string;
  readonly centerName: string;
  readonly day: string;
  readonly seq: number;
  readonly start: string;
}

/** A question invito asked a phone, waiting for its answer. */
export interface ReplyThread {
  readonly phone: string;
  /** The citizen the conversation is about, once known. */
  readonly citizenId: string | null;
  /** The word a shared phone sent before saying whose appointment it was. */
  readonly pending: ReplyWord | null;
  readonly offers: readonly Offer[];
  readonly expiresAt: string;
}

export interface ReplyStore {
  /** The citizen's page behind a link token (null: no such token). */
  pageOf(token: string): Promise<PageTarget | null>;
  /** Has this inbound message been handled already (Twilio retries)? */
  seen(inboundId: string): Promise<boolean>;
  /** The citizens with this phone, each with their latest open appointment (start after `at`). */
  targets(phone: string, at: string): Promise<ReplyTarget[]>;
  campaign(campaignId: string): Promise<Campaign | null>;
  candidateCenters(place: ReplyTarget['place']): Promise<CenterInfo[]>;
  /** The phone's thread, unless expired at `at`. */
  thread(phone: string, at: string): Promise<ReplyThread | null>;
  saveThread(thread: ReplyThread, at: string): Promise<void>;
  endThread(phone: string): Promise<void>;
  /** Up to `n` free places for the request (store/slots.ts `offerPlaces`). */
  offers(request: SlotRequest, n: number): Promise<Omit<Offer, 'letter' | 'centerName'>[]>;
  /** Books this place for the appointment, freeing the old one; false when it was taken meanwhile. */
  moveTo(appointmentId: string, offer: Offer, at: string): Promise<boolean>;
  /** Answers sent or being sent to the phone since `since`. */
  answersSince(phone: string, since: string): Promise<number>;
  /** Records the answer to one inbound message; false when it already has one. */
  claimAnswer(a: { answerId: string; phone: string; citizenId: string | null; campaignId: string | null; kind: AnswerKind; at: string }): Promise<boolean>;
  answerSent(answerId: string, providerId: string, at: string): Promise<void>;
  answerFailed(answerId: string, code: string, at: string): Promise<void>;
}

/** What the `reply` template is given besides the usual context (`reply.*`). */
export interface AnswerModel {
  readonly kind: AnswerKind;
  readonly options: readonly { readonly letter: string; readonly start: string; readonly center: string }[];
  /** First names a shared phone chooses between. */
  readonly names: readonly string[];
}

/** Renders and sends one answer; the composition root gives it the SMS channel and the templates. */
export type AnswerSender = (a: { answerId: string; to: string; target: ReplyTarget | null; campaign: Campaign | null; model: AnswerModel; channel: Inbound['channel'] }) => Promise<{ providerId: string }>;

export interface ConversationDeps {
  readonly store: ReplyStore;
  readonly feedback: Pick<FeedbackStore, 'recordResponse'>;
  /** Null: replies act but nothing is answered (no SMS channel configured). */
  readonly send: AnswerSender | null;
  /** The local day's start, for the daily answer limit (the installation's time zone). */
  readonly dayStart: (at: Date) => string;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
}

export interface Inbound {
  readonly inboundId: string;
  readonly from: string;
  readonly body: string;
  readonly channel: 'sms' | 'whatsapp';
  /** A WhatsApp quick-reply button's word (replies.ts `buttonWord` of its id), read before the text. */
  readonly button?: ReplyWord | null;
  readonly at: Date;
}

/** What handling one inbound text came to (for logs and tests). */
export interface Handled {
  readonly citizenId: string | null;
  readonly answer: AnswerKind | null;
  /** Why no answer went: `repeat` (handled before), `limit` (the phone's answers today), `unknown_sender`, `no_sender`, `send_failed`. */
  readonly silent: string | null;
}

const hoursLater = (at: Date, h: number) => new Date(at.getTime() + h * 3_600_000).toISOString();

export async function handleInbound(deps: ConversationDeps, m: Inbound): Promise<Handled> {
  const { store } = deps;
  const at = m.at.toISOString();
  if (await store.seen(m.inboundId)) return { citizenId: null, answer: null, silent: 'repeat' };
  const targets = await store.targets(m.from, at);
  const record = (citizenId: string | null, kind: string, action: AnswerKind | null, messageId: string | null = null) =>
    deps.feedback.recordResponse({ responseId: m.inboundId, citizenId, messageId, channel: m.channel, kind, body: m.body, at, action });
  if (targets.length === 0) {
    await record(null, 'reply', null);
    return { citizenId: null, answer: null, silent: 'unknown_sender' };
  }
  const thread = await store.thread(m.from, at);
  const open = targets.filter((t) => t.appointment !== null);
  let target: ReplyTarget | null =
    (thread?.citizenId ? targets.find((t) => t.citizenId === thread.citizenId) : undefined) ?? (open.length === 1 ? open[0]! : open.length === 0 ? targets[0]! : null);

  const campaigns = new Map<string, Campaign | null>();
  const campaignOf = async (t: ReplyTarget | null): Promise<Campaign | null> => {
    const id = t?.appointment?.campaignId;
    if (!id) return null;
    if (!campaigns.has(id)) campaigns.set(id, await store.campaign(id));
    return campaigns.get(id) ?? null;
  };

  let word: ReplyWord | null;
  let model: AnswerModel;
  if (target === null) {
    // A shared phone: nothing changes before the citizen is named.
    const named = replyName(m.body, open);
    if (named && thread?.pending) {
      target = named;
      word = thread.pending;
    } else if (named) {
      await store.saveThread({ phone: m.from, citizenId: named.citizenId, pending: null, offers: [], expiresAt: hoursLater(m.at, THREAD_HOURS) }, at);
      await record(named.citizenId, 'reply', 'not_understood');
      return answer(deps, m, named, await campaignOf(named), { kind: 'not_understood', options: [], names: [] });
    } else {
      const first = open[0]!;
      word = m.button ?? replyWord(m.body, mergeWords((await campaignOf(first))?.replies), first.language);
      const names = open.map((t) => t.givenName ?? t.citizenId);
      if (word) await store.saveThread({ phone: m.from, citizenId: null, pending: word, offers: [], expiresAt: hoursLater(m.at, THREAD_HOURS) }, at);
      await record(first.citizenId, word ?? 'reply', word ? 'who' : 'not_understood');
      return answer(deps, m, first, await campaignOf(first), { kind: word ? 'who' : 'not_understood', options: [], names });
    }
  } else {
    word = null;
  }

  const campaign = await campaignOf(target);
  const appt = target.appointment;
  // A letter answering the slots offered.
  const letter = thread?.citizenId === target.citizenId && thread.offers.length ? replyLetter(m.body, thread.offers.length) : null;
  if (letter && appt) {
    const offer = thread!.offers.find((o) => o.letter === letter)!;
    if (await store.moveTo(appt.appointmentId, offer, at)) {
      await store.endThread(m.from);
      await record(target.citizenId, 'change', 'moved', appt.messageId);
      return answer(deps, m, withStart(target, offer), campaign, { kind: 'moved', options: [], names: [] });
    }
    model = await offer3(deps, m, target, campaign, 'taken');
    await record(target.citizenId, 'change', model.kind, appt.messageId);
    return answer(deps, m, target, campaign, model);
  }
  word ??= m.button ?? replyWord(m.body, mergeWords(campaign?.replies), target.language);
  if (word === null) {
    await record(target.citizenId, 'reply', 'not_understood', appt?.messageId ?? null);
    return answer(deps, m, target, campaign, { kind: 'not_understood', options: [], names: [] });
  }
  if (!appt || !campaign) {
    await record(target.citizenId, word, 'no_appointment');
    return answer(deps, m, target, campaign, { kind: 'no_appointment', options: [], names: [] });
  }
  if (word === 'change') {
    model = await offer3(deps, m, target, campaign, 'options');
    await record(target.citizenId, 'change', model.kind, appt.messageId);
    return answer(deps, m, target, campaign, model);
  }
  // Confirm and decline move the appointment as a reply link's would (feedback/rules.ts answerMove).
  await store.endThread(m.from);
  await record(target.citizenId, word, word === 'confirm' ? 'confirmed' : 'declined', appt.messageId);
  return answer(deps, m, target, campaign, { kind: word === 'confirm' ? 'confirmed' : 'declined', options: [], names: [] });
}

/** Offers up to three later free slots (kept on the phone's thread for the letter that answers). */
async function offer3(deps: ConversationDeps, m: Inbound, target: ReplyTarget, campaign: Campaign | null, kind: 'options' | 'taken'): Promise<AnswerModel> {
  const appt = target.appointment!;
  if (!campaign) return { kind: 'no_options', options: [], names: [] };
  const centers = await deps.store.candidateCenters(target.place);
  const names = new Map(centers.map((c) => [c.centerId, c.name]));
  const request = laterSlotRequest(campaign, { appointmentId: appt.appointmentId, citizenId: target.citizenId, currentStart: appt.start }, centers, m.at);
  const found = await deps.store.offers(request, OFFER_LETTERS.length);
  const offers: Offer[] = found.map((o, i) => ({ ...o, letter: OFFER_LETTERS[i]!, centerName: names.get(o.centerId) ?? o.centerId }));
  if (offers.length === 0) return { kind: 'no_options', options: [], names: [] };
  await deps.store.saveThread({ phone: m.from, citizenId: target.citizenId, pending: null, offers, expiresAt: hoursLater(m.at, THREAD_HOURS) }, m.at.toISOString());
  return { kind, options: offers.map((o) => ({ letter: o.letter, start: o.start, center: o.centerName })), names: [] };
}

/** The target as it is after a move: the appointment at the chosen slot. */
function withStart(t: ReplyTarget, o: Offer): ReplyTarget {
  const a = t.appointment!;
  return { ...t, appointment: { ...a, start: o.start, state: 'confirmed', center: { centerId: o.centerId, name: o.centerName, address: a.center.centerId === o.centerId ? a.center.address : null, municipality: a.center.centerId === o.centerId ? a.center.municipality : null } } };
}

/** One answer per inbound message, at most `MAX_ANSWERS_PER_DAY` a day per phone. */
async function answer(deps: ConversationDeps, m: Inbound, target: ReplyTarget | null, campaign: Campaign | null, model: AnswerModel): Promise<Handled> {
  const citizenId = target?.citizenId ?? null;
  const at = m.at.toISOString();
  if (!deps.send) return { citizenId, answer: model.kind, silent: 'no_sender' };
  if ((await deps.store.answersSince(m.from, deps.dayStart(m.at))) >= MAX_ANSWERS_PER_DAY) {
    deps.log?.warn({ inbound: m.inboundId, citizenId }, 'reply not answered: the daily answer limit for this phone is reached');
    return { citizenId, answer: model.kind, silent: 'limit' };
  }
  const answerId = `answer.${m.inboundId}`;
  if (!(await deps.store.claimAnswer({ answerId, phone: m.from, citizenId, campaignId: campaign?.id ?? null, kind: model.kind, at }))) {
    return { citizenId, answer: model.kind, silent: 'repeat' };
  }
  try {
    const { providerId } = await deps.send({ answerId, to: m.from, target, campaign, model, channel: m.channel });
    await deps.store.answerSent(answerId, providerId, new Date().toISOString());
    deps.log?.info({ inbound: m.inboundId, citizenId, answer: model.kind }, 'reply answered');
    return { citizenId, answer: model.kind, silent: null };
  } catch (e) {
    const code = (e as { providerCode?: string; code?: string }).providerCode ?? (e as { code?: string }).code ?? 'SEND_FAILED';
    await deps.store.answerFailed(answerId, String(code), new Date().toISOString());
    deps.log?.warn({ inbound: m.inboundId, citizenId, code }, 'reply answer not sent');
    return { citizenId, answer: model.kind, silent: 'send_failed' };
  }
}
