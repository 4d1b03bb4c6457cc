/** SMS through Twilio's Messages API (the real SDK; the sandbox stands in for Twilio in tests). */
import type twilio from 'twilio';
import { ChannelError, type ChannelAdapter, type OutboundMessage, type SendResult, networkFailure } from './channel.js';
import { twilioFailure } from './twilio-errors.js';

export interface SmsOptions {
  readonly client: twilio.Twilio;
  /** A Messaging Service SID, preferred over a From number when both are set. */
  readonly messagingServiceSid?: string;
  readonly from?: string;
  /** Where Twilio posts delivery receipts (`INVITO_PUBLIC_URL/webhooks/twilio/status`). */
  readonly statusCallback: string;
}

export class SmsChannel implements ChannelAdapter {
  readonly name = 'sms' as const;

  constructor(private readonly o: SmsOptions) {
    if (!o.messagingServiceSid && !o.from) throw new ChannelError('permanent', 'CONFIG', 'sms: set TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM');
  }

  async send(m: OutboundMessage): Promise<SendResult> {
    try {
      const msg = await this.o.client.messages.create({
        to: m.to,
        body: m.text,
        statusCallback: this.o.statusCallback,
        ...(this.o.messagingServiceSid ? { messagingServiceSid: this.o.messagingServiceSid } : { from: this.o.from! }),
      });
      return { providerId: msg.sid };
    } catch (e) {
      throw twilioFailure(e, 'sms') ?? networkFailure(e as { code?: string }, 'sms');
    }
  }

  async close(): Promise<void> {}
}
