/**
 * The channels a process can send on, built from configuration. Real providers and the local
 * sandbox differ only in configuration: `INVITO_TWILIO_API_BASE` points the Twilio SDK at the
 * sandbox, `INVITO_SMTP_URL` at its SMTP sink.
 */
import type { Channel } from '../core/channels.js';
import { InvitoError } from '../core/errors.js';
import { CallChannel, type CallTaskStore } from './call.js';
import type { ChannelAdapter } from './channel.js';
import { EmailChannel } from './email.js';
import { SmsChannel } from './sms.js';
import { createTwilioClient } from './twilio/http-client.js';
import { OperatorDialer, VoiceChannel } from './voice.js';
import { WhatsAppChannel } from './whatsapp.js';

export type { ChannelAdapter, OutboundMessage, SendResult } from './channel.js';
export { ChannelError } from './channel.js';

export interface ProviderConfig {
  /** `whatsappFrom`: the WhatsApp sender (`TWILIO_WHATSAPP_FROM`); absent, `from` (a number enabled for both). */
  readonly twilio?: { accountSid: string; authToken: string; messagingServiceSid?: string; from?: string; whatsappFrom?: string; apiBase?: string };
  readonly smtp?: { url: string; from: string; maxConnections?: number; bounceDomain?: string };
  /** Base URL of `invito serve`, for status callbacks. */
  readonly publicUrl: string;
}

/**
 * Provider settings from the environment: `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`,
 * `TWILIO_MESSAGING_SERVICE_SID` or `TWILIO_FROM`, `TWILIO_WHATSAPP_FROM`, `INVITO_TWILIO_API_BASE`; `INVITO_SMTP_URL`,
 * `INVITO_MAIL_FROM`, `INVITO_SMTP_CONNECTIONS`; `INVITO_PUBLIC_URL`.
 */
export function providerConfig(env: NodeJS.ProcessEnv = process.env): ProviderConfig {
  const e = (k: string): string | undefined => env[k] || undefined;
  const sid = e('TWILIO_ACCOUNT_SID');
  const token = e('TWILIO_AUTH_TOKEN');
  const smtp = e('INVITO_SMTP_URL');
  return {
    publicUrl: (e('INVITO_PUBLIC_URL') ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    ...(sid && token
      ? {
          twilio: {
            accountSid: sid,
            authToken: token,
            ...(e('TWILIO_MESSAGING_SERVICE_SID') ? { messagingServiceSid: e('TWILIO_MESSAGING_SERVICE_SID')! } : {}),
            ...(e('TWILIO_FROM') ? { from: e('TWILIO_FROM')! } : {}),
            ...(e('TWILIO_WHATSAPP_FROM') ? { whatsappFrom: e('TWILIO_WHATSAPP_FROM')!.replace(/^whatsapp:/, '') } : {}),
            ...(e('INVITO_TWILIO_API_BASE') ? { apiBase: e('INVITO_TWILIO_API_BASE')! } : {}),
          },
        }
      : {}),
    ...(smtp
      ? { smtp: { url: smtp, from: e('INVITO_MAIL_FROM') ?? 'Servizio vaccinazioni <vaccinazioni@invito.local>', ...(e('INVITO_SMTP_CONNECTIONS') ? { maxConnections: Number(e('INVITO_SMTP_CONNECTIONS')) } : {}), ...(e('INVITO_BOUNCE_DOMAIN') ? { bounceDomain: e('INVITO_BOUNCE_DOMAIN')! } : {}) } }
      : {}),
  };
}

/** Adapters for the requested channels; a channel without its provider settings is an error naming them. */
export function buildChannels(config: ProviderConfig, wanted: readonly Channel[], callTasks: CallTaskStore): Partial<Record<Channel, ChannelAdapter>> {
  const out: Partial<Record<Channel, ChannelAdapter>> = {};
  const statusCallback = `${config.publicUrl}/webhooks/twilio/status`;
  const client = config.twilio
    ? createTwilioClient({ accountSid: config.twilio.accountSid, authToken: config.twilio.authToken, ...(config.twilio.apiBase ? { apiBase: config.twilio.apiBase } : {}), maxSockets: 64 })
    : null;
  for (const ch of wanted) {
    if (ch === 'call') out.call = new CallChannel(callTasks);
    else if (ch === 'email') {
      if (!config.smtp) throw new InvitoError('CONFIG_INVALID', 'the email channel needs INVITO_SMTP_URL (and INVITO_MAIL_FROM)');
      out.email = new EmailChannel(config.smtp);
    } else {
      if (!client || !config.twilio) throw new InvitoError('CONFIG_INVALID', `the ${ch} channel needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN`);
      if (ch === 'whatsapp') {
        const from = config.twilio.whatsappFrom ?? config.twilio.from;
        if (!config.twilio.messagingServiceSid && !from) throw new InvitoError('CONFIG_INVALID', 'the whatsapp channel needs TWILIO_WHATSAPP_FROM (or TWILIO_FROM, or TWILIO_MESSAGING_SERVICE_SID)');
        // An explicit WhatsApp sender wins over the Messaging Service (which may hold SMS senders only).
        const service = config.twilio.whatsappFrom ? undefined : config.twilio.messagingServiceSid;
        out.whatsapp = new WhatsAppChannel({ client, statusCallback, ...(service ? { messagingServiceSid: service } : {}), ...(from ? { from } : {}) });
      } else if (ch === 'sms') {
        if (!config.twilio.messagingServiceSid && !config.twilio.from) throw new InvitoError('CONFIG_INVALID', 'the sms channel needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM');
        out.sms = new SmsChannel({ client, statusCallback, ...(config.twilio.messagingServiceSid ? { messagingServiceSid: config.twilio.messagingServiceSid } : {}), ...(config.twilio.from ? { from: config.twilio.from } : {}) });
      } else {
        if (!config.twilio.from) throw new InvitoError('CONFIG_INVALID', 'the voice channel needs TWILIO_FROM (the caller id)');
        out.voice = new VoiceChannel({ client, from: config.twilio.from, statusCallback, answerUrl: (id) => `${config.publicUrl}/webhooks/twilio/voice/answer?m=${encodeURIComponent(id)}` });
      }
    }
  }
  return out;
}

/** The free-phone line's dialler of operators (the Calls API, from TWILIO_FROM), or null without the Twilio settings. */
export function operatorDialer(config: ProviderConfig): OperatorDialer | null {
  if (!config.twilio?.from) return null;
  const client = createTwilioClient({ accountSid: config.twilio.accountSid, authToken: config.twilio.authToken, ...(config.twilio.apiBase ? { apiBase: config.twilio.apiBase } : {}) });
  return new OperatorDialer({ client, from: config.twilio.from });
}
