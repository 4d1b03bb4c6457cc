/**
 * invito's answer to a citizen's text: the `reply` template rendered in the citizen's language
 * for what the reply did (`reply.kind`, the slots offered, the names a shared phone chooses
 * from), sent at once through the channel the citizen wrote on: SMS, or WhatsApp as free text
 * (the citizen's message opened WhatsApp's 24-hour window). Built by the composition root.
 */
import type { ChannelAdapter } from '../channels/channel.js';
import { buildContext, type MessageContext, type TemplateLibrary } from '../messages/index.js';
import type { AnswerModel, AnswerSender } from './conversation.js';

/** The template every answer is rendered from (templates/reply/sms.<lang>.hbs). */
export const REPLY_TEMPLATE = 'reply';

export interface AnswerSenderOptions {
  readonly library: TemplateLibrary;
  readonly sms: ChannelAdapter;
  /** Answers WhatsApp replies; without it they are answered by SMS. */
  readonly whatsapp?: ChannelAdapter;
  /** Base of links in answers (`INVITO_PUBLIC_URL`). */
  readonly publicUrl: string;
  /** The language an answer falls back to when the citizen's has no reply template. @defaultValue it */
  readonly defaultLanguage?: string;
  /** The installation's time zone, for answers with no campaign. @defaultValue Europe/Rome */
  readonly timezone?: string;
}

export type AnswerContext = MessageContext & { readonly reply: AnswerModel };

export function answerSender(o: AnswerSenderOptions): AnswerSender {
  return async ({ answerId, to, target, campaign, model, channel }) => {
    const timezone = campaign?.timezone ?? o.timezone ?? 'Europe/Rome';
    const appt = target?.appointment ?? null;
    const base = buildContext({
      citizen: {
        citizen_id: target?.citizenId ?? 'unknown',
        given_name: target?.givenName ?? null,
        family_name: target?.familyName ?? null,
        birth_date: target?.birthDate ?? '1900-01-01',
        sex: target?.sex ?? null,
        language: target?.language ?? o.defaultLanguage ?? 'it',
      },
      campaign: { id: campaign?.id ?? '', name: campaign?.name ?? '', timezone },
      stepId: REPLY_TEMPLATE,
      appointment: appt ? { center: appt.center, start: appt.start } : null,
      links: { baseUrl: o.publicUrl, token: appt?.linkToken ?? '' },
      asOf: new Date().toISOString().slice(0, 10),
    });
    const context: AnswerContext = { ...base, reply: model };
    const r = o.library.render({
      templateId: REPLY_TEMPLATE,
      channel: 'sms',
      context,
      defaultLanguage: campaign?.language ?? o.defaultLanguage ?? 'it',
      sms: { maxSegments: 4, transliterate: campaign?.sms.transliterate ?? true },
    });
    const by = channel === 'whatsapp' && o.whatsapp ? o.whatsapp : o.sms;
    return by.send({ messageId: answerId, campaignId: campaign?.id ?? '', citizenId: target?.citizenId ?? '', channel: by.name, to, language: r.language, text: r.text, optOutUrl: base.links.optout });
  };
}
