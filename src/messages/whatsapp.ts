/**
 * A WhatsApp message as invito sends it (issue 13, item 4). A business may start a WhatsApp
 * conversation only with a content template Meta approved, so a step sending by WhatsApp names
 * its template (`whatsapp.content_sid`, one per language) and fills its numbered variables
 * (`whatsapp.variables`, Handlebars expressions over the usual message context). The text is
 * Twilio's to assemble; invito sends the SID and the variables. Answers to a citizen who wrote
 * (the 24-hour customer-service window) are free text: feedback/answers.ts.
 */
import { InvitoError } from '../core/errors.js';
import type { MessageContext } from './context.js';
import { FALLBACK_LANGUAGE, type TemplateLibrary } from './library.js';

/** A step's WhatsApp settings, as the campaign gives them. */
export interface WhatsAppSettings {
  readonly content_sid: string | Readonly<Record<string, string>>;
  readonly variables?: Readonly<Record<string, string>> | undefined;
}

/**
 * The variables invito fills when a step names none, and what an authority's content template
 * is written against: no name (a phone may be a family's), who writes, when, where, and the page.
 * The template's quick-reply buttons carry the ids in `BUTTON_IDS` (feedback/replies.ts).
 */
export const DEFAULT_WHATSAPP_VARIABLES: Readonly<Record<string, string>> = {
  '1': '{{campaign.sender}}',
  '2': '{{date appointment.start "full"}}',
  '3': '{{time appointment.start}}',
  '4': '{{appointment.center.name}}',
  '5': '{{#if appointment.center.address}}{{appointment.center.address}}{{else}}{{appointment.center.municipality}}{{/if}}',
  '6': '{{links.page}}',
};

/** What a variable that came out empty is sent as: Meta refuses empty parameters. */
export const EMPTY_VARIABLE = '-';

export interface WhatsAppContent {
  readonly contentSid: string;
  /** The language of the content template chosen (the citizen's, else the campaign's, else Italian). */
  readonly language: string;
  readonly variables: Readonly<Record<string, string>>;
}

/**
 * The content template for a citizen's language: the citizen's, its base language (`de-AT` →
 * `de`), the campaign's default, Italian; one SID for all languages is used as it is.
 * @returns null when the step names none of them.
 */
export function contentFor(settings: WhatsAppSettings, citizenLanguage: string, defaultLanguage: string): { contentSid: string; language: string } | null {
  const sids = settings.content_sid;
  if (typeof sids === 'string') return { contentSid: sids, language: defaultLanguage };
  const tag = citizenLanguage.trim().toLowerCase().replace(/_/g, '-');
  for (const language of [tag, tag.split('-')[0]!, defaultLanguage, FALLBACK_LANGUAGE]) {
    const sid = sids[language];
    if (sid !== undefined) return { contentSid: sid, language };
  }
  return null;
}

/**
 * Renders a step's WhatsApp message for one citizen.
 * @throws InvitoError TEMPLATE_LANGUAGE_MISSING (no content template for the citizen's, the
 *   default or the Italian language), or a variable's TEMPLATE_SYNTAX / TEMPLATE_MISSING_VARIABLE.
 */
export function renderWhatsApp(library: TemplateLibrary, settings: WhatsAppSettings, context: MessageContext, defaultLanguage: string, where: string): WhatsAppContent {
  const content = contentFor(settings, context.citizen.language, defaultLanguage);
  if (content === null) {
    throw new InvitoError('TEMPLATE_LANGUAGE_MISSING', `${where}: no WhatsApp content template in ${context.citizen.language}, in the default ${defaultLanguage}, or in ${FALLBACK_LANGUAGE}; citizen ${context.citizen.id}`);
  }
  const rendered = library.renderInline(settings.variables ?? DEFAULT_WHATSAPP_VARIABLES, context, content.language, where);
  const variables = Object.fromEntries(Object.entries(rendered).map(([k, v]) => [k, v === '' ? EMPTY_VARIABLE : v]));
  return { ...content, variables };
}

/** A readable one-line form of a content message (`HX… 1=SSN · 2=…`), for previews and the outbound text. */
export const describeWhatsApp = (c: WhatsAppContent): string =>
  `${c.contentSid} ${Object.entries(c.variables).map(([k, v]) => `{{${k}}}=${v}`).join(' · ')}`;

/** A step's WhatsApp message rendered for one citizen, beside the template files' rendered messages. */
export interface RenderedWhatsApp {
  readonly channel: 'whatsapp';
  readonly templateId: string;
  readonly language: string;
  /** `describeWhatsApp` of the content: what previews show. */
  readonly text: string;
  readonly content: WhatsAppContent;
}
