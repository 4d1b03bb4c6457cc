/**
 * Automated calls that listen (issue 14, item 1). When the citizen answers, Twilio asks
 * `POST /webhooks/twilio/voice/answer?m=<message>` what to say: the step's voice template in the
 * citizen's language inside a `<Gather>` of one key, then the menu (templates/ivr):
 *
 * - 1 confirms the appointment;
 * - 2 reads the next free slots at the citizen's centres one by one, and 1 books the one just
 *   heard (the old slot freed in the same transaction), 2 the next;
 * - 3 asks for an operator: a call task due at once, in the citizen's language, marked for triage;
 * - 9 stops every message (an opt-out, `voice:9`).
 *
 * No key: the menu once more, then a goodbye, and the call counts as not answered (the
 * campaign's fallback rules follow, as after a call nobody picked up). An answering machine
 * (Twilio's `AnsweredBy`, `MachineDetection=Enable`) hears a short message with the free-phone
 * number and the call counts as not answered. Every key press is a response (channel `voice`)
 * keyed by the call and the menu it answered, so Twilio's retries store it once, and it shows
 * in the citizen's history. Logs ids and keys only.
 */
import twilio from 'twilio';
import type { Logger } from 'pino';
import { contextFor, renderStepMessage } from '../campaigns/messages.js';
import type { Campaign } from '../campaigns/schema.js';
import { storedCampaign } from '../campaigns/stored.js';
import { sayLanguage } from '../channels/voice.js';
import { buildContext, type MessageContext, type TemplateLibrary } from '../messages/index.js';
import { laterSlotRequest } from '../pacer/allocation.js';
import type { MessageForSend } from '../queues/store.js';
import type { Offer, ReplyStore, ReplyTarget } from './conversation.js';
import type { FeedbackStore } from './store.js';

/** The template of every prompt of the menu (templates/ivr/voice.<lang>.hbs, `ivr.kind`). */
export const IVR_TEMPLATE = 'ivr';

/** What the prompts template is given (`ivr.*`). */
export type PromptKind = 'menu' | 'again' | 'confirmed' | 'slot' | 'no_slots' | 'moved' | 'taken' | 'operator' | 'stopped' | 'goodbye' | 'machine';

/** Seconds the menu waits for a key. */
export const KEY_TIMEOUT_S = 6;
/** Menus played before a silent call ends (the first, and once more). */
export const MENU_PLAYS = 2;
/** Slots read one by one after key 2. */
export const SLOTS_READ = 3;

/** The webhook paths, relative to the public URL. */
export const VOICE_PATHS = { answer: '/webhooks/twilio/voice/answer', key: '/webhooks/twilio/voice/key' } as const;

export interface IvrStore {
  /** A call task for an operator, due at once, in the citizen's language, marked for triage (idempotent by `taskId`). */
  operatorTask(t: { taskId: string; messageId: string; campaignId: string; citizenId: string; language: string; at: string }): Promise<void>;
}

export interface IvrDeps {
  /** The message a call belongs to, as the worker loaded it to send (its citizen, appointment and campaign). */
  readonly messages: { loadForSend(messageId: string): Promise<MessageForSend | null> };
  readonly replies: Pick<ReplyStore, 'targets' | 'candidateCenters' | 'offers' | 'moveTo'>;
  readonly feedback: Pick<FeedbackStore, 'recordResponse' | 'optOutCitizen' | 'applyReceipt'>;
  readonly tasks: IvrStore;
  readonly library: TemplateLibrary;
  /** The base URL Twilio reaches the server at (the menu's `action`s are absolute). */
  readonly publicUrl: () => string;
  /** The free-phone number an answering machine is told to call (`INVITO_FREEPHONE`). */
  readonly freephone?: string;
  readonly now: () => Date;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
}

/** The state of a call between two webhooks, carried in the `action` URL Twilio signs and posts back. */
export interface CallStep {
  readonly messageId: string;
  /** Plays of the menu so far. */
  readonly plays: number;
  /** The slots being read, and the one just heard. */
  readonly offers?: readonly Offer[];
  readonly index?: number;
}

const encodeOffers = (o: readonly Offer[]): string => Buffer.from(JSON.stringify(o)).toString('base64url');
function decodeOffers(s: string | undefined): Offer[] | undefined {
  if (!s) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    return Array.isArray(v) ? (v as Offer[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The call step a key webhook's query describes (null: not one of ours). */
export function readStep(q: Readonly<Record<string, string | undefined>>): CallStep | null {
  if (!q.m) return null;
  const plays = Number(q.n ?? '1');
  const offers = decodeOffers(q.o);
  const index = q.i === undefined ? undefined : Number(q.i);
  return { messageId: q.m, plays: Number.isInteger(plays) && plays > 0 ? plays : 1, ...(offers ? { offers } : {}), ...(index !== undefined && Number.isInteger(index) ? { index } : {}) };
}

function keyUrl(base: string, s: CallStep): string {
  const q = new URLSearchParams({ m: s.messageId, n: String(s.plays) });
  if (s.offers) q.set('o', encodeOffers(s.offers));
  if (s.index !== undefined) q.set('i', String(s.index));
  return `${base}${VOICE_PATHS.key}?${q.toString()}`;
}

/** What one call is about: the message, its campaign, its citizen's open appointment. */
interface CallContext {
  readonly m: MessageForSend;
  readonly campaign: Campaign;
  readonly target: ReplyTarget | null;
  readonly language: string;
}

async function load(deps: IvrDeps, messageId: string): Promise<CallContext | null> {
  const m = await deps.messages.loadForSend(messageId);
  if (!m) return null;
  const campaign = storedCampaign(m.campaignId, m.definitionText);
  const targets = m.citizen.phone ? await deps.replies.targets(m.citizen.phone, deps.now().toISOString()) : [];
  const target = targets.find((t) => t.citizenId === m.citizen.citizen_id) ?? null;
  return { m, campaign, target, language: m.citizen.language };
}

/** The prompts' context: the citizen and the appointment as it is now. */
function promptContext(deps: IvrDeps, c: CallContext, ivr: Record<string, unknown>): MessageContext & { ivr: Record<string, unknown> } {
  const appt = c.target?.appointment ?? null;
  const base = buildContext({
    citizen: c.m.citizen,
    campaign: { id: c.campaign.id, name: c.campaign.name, timezone: c.campaign.timezone, ...(c.campaign.sender ? { sender: c.campaign.sender } : {}) },
    stepId: c.m.stepId,
    appointment: appt ? { center: appt.center, start: appt.start } : null,
    links: { baseUrl: deps.publicUrl(), token: c.m.linkToken },
    asOf: deps.now().toISOString().slice(0, 10),
  });
  return { ...base, ivr };
}

function prompt(deps: IvrDeps, c: CallContext, kind: PromptKind, extra: Record<string, unknown> = {}): { text: string; language: string } {
  const r = deps.library.render({
    templateId: IVR_TEMPLATE,
    channel: 'voice',
    // Every prompt sees every field (templates are strict): a slot is there even when none is read.
    context: promptContext(deps, c, { kind, freephone: deps.freephone ?? '', slot: { start: c.target?.appointment?.start ?? deps.now().toISOString(), center: '' }, ...extra }),
    defaultLanguage: c.campaign.language,
  });
  return { text: r.text, language: r.language };
}

type Twiml = InstanceType<typeof twilio.twiml.VoiceResponse>;

const say = (r: Twiml | ReturnType<Twiml['gather']>, p: { text: string; language: string }) =>
  r.say({ language: sayLanguage(p.language) as 'it-IT' }, p.text);

/** A menu: what to say inside a `<Gather>` of one key posting to the next step. */
function gather(deps: IvrDeps, step: CallStep, ...parts: { text: string; language: string }[]): string {
  const r = new twilio.twiml.VoiceResponse();
  const g = r.gather({ numDigits: 1, timeout: KEY_TIMEOUT_S, action: keyUrl(deps.publicUrl(), step), method: 'POST', actionOnEmptyResult: true });
  for (const p of parts) say(g, p);
  return r.toString();
}

function sayAndHangUp(...parts: { text: string; language: string }[]): string {
  const r = new twilio.twiml.VoiceResponse();
  for (const p of parts) say(r, p);
  r.hangup();
  return r.toString();
}

const HANG_UP = (() => {
  const r = new twilio.twiml.VoiceResponse();
  r.hangup();
  return r.toString();
})();

/** Whether Twilio's answering-machine detection heard a machine (or a fax) rather than a person. */
export const isMachine = (answeredBy: string | undefined): boolean => !!answeredBy && (answeredBy.startsWith('machine') || answeredBy === 'fax');

/** `POST /voice/answer`: the call was picked up. */
export async function answerCall(deps: IvrDeps, messageId: string, params: Readonly<Record<string, string>>): Promise<string> {
  const c = await load(deps, messageId);
  const callSid = params.CallSid ?? '';
  if (!c) return HANG_UP;
  const at = deps.now().toISOString();
  if (isMachine(params.AnsweredBy)) {
    await deps.feedback.recordResponse({ responseId: `${callSid}.answer`, citizenId: c.m.citizen.citizen_id, messageId, channel: 'voice', kind: 'machine', body: params.AnsweredBy ?? null, at, action: 'no_answer' });
    await deps.feedback.applyReceipt(callSid, 'undelivered', 'machine', at);
    deps.log?.info({ callSid, message: messageId }, 'answering machine: message left, call not answered');
    return sayAndHangUp(prompt(deps, c, 'machine'));
  }
  return gather(deps, { messageId, plays: 1 }, script(deps, c), prompt(deps, c, 'menu'));
}

/** The step's own voice text (the invitation, the reminder) as the worker would render it now. */
function script(deps: IvrDeps, c: CallContext): { text: string; language: string } {
  const step = c.campaign.steps.find((s) => s.id === c.m.stepId) ?? c.campaign.steps[0]!;
  const appt = c.target?.appointment ?? null;
  const center = appt ? { center_id: appt.center.centerId, name: appt.center.name, address: appt.center.address, municipality: appt.center.municipality, opening: '', daily_capacity: 0 } : c.m.appointment?.center ?? null;
  const context = contextFor({ campaign: c.campaign, stepId: step.id, citizen: c.m.citizen, center, start: appt?.start ?? c.m.appointment?.start ?? null, asOf: deps.now().toISOString().slice(0, 10), publicUrl: deps.publicUrl(), ...(c.m.linkToken ? { token: c.m.linkToken } : {}) });
  const r = renderStepMessage(deps.library, c.campaign, step, 'voice', context);
  return { text: r.text, language: r.language };
}

/** `POST /voice/key`: a key (or none) answering a menu or a slot read out. */
export async function pressKey(deps: IvrDeps, step: CallStep, params: Readonly<Record<string, string>>): Promise<string> {
  const c = await load(deps, step.messageId);
  if (!c) return HANG_UP;
  const callSid = params.CallSid ?? '';
  const digits = (params.Digits ?? '').trim();
  const at = deps.now().toISOString();
  const citizenId = c.m.citizen.citizen_id;
  const appt = c.target?.appointment ?? null;
  const where = step.offers ? `slot${step.index ?? 0}` : `menu${step.plays}`;
  const record = (kind: string, action: string, messageId: string | null = appt?.messageId ?? step.messageId) =>
    deps.feedback.recordResponse({ responseId: `${callSid}.${where}`, citizenId, messageId, channel: 'voice', kind, body: digits === '' ? null : `key ${digits}`, at, action });
  deps.log?.info({ callSid, message: step.messageId, where, key: digits || null }, 'key pressed');

  if (step.offers) {
    const i = step.index ?? 0;
    const offer = step.offers[i];
    if (digits === '1' && offer && appt) {
      const moved = await deps.replies.moveTo(appt.appointmentId, offer, at);
      await record('change', moved ? 'moved' : 'taken');
      if (moved) {
        const now: CallContext = { ...c, target: { ...c.target!, appointment: { ...appt, start: offer.start, state: 'confirmed', center: { centerId: offer.centerId, name: offer.centerName, address: appt.center.centerId === offer.centerId ? appt.center.address : null, municipality: appt.center.centerId === offer.centerId ? appt.center.municipality : null } } } };
        return sayAndHangUp(prompt(deps, now, 'moved'));
      }
      return gather(deps, { messageId: step.messageId, plays: 1 }, prompt(deps, c, 'taken'), prompt(deps, c, 'menu'));
    }
    if (digits === '2' && step.offers[i + 1]) {
      await record('key', 'next_slot');
      return gather(deps, { ...step, index: i + 1 }, slotPrompt(deps, c, step.offers[i + 1]!));
    }
    if (digits === '') {
      await record('key', 'no_input');
      return gather(deps, { messageId: step.messageId, plays: 1 }, prompt(deps, c, 'again'), prompt(deps, c, 'menu'));
    }
    await record('key', 'menu');
    return gather(deps, { messageId: step.messageId, plays: 1 }, prompt(deps, c, 'no_slots'), prompt(deps, c, 'menu'));
  }

  switch (digits) {
    case '1':
      await record('confirm', 'confirmed');
      return sayAndHangUp(prompt(deps, c, 'confirmed'));
    case '2': {
      const offers = appt ? await slotsFor(deps, c) : [];
      await record('change', offers.length ? 'options' : 'no_options');
      if (offers.length === 0) return gather(deps, { messageId: step.messageId, plays: 1 }, prompt(deps, c, 'no_slots'), prompt(deps, c, 'menu'));
      return gather(deps, { messageId: step.messageId, plays: 1, offers, index: 0 }, slotPrompt(deps, c, offers[0]!));
    }
    case '3':
      await deps.tasks.operatorTask({ taskId: `ivr-${callSid}`, messageId: step.messageId, campaignId: c.campaign.id, citizenId, language: c.language, at });
      await record('operator', 'operator');
      return sayAndHangUp(prompt(deps, c, 'operator'));
    case '9':
      await record('optout', 'stopped');
      await deps.feedback.optOutCitizen(citizenId, 'voice:9', at);
      return sayAndHangUp(prompt(deps, c, 'stopped'));
    case '':
      if (step.plays < MENU_PLAYS) {
        await record('key', 'no_input');
        return gather(deps, { messageId: step.messageId, plays: step.plays + 1 }, prompt(deps, c, 'again'), script(deps, c), prompt(deps, c, 'menu'));
      }
      await record('key', 'no_answer');
      await deps.feedback.applyReceipt(callSid, 'undelivered', 'no-input', at);
      return sayAndHangUp(prompt(deps, c, 'goodbye'));
    default:
      await record('key', 'not_understood');
      return gather(deps, { messageId: step.messageId, plays: step.plays }, prompt(deps, c, 'menu'));
  }
}

function slotPrompt(deps: IvrDeps, c: CallContext, o: Offer): { text: string; language: string } {
  return prompt(deps, c, 'slot', { slot: { start: o.start, center: o.centerName } });
}

/** Up to `SLOTS_READ` later free slots at the citizen's centres (the SMS change's rule, pacer/allocation.ts). */
async function slotsFor(deps: IvrDeps, c: CallContext): Promise<Offer[]> {
  const t = c.target!;
  const appt = t.appointment!;
  const centers = await deps.replies.candidateCenters(t.place);
  const names = new Map(centers.map((k) => [k.centerId, k.name]));
  const request = laterSlotRequest(c.campaign, { appointmentId: appt.appointmentId, citizenId: t.citizenId, currentStart: null }, centers, deps.now());
  const found = await deps.replies.offers(request, SLOTS_READ);
  return found.map((o, i) => ({ ...o, letter: String(i + 1), centerName: names.get(o.centerId) ?? o.centerId }));
}
