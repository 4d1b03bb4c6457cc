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
export type PromptKind =
  | 'menu' | 'again' | 'confirmed' | 'slot' | 'no_slots' | 'moved' | 'taken' | 'operator' | 'stopped' | 'goodbye' | 'machine'
  | 'inbound' | 'inbound_menu' | 'declined' | 'who' | 'welcome' | 'waiting' | 'callback_offer' | 'callback' | 'call_later';

/** Seconds the menu waits for a key. */
export const KEY_TIMEOUT_S = 6;
/** Menus played before a silent call ends (the first, and once more). */
export const MENU_PLAYS = 2;
/** Slots read one by one after key 2. */
export const SLOTS_READ = 3;

/** The webhook paths, relative to the public URL. */
export const VOICE_PATHS = {
  answer: '/webhooks/twilio/voice/answer',
  key: '/webhooks/twilio/voice/key',
  inbound: '/webhooks/twilio/voice/inbound',
  who: '/webhooks/twilio/voice/inbound/who',
  wait: '/webhooks/twilio/voice/wait',
  queued: '/webhooks/twilio/voice/queued',
  callback: '/webhooks/twilio/voice/callback',
  /** The operator's leg (issue 14, item 3): its TwiML, the caller bridged to it, its Dial's end, its status. */
  agent: '/webhooks/twilio/voice/agent',
  bridge: '/webhooks/twilio/voice/agent/bridge',
  agentDone: '/webhooks/twilio/voice/agent/done',
  agentStatus: '/webhooks/twilio/voice/agent/status',
} as const;

/** How long a caller waits for an operator before a callback is offered, unless the caller's campaign says (`inbound.max_wait_minutes`). */
export const DEFAULT_MAX_WAIT_MINUTES = 5;

/** The queue of callers waiting for an operator who speaks `language` (Twilio `<Enqueue>` by name). */
export const queueName = (language: string): string => `invito-${language.split('-')[0]}`;

export interface IvrStore {
  /** A call task for an operator, due at once, in the citizen's language, marked for triage (idempotent by `taskId`). */
  operatorTask(t: { taskId: string; messageId: string; campaignId: string; citizenId: string; language: string; at: string }): Promise<void>;
}

/** What the line's distribution hears of the queues and the operators' legs (desk/line.ts `Line`). */
export interface LineEvents {
  waiting(c: { callSid: string; language: string; citizenId: string | null; messageId: string | null }): Promise<void>;
  leftQueue(callSid: string, result: string): Promise<void>;
  bridged(callSid: string, operatorId: string): Promise<unknown>;
  legEnded(operatorId: string, missed: boolean): Promise<void>;
  operatorView(operatorId: string): Promise<{ operator: { onCall: string | null } | null }>;
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
  /** The free-phone line's language, for callers nobody can identify. @defaultValue it */
  readonly lineLanguage?: string;
  /** Automatic call distribution: waiting callers are connected to ready operators. Absent: they wait, then are offered a callback. */
  readonly line?: LineEvents;
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
  /** A call to the free-phone line (its menu adds 4 to decline, and 3 queues for an operator). */
  readonly inbound?: boolean;
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
  return {
    messageId: q.m,
    plays: Number.isInteger(plays) && plays > 0 ? plays : 1,
    ...(offers ? { offers } : {}),
    ...(index !== undefined && Number.isInteger(index) ? { index } : {}),
    ...(q.in === '1' ? { inbound: true } : {}),
  };
}

function keyUrl(base: string, s: CallStep): string {
  const q = new URLSearchParams({ m: s.messageId, n: String(s.plays) });
  if (s.offers) q.set('o', encodeOffers(s.offers));
  if (s.index !== undefined) q.set('i', String(s.index));
  if (s.inbound) q.set('in', '1');
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
    context: promptContext(deps, c, { kind, freephone: deps.freephone ?? '', slot: { start: c.target?.appointment?.start ?? deps.now().toISOString(), center: '' }, position: 0, ...extra }),
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

/** The menu a call plays: the free-phone line's has a key to decline. */
const menuOf = (step: CallStep): PromptKind => (step.inbound ? 'inbound_menu' : 'menu');

/** `POST /voice/key`: a key (or none) answering a menu or a slot read out. */
export async function pressKey(deps: IvrDeps, step: CallStep, params: Readonly<Record<string, string>>): Promise<string> {
  const c = await load(deps, step.messageId);
  if (!c) return HANG_UP;
  const callSid = params.CallSid ?? '';
  const digits = (params.Digits ?? '').trim();
  const at = deps.now().toISOString();
  const citizenId = c.m.citizen.citizen_id;
  const appt = c.target?.appointment ?? null;
  /** The next step of this call (the line's calls stay the line's). */
  const stepAt = (plays: number, more: Partial<CallStep> = {}): CallStep => ({ messageId: step.messageId, plays, ...(step.inbound ? { inbound: true } : {}), ...more });
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
      return gather(deps, stepAt(1), prompt(deps, c, 'taken'), prompt(deps, c, menuOf(step)));
    }
    if (digits === '2' && step.offers[i + 1]) {
      await record('key', 'next_slot');
      return gather(deps, { ...step, index: i + 1 }, slotPrompt(deps, c, step.offers[i + 1]!));
    }
    if (digits === '') {
      await record('key', 'no_input');
      return gather(deps, stepAt(1), prompt(deps, c, 'again'), prompt(deps, c, menuOf(step)));
    }
    await record('key', 'menu');
    return gather(deps, stepAt(1), prompt(deps, c, 'no_slots'), prompt(deps, c, menuOf(step)));
  }

  switch (digits) {
    case '1':
      await record('confirm', 'confirmed');
      return sayAndHangUp(prompt(deps, c, 'confirmed'));
    case '2': {
      const offers = appt ? await slotsFor(deps, c) : [];
      await record('change', offers.length ? 'options' : 'no_options');
      if (offers.length === 0) return gather(deps, stepAt(1), prompt(deps, c, 'no_slots'), prompt(deps, c, menuOf(step)));
      return gather(deps, stepAt(1, { offers, index: 0 }), slotPrompt(deps, c, offers[0]!));
    }
    case '4':
      if (!step.inbound) break;
      await record('decline', 'declined');
      return sayAndHangUp(prompt(deps, c, 'declined'));
    case '3':
      if (step.inbound) {
        await record('operator', 'queued');
        return enqueue(deps, c.language, maxWait(c.campaign), step.messageId);
      }
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
        return gather(deps, stepAt(step.plays + 1), prompt(deps, c, 'again'), step.inbound ? prompt(deps, c, 'inbound') : script(deps, c), prompt(deps, c, menuOf(step)));
      }
      await record('key', 'no_answer');
      // An automated call nobody answered counts as not answered; a caller of the line just hangs up.
      if (!step.inbound) await deps.feedback.applyReceipt(callSid, 'undelivered', 'no-input', at);
      return sayAndHangUp(prompt(deps, c, 'goodbye'));
  }
  await record('key', 'not_understood');
  return gather(deps, stepAt(step.plays), prompt(deps, c, menuOf(step)));
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
  const request = laterSlotRequest(c.campaign, { appointmentId: appt.appointmentId, citizenId: t.citizenId, currentStart: appt.start }, centers, deps.now());
  const found = await deps.replies.offers(request, SLOTS_READ);
  return found.map((o, i) => ({ ...o, letter: String(i + 1), centerName: names.get(o.centerId) ?? o.centerId }));
}

// ── The free-phone line (issue 14, item 2) ─────────────────────────────────────────────────

/** The caller's campaign's wait before a callback is offered, in seconds. */
const maxWait = (campaign: Campaign | null): number => 60 * (campaign?.inbound?.max_wait_minutes ?? DEFAULT_MAX_WAIT_MINUTES);

/** A prompt for a caller nobody identified: no citizen, no appointment, the line's language. */
function anonymousPrompt(deps: IvrDeps, kind: PromptKind, extra: Record<string, unknown> = {}): { text: string; language: string } {
  const language = deps.lineLanguage ?? 'it';
  const base = buildContext({
    citizen: { citizen_id: 'unknown', given_name: null, family_name: null, birth_date: '1900-01-01', sex: null, language },
    campaign: { id: '', name: '', timezone: 'Europe/Rome' },
    stepId: 'inbound',
    appointment: null,
    links: { baseUrl: deps.publicUrl(), token: '' },
    asOf: deps.now().toISOString().slice(0, 10),
  });
  const r = deps.library.render({
    templateId: IVR_TEMPLATE,
    channel: 'voice',
    context: { ...base, ivr: { kind, freephone: deps.freephone ?? '', slot: { start: deps.now().toISOString(), center: '' }, position: 0, ...extra } } as MessageContext,
    defaultLanguage: language,
  });
  return { text: r.text, language: r.language };
}

/**
 * Puts the caller in the queue of operators who speak `language` (`<Enqueue>`): the wait URL
 * tells them their place, and after `maxWaitS` they leave the queue and are offered a callback.
 */
function enqueue(deps: IvrDeps, language: string, maxWaitS: number, messageId: string | null, ...before: { text: string; language: string }[]): string {
  const r = new twilio.twiml.VoiceResponse();
  for (const p of before) say(r, p);
  const q = new URLSearchParams({ lang: language, max: String(maxWaitS), ...(messageId ? { m: messageId } : {}) });
  r.enqueue({ waitUrl: `${deps.publicUrl()}${VOICE_PATHS.wait}?${q}`, waitUrlMethod: 'POST', action: `${deps.publicUrl()}${VOICE_PATHS.queued}?${q}`, method: 'POST' }, queueName(language));
  return r.toString();
}

/** The citizens a caller's number belongs to, with an open appointment. */
async function openTargets(deps: IvrDeps, from: string): Promise<ReplyTarget[]> {
  const all = await deps.replies.targets(from.replace(/^client:|^sip:/, ''), deps.now().toISOString());
  return all.filter((t) => t.appointment !== null);
}

/** The line's menu for an identified caller: their appointment, then the keys. */
async function menuFor(deps: IvrDeps, t: ReplyTarget): Promise<string> {
  const c = await load(deps, t.appointment!.messageId);
  if (!c) return enqueue(deps, t.language, maxWait(null), null, anonymousPrompt(deps, 'welcome'));
  const step: CallStep = { messageId: c.m.messageId, plays: 1, inbound: true };
  return gather(deps, step, prompt(deps, c, 'inbound'), prompt(deps, c, 'inbound_menu'));
}

/**
 * `POST /voice/inbound`: a call to the installation's number. One citizen with an open
 * appointment behind the caller's number hears it and the menu; several are asked for a birth
 * date by keys; nobody identified goes to an operator of the line's language.
 */
export async function inboundCall(deps: IvrDeps, params: Readonly<Record<string, string>>): Promise<string> {
  const targets = await openTargets(deps, params.From ?? '');
  deps.log?.info({ callSid: params.CallSid, identified: targets.length }, 'inbound call');
  if (targets.length === 1) return menuFor(deps, targets[0]!);
  if (targets.length > 1) {
    const r = new twilio.twiml.VoiceResponse();
    const g = r.gather({ numDigits: 8, timeout: 10, action: `${deps.publicUrl()}${VOICE_PATHS.who}`, method: 'POST', actionOnEmptyResult: true });
    say(g, anonymousPrompt(deps, 'who'));
    return r.toString();
  }
  return enqueue(deps, deps.lineLanguage ?? 'it', maxWait(null), null, anonymousPrompt(deps, 'welcome'));
}

/** `POST /voice/inbound/who`: the birth date a shared phone's caller typed (DDMMYYYY). */
export async function inboundWho(deps: IvrDeps, params: Readonly<Record<string, string>>): Promise<string> {
  const targets = await openTargets(deps, params.From ?? '');
  const d = (params.Digits ?? '').trim();
  const date = /^\d{8}$/.test(d) ? `${d.slice(4, 8)}-${d.slice(2, 4)}-${d.slice(0, 2)}` : null;
  const hit = date ? targets.filter((t) => t.birthDate === date) : [];
  deps.log?.info({ callSid: params.CallSid, found: hit.length === 1 }, 'inbound caller named by birth date');
  if (hit.length === 1) return menuFor(deps, hit[0]!);
  return enqueue(deps, targets[0]?.language ?? deps.lineLanguage ?? 'it', maxWait(null), null, anonymousPrompt(deps, 'welcome'));
}

/** `POST /voice/wait`: Twilio asks what a waiting caller hears (their place); past the wait, they leave for a callback. */
export async function waitInQueue(deps: IvrDeps, q: Readonly<Record<string, string | undefined>>, params: Readonly<Record<string, string>>): Promise<string> {
  const r = new twilio.twiml.VoiceResponse();
  if (Number(params.QueueTime ?? 0) >= Number(q.max ?? DEFAULT_MAX_WAIT_MINUTES * 60)) {
    r.leave();
    return r.toString();
  }
  // The caller's message, loaded once: who waits (for the line) and what they hear.
  const c = q.m ? await load(deps, q.m) : null;
  // Recorded on the first request; every request also serves the queue again, so a caller is
  // never left waiting by a dial that was lost while an operator is ready.
  if (deps.line && params.CallSid) await deps.line.waiting({ callSid: params.CallSid, language: q.lang ?? deps.lineLanguage ?? 'it', citizenId: c?.m.citizen.citizen_id ?? null, messageId: c ? c.m.messageId : null });
  const position = Number(params.QueuePosition ?? 0);
  say(r, c ? prompt(deps, c, 'waiting', { position }) : anonymousPrompt(deps, 'waiting', { position }));
  r.pause({ length: 20 });
  return r.toString();
}

/** `POST /voice/queued`: the caller left the queue; one who waited too long (`leave`) is offered a callback. */
export async function leftQueue(deps: IvrDeps, q: Readonly<Record<string, string | undefined>>, params: Readonly<Record<string, string>>): Promise<string> {
  if (deps.line && params.CallSid && params.QueueResult) await deps.line.leftQueue(params.CallSid, params.QueueResult);
  if (params.QueueResult !== 'leave') return HANG_UP;
  const c = q.m ? await load(deps, q.m) : null;
  // A caller nobody identified cannot be put on a campaign's list: asked to call again.
  if (!c) return sayAndHangUp(anonymousPrompt(deps, 'call_later'));
  const r = new twilio.twiml.VoiceResponse();
  const g = r.gather({ numDigits: 1, timeout: KEY_TIMEOUT_S, action: `${deps.publicUrl()}${VOICE_PATHS.callback}?${new URLSearchParams(q.m ? { m: q.m } : {})}`, method: 'POST', actionOnEmptyResult: true });
  say(g, prompt(deps, c, 'callback_offer'));
  return r.toString();
}

/** `POST /voice/callback`: 1 asks to be called back: a call task due at once (only for a caller invito knows). */
export async function callbackChoice(deps: IvrDeps, q: Readonly<Record<string, string | undefined>>, params: Readonly<Record<string, string>>): Promise<string> {
  const c = q.m ? await load(deps, q.m) : null;
  const callSid = params.CallSid ?? '';
  const at = deps.now().toISOString();
  if (!c) return sayAndHangUp(anonymousPrompt(deps, 'call_later'));
  if ((params.Digits ?? '').trim() !== '1') return sayAndHangUp(prompt(deps, c, 'call_later'));
  await deps.tasks.operatorTask({ taskId: `ivr-${callSid}`, messageId: c.m.messageId, campaignId: c.campaign.id, citizenId: c.m.citizen.citizen_id, language: c.language, at });
    await deps.feedback.recordResponse({ responseId: `${callSid}.callback`, citizenId: c.m.citizen.citizen_id, messageId: c.m.messageId, channel: 'voice', kind: 'callback', body: 'key 1', at, action: 'callback' });
  return sayAndHangUp(prompt(deps, c, 'callback'));
}

// ── The operator's leg (issue 14, item 3) ──────────────────────────────────────────────────

/** `POST /voice/agent?op=&lang=`: the operator picked up: take the head of the language's queue, telling the line who was bridged. */
export function agentLeg(deps: IvrDeps, q: Readonly<Record<string, string | undefined>>): string {
  const op = q.op ?? '';
  const r = new twilio.twiml.VoiceResponse();
  const base = deps.publicUrl();
  const dial = r.dial({ action: `${base}${VOICE_PATHS.agentDone}?${new URLSearchParams({ op })}`, method: 'POST' });
  dial.queue({ url: `${base}${VOICE_PATHS.bridge}?${new URLSearchParams({ op })}`, method: 'POST' }, queueName(q.lang ?? deps.lineLanguage ?? 'it'));
  return r.toString();
}

/** `POST /voice/agent/bridge?op=`: Twilio dequeued a caller (its `CallSid`) for the operator's leg. */
export async function bridgeCaller(deps: IvrDeps, q: Readonly<Record<string, string | undefined>>, params: Readonly<Record<string, string>>): Promise<string> {
  if (deps.line && q.op && params.CallSid) await deps.line.bridged(params.CallSid, q.op);
  return new twilio.twiml.VoiceResponse().toString();
}

/** `POST /voice/agent/done?op=`: the operator's `<Dial>` ended (the caller and the operator talked, or the queue was empty). */
export async function agentDone(deps: IvrDeps, q: Readonly<Record<string, string | undefined>>): Promise<string> {
  if (deps.line && q.op) await deps.line.legEnded(q.op, false);
  return HANG_UP;
}

/** Statuses of an operator's leg that mean it was never answered. */
const MISSED = new Set(['busy', 'no-answer', 'failed', 'canceled']);

/**
 * `POST /voice/agent/status?op=&c=`: the operator's leg ended. Not answered: the operator is no
 * longer ready and the caller waits for the next one; answered, it frees the operator if the
 * `<Dial>`'s end did not (the operator hung up first).
 */
export async function agentStatus(deps: IvrDeps, q: Readonly<Record<string, string | undefined>>, params: Readonly<Record<string, string>>): Promise<string> {
  const op = q.op;
  if (!deps.line || !op) return '';
  if (MISSED.has(params.CallStatus ?? '')) await deps.line.legEnded(op, true);
  else if (params.CallStatus === 'completed') {
    const { operator } = await deps.line.operatorView(op);
    if (operator?.onCall && operator.onCall === q.c) await deps.line.legEnded(op, false);
  }
  return '';
}

/** The URLs of an operator's leg under `base` (desk/line.ts `LegUrls`). */
export function legUrls(base: () => string): { agent(q: { callSid: string; operatorId: string; language: string }): string; status(q: { callSid: string; operatorId: string }): string } {
  return {
    agent: (q) => `${base()}${VOICE_PATHS.agent}?${new URLSearchParams({ op: q.operatorId, lang: q.language, c: q.callSid })}`,
    status: (q) => `${base()}${VOICE_PATHS.agentStatus}?${new URLSearchParams({ op: q.operatorId, c: q.callSid })}`,
  };
}
