/**
 * Messages of a campaign: the template library in use, the public URL of reply links, and
 * contexts for a citizen with a provisional appointment. Slot allocation (the pacing issue)
 * gives real appointments; until then a check, a plan or a preview needs a plausible one.
 */
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import type { Channel } from '../core/channels.js';
import { InvitoError } from '../core/errors.js';
import { messageKey } from '../core/lifecycle.js';
import {
  buildContext,
  describeWhatsApp,
  loadTemplates,
  type MessageContext,
  type RenderedMessage,
  type RenderedWhatsApp,
  renderWhatsApp,
  type SmsOptions,
  type TemplateLibrary,
} from '../messages/index.js';
import { parseOpening } from '../registry/opening.js';
import type { Campaign, CampaignStep } from './schema.js';
import type { CenterCard, CitizenCard } from './store.js';

/** The templates shipped with invito, used when the working directory has no `templates/`. */
const BUILTIN_TEMPLATES = fileURLToPath(new URL('../../templates', import.meta.url));

/**
 * Where templates come from: `--templates DIR`, else `INVITO_TEMPLATES`, else `./templates` when
 * the working directory has one, else the templates shipped with invito.
 */
export function templatesDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.INVITO_TEMPLATES) return resolve(process.env.INVITO_TEMPLATES);
  return existsSync('templates') ? resolve('templates') : BUILTIN_TEMPLATES;
}

const libraries = new Map<string, Promise<TemplateLibrary>>();

/** The compiled template folder, loaded once per process. */
export function templateLibrary(dir: string = templatesDir()): Promise<TemplateLibrary> {
  let lib = libraries.get(dir);
  if (!lib) {
    lib = loadTemplates(dir);
    libraries.set(dir, lib);
  }
  return lib;
}

/** The base of reply links (confirm, decline, opt-out): `INVITO_PUBLIC_URL`. */
export const publicUrl = (): string => process.env.INVITO_PUBLIC_URL || 'http://127.0.0.1:8080';

/**
 * The token of a message's reply links: 12 base64url characters, 72 bits of an HMAC of the
 * message key, so links cannot be guessed and an SMS spends few characters on them (issue 13).
 * Links issued before (22 characters) keep working: the store looks tokens up as recorded.
 * `INVITO_LINK_SECRET` must be set in production.
 */
export const LINK_TOKEN_LENGTH = 12;
export function linkToken(messageKey: string, secret: string = process.env.INVITO_LINK_SECRET || 'invito-development-secret'): string {
  return createHmac('sha256', secret).update(messageKey).digest('base64url').slice(0, LINK_TOKEN_LENGTH);
}

export { messageKey };

/**
 * A provisional appointment: the centre's first opening time on the first open day at least
 * `leadDays` after `from` (the campaign's local time). Real slots come from the pacer.
 */
export function provisionalStart(center: CenterCard, campaign: Campaign, from: DateTime, leadDays = 2): string {
  const parsed = parseOpening(center.opening);
  const rules = parsed.ok ? parsed.value : [];
  let day = from.setZone(campaign.timezone).startOf('day').plus({ days: leadDays });
  for (let i = 0; i < 14; i++, day = day.plus({ days: 1 })) {
    const rule = rules.find((r) => r.days.includes(day.weekday));
    const first = rule?.ranges[0];
    if (first) return day.plus({ minutes: first[0] }).toISO()!;
  }
  return day.set({ hour: 9 }).toISO()!;
}

/**
 * The date whose weekday and month names are longest in the campaign's languages (a Wednesday
 * in late September, at 10:30): the worst case for the length of an SMS.
 */
export function worstCaseStart(campaign: Campaign): string {
  const year = Number(campaign.reference_date.slice(0, 4));
  let d = DateTime.fromObject({ year, month: 9, day: 30, hour: 10, minute: 30 }, { zone: campaign.timezone });
  while (d.weekday !== 3) d = d.minus({ days: 1 });
  return d.toISO()!;
}

/**
 * A stand-in centre (a real, long name) for estimates when the registry has no centre serving
 * a citizen, so their messages can still be measured.
 */
export const SAMPLE_CENTER: CenterCard = {
  center_id: 'SAMPLE',
  name: 'Centro vaccinale Fiera di Roma',
  address: 'Via Portuense 1645',
  municipality: 'Roma',
  opening: 'mon-sat 08:00-20:00',
  daily_capacity: 375,
};

export interface ContextOptions {
  readonly campaign: Campaign;
  readonly stepId: string;
  readonly citizen: CitizenCard;
  readonly center: CenterCard | null;
  /** ISO start of the appointment; ignored without a centre. */
  readonly start: string | null;
  /** The day ages are computed on. @defaultValue the campaign's reference date */
  readonly asOf?: string;
  /** Base of reply links. @defaultValue publicUrl() */
  readonly publicUrl?: string;
  /**
   * The reply-link token the store recorded when the message was released (what the feedback
   * server looks links up by). @defaultValue derived from the message key
   */
  readonly token?: string;
}

export function contextFor(o: ContextOptions): MessageContext {
  return buildContext({
    citizen: o.citizen,
    campaign: { id: o.campaign.id, name: o.campaign.name, timezone: o.campaign.timezone, sender: o.campaign.sender },
    stepId: o.stepId,
    appointment: o.center && o.start ? { center: { name: o.center.name, address: o.center.address, municipality: o.center.municipality }, start: o.start } : null,
    links: { baseUrl: o.publicUrl ?? publicUrl(), token: o.token ?? linkToken(messageKey(o.campaign.id, o.stepId, o.citizen.citizen_id)) },
    asOf: o.asOf ?? o.campaign.reference_date,
  });
}

/** A step's message for one citizen on one channel: a template file's, or WhatsApp's content template. */
export type StepMessage = RenderedMessage | RenderedWhatsApp;

/**
 * Renders one step's message on one channel, the one way the worker, the preview and the checks
 * do: a WhatsApp message from the step's content template and variables (messages/whatsapp.ts),
 * every other channel from the step's template file.
 */
export function renderStepMessage(library: TemplateLibrary, campaign: Campaign, step: CampaignStep, channel: Channel, context: MessageContext, sms?: Partial<SmsOptions>): StepMessage {
  if (channel === 'whatsapp') {
    if (!step.whatsapp) throw new InvitoError('CAMPAIGN_INVALID', `step ${step.id} sends by whatsapp without whatsapp.content_sid`);
    const content = renderWhatsApp(library, step.whatsapp, context, campaign.language, `campaign ${campaign.id} step ${step.id} whatsapp`);
    return { channel: 'whatsapp', templateId: step.template, language: content.language, text: describeWhatsApp(content), content };
  }
  return library.render({
    templateId: step.template,
    channel,
    context,
    defaultLanguage: campaign.language,
    sms: sms ?? { maxSegments: campaign.sms.max_segments, transliterate: campaign.sms.transliterate },
  });
}
