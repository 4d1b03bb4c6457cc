/** Automated voice calls through Twilio's Calls API, with TwiML `<Say>` in the citizen's language. */
import twilio from 'twilio';
import { ChannelError, type ChannelAdapter, type OutboundMessage, type SendResult, networkFailure } from './channel.js';
import { twilioFailure } from './twilio-errors.js';

/** Twilio's voices by language; others fall back to Italian, the authority's language. */
const SAY_LANGUAGE: Record<string, string> = { it: 'it-IT', en: 'en-GB', de: 'de-DE', fr: 'fr-FR', es: 'es-ES' };

export interface VoiceOptions {
  readonly client: twilio.Twilio;
  /** The caller id (a number on the Twilio account). */
  readonly from: string;
  readonly statusCallback: string;
}

/** The TwiML of a call: the script said twice, slowly enough for older citizens to follow. */
export function voiceTwiml(text: string, language: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const lang = (SAY_LANGUAGE[language] ?? 'it-IT') as 'it-IT';
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
        twiml: voiceTwiml(m.text, m.language),
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
