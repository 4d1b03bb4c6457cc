/**
 * Automated voice calls through Twilio's Calls API. With an answer URL (what `invito serve`
 * offers: feedback/ivr.ts) the call asks it what to say when the citizen picks up, with
 * answering-machine detection, and listens for keys; without one it says the script twice.
 */
import twilio from 'twilio';
import { ChannelError, type ChannelAdapter, type OutboundMessage, type SendResult, networkFailure } from './channel.js';
import { twilioFailure } from './twilio-errors.js';

/** Twilio's voices by language; others fall back to Italian, the authority's language. */
const SAY_LANGUAGE: Record<string, string> = { it: 'it-IT', en: 'en-GB', de: 'de-DE', fr: 'fr-FR', es: 'es-ES' };

/** The `<Say language>` of a template language (`de` → `de-DE`; unknown → `it-IT`). */
export const sayLanguage = (language: string): string => SAY_LANGUAGE[language.split('-')[0]!] ?? 'it-IT';

export interface VoiceOptions {
  readonly client: twilio.Twilio;
  /** The caller id (a number on the Twilio account). */
  readonly from: string;
  readonly statusCallback: string;
  /**
   * Where Twilio asks what to say once the call is answered (`…/webhooks/twilio/voice/answer?m=<message>`);
   * absent, the script goes inline as TwiML and no key is heard.
   */
  readonly answerUrl?: (messageId: string) => string;
}

/** The TwiML of a call: the script said twice, slowly enough for older citizens to follow. */
export function voiceTwiml(text: string, language: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const lang = sayLanguage(language) as 'it-IT';
  response.say({ language: lang }, text);
  response.pause({ length: 2 });
  response.say({ language: lang }, text);
  return response.toString();
}

export class VoiceChannel implements ChannelAdapter {
  readonly name = 'voice' as const;

  constructor(private readonly o: VoiceOptions) {
    if (!o.from) throw new ChannelError('permanent', 'CONFIG', 'voice: set TWILIO_FROM (the caller id)');
  }

  async send(m: OutboundMessage): Promise<SendResult> {
    try {
      const call = await this.o.client.calls.create({
        to: m.to,
        from: this.o.from,
        ...(this.o.answerUrl
          ? { url: this.o.answerUrl(m.messageId), method: 'POST', machineDetection: 'Enable' }
          : { twiml: voiceTwiml(m.text, m.language) }),
        statusCallback: this.o.statusCallback,
        statusCallbackEvent: ['completed'],
      });
      return { providerId: call.sid };
    } catch (e) {
      throw twilioFailure(e, 'voice') ?? networkFailure(e as { code?: string }, 'voice');
    }
  }

  async close(): Promise<void> {}
}

/**
 * Dials an operator for the free-phone line (desk/line.ts `Dialer`): a call from the caller id
 * whose TwiML (`url`) takes the head of a queue; its end or failure reported to `statusCallback`.
 */
export class OperatorDialer {
  constructor(private readonly o: { client: twilio.Twilio; from: string; ringSeconds?: number }) {}

  async dial(d: { to: string; url: string; statusCallback: string }): Promise<string> {
    try {
      const call = await this.o.client.calls.create({
        to: d.to,
        from: this.o.from,
        url: d.url,
        method: 'POST',
        statusCallback: d.statusCallback,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['completed'],
        timeout: this.o.ringSeconds ?? 20,
      });
      return call.sid;
    } catch (e) {
      throw twilioFailure(e, 'voice') ?? networkFailure(e as { code?: string }, 'voice');
    }
  }
}
