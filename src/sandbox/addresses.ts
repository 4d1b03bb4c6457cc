/**
 * Programmable Messaging addresses: `+393331234567` is an SMS address, `whatsapp:+393331234567`
 * the same number on WhatsApp. Twilio keeps the prefix in every resource and webhook; the
 * number checks (E.164, the number knobs) look at what follows it.
 */
import type { MessageChannel } from './outbox.js';

/** The prefix that makes an address a WhatsApp one. */
export const WHATSAPP_PREFIX = 'whatsapp:';

/** The channel an address names, and its number without the channel prefix. */
export function parseAddress(address: string): { channel: MessageChannel; number: string } {
  return address.startsWith(WHATSAPP_PREFIX)
    ? { channel: 'whatsapp', number: address.slice(WHATSAPP_PREFIX.length) }
    : { channel: 'sms', number: address };
}
