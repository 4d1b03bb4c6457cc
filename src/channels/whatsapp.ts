/**
 * WhatsApp through Twilio's Messages API (the same SDK as SMS): `whatsapp:+39…` addresses, a
 * content template (`ContentSid`, `ContentVariables`) for the messages invito starts, free text
 * for its answers to a citizen who wrote. Receipts (sent, delivered, read) come back to the
 * same status callback as SMS.
 */
import type twilio from 'twilio';
import { ChannelError, type ChannelAdapter, type OutboundMessage, type SendResult, networkFailure } from './channel.js';
import { twilioFailure } from './twilio-errors.js';

/** Twilio's prefix of a WhatsApp address. */
export const WHATSAPP_PREFIX = 'whatsapp:';

/** `+39…` → `whatsapp:+39…` (an address already prefixed stays as it is). */
export const whatsappAddress = (phone: string): string => (phone.startsWith(WHATSAPP_PREFIX) ? phone : `${WHATSAPP_PREFIX}${phone}`);

export interface WhatsAppOptions {
  readonly client: twilio.Twilio;
  /** A Messaging Service SID with a WhatsApp sender, preferred over a From number when both are set. */
  readonly messagingServiceSid?: string;
  /** The WhatsApp sender's number (`+39…`; the prefix is added). */
  readonly from?: string;
  /** Where Twilio posts receipts (`INVITO_PUBLIC_URL/webhooks/twilio/status`). */
  readonly statusCallback: string;
}

export class WhatsAppChannel implements ChannelAdapter {
  readonly name = 'whatsapp' as const;

  constructor(private readonly o: WhatsAppOptions) {
    if (!o.messagingServiceSid && !o.from) throw new ChannelError('permanent', 'CONFIG', 'whatsapp: set TWILIO_WHATSAPP_FROM or TWILIO_MESSAGING_SERVICE_SID');
  }

  async send(m: OutboundMessage): Promise<SendResult> {
    try {
      const msg = await this.o.client.messages.create({
        to: whatsappAddress(m.to),
        statusCallback: this.o.statusCallback,
        ...(m.content ? { contentSid: m.content.contentSid, contentVariables: JSON.stringify(m.content.variables) } : { body: m.text }),
        ...(this.o.messagingServiceSid ? { messagingServiceSid: this.o.messagingServiceSid } : { from: whatsappAddress(this.o.from!) }),
      });
      return { providerId: msg.sid };
    } catch (e) {
      throw twilioFailure(e, 'whatsapp') ?? networkFailure(e as { code?: string }, 'whatsapp');
    }
  }

  async close(): Promise<void> {}
}
