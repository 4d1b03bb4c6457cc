/**
 * Reachability, in one place: which contact a channel needs, whether a citizen has it, and which
 * of a step's channels a message goes by. The releaser, the worker, the forecast and the plan all
 * ask here; the store turns `CONTACT_OF` into SQL (one `is not null` per contact), never a rule
 * of its own.
 */
import type { Channel } from './channels.js';

/** The contact a channel needs: a phone for SMS, WhatsApp and voice, an address for email, none for an operator's call. */
export const CONTACT_OF: Readonly<Record<Channel, 'phone' | 'email' | null>> = { sms: 'phone', voice: 'phone', email: 'email', call: null, whatsapp: 'phone' };

/**
 * Channels that need the citizen's recorded consent besides the contact: WhatsApp only reaches
 * citizens whose registry row says `whatsapp_opt_in` (Meta's rule for business-initiated messages).
 */
export const CONSENT_OF: Readonly<Partial<Record<Channel, 'whatsapp_opt_in'>>> = { whatsapp: 'whatsapp_opt_in' };

/**
 * What kind of number a phone is, as libphonenumber types it at import (`citizens.phone_type`):
 * `unknown` when it cannot tell (fixed line or mobile, in some numbering plans) or the number
 * came before types were recorded.
 */
export const PHONE_TYPES = ['mobile', 'fixed_line', 'other', 'unknown'] as const;
export type PhoneType = (typeof PHONE_TYPES)[number];

/** Channels that need a number able to receive texts: never sent to a fixed-line number. */
export const TEXT_CHANNELS: readonly Channel[] = ['sms', 'whatsapp'];

export interface Contact {
  readonly phone: string | null;
  readonly email: string | null;
  /** The phone's type; absent or null when not known (then texts are tried). */
  readonly phoneType?: PhoneType | string | null;
  /** 1 (or true) when the citizen consented to WhatsApp messages; absent, null or 0 when not. */
  readonly whatsapp_opt_in?: number | boolean | null;
}

/** Whether `channel` can reach a citizen with these contacts: a text never goes to a fixed-line number, WhatsApp never without consent. */
export function reaches(channel: Channel, c: Contact): boolean {
  const needs = CONTACT_OF[channel];
  if (needs === null) return true;
  if (c[needs] === null) return false;
  const consent = CONSENT_OF[channel];
  if (consent && !c[consent]) return false;
  return !(TEXT_CHANNELS.includes(channel) && c.phoneType === 'fixed_line');
}

/** Where a message goes by `channel`: the phone, the address, or (a call task) the citizen id. Null when the citizen lacks it (or it cannot take the channel: a text to a fixed line). */
export function addressFor(channel: Channel, c: Contact & { readonly citizen_id: string }): string | null {
  const needs = CONTACT_OF[channel];
  if (needs === null) return c.citizen_id;
  return reaches(channel, c) ? c[needs] : null;
}

/**
 * The channel a fallback goes by: the first of the step's channels after `failed` that reaches
 * the citizen now; null when none does (the chain ends). Only forward in the list, so a chain
 * tries each channel at most once.
 */
export function nextReaching(channels: readonly Channel[], failed: Channel, c: Contact): Channel | null {
  const i = channels.indexOf(failed);
  return channels.slice(i + 1).find((ch) => reaches(ch, c)) ?? null;
}

/** The first of `channels` that reaches the citizen; null when none does (the message can never go). */
const firstReaching = (channels: readonly Channel[], c: Contact): Channel | null => channels.find((ch) => reaches(ch, c)) ?? null;

/** What the releaser needs to know about now to choose a channel. */
export interface ChannelGate {
  /** Whether the channel's send window is open now. */
  isOpen(channel: Channel): boolean;
  /** Call tasks the operators' list can still take now (decremented as they are taken). */
  room: { calls: number };
}

/**
 * The channel a message goes by now: the first of its step's channels that reaches the citizen,
 * if its window is open and (for a call) the operators' list has room, which it takes.
 * `unreachable` when no channel ever can; null to wait (closed now, or no room).
 */
export function channelNow(channels: readonly Channel[], c: Contact, gate: ChannelGate): Channel | 'unreachable' | null {
  const channel = firstReaching(channels, c);
  if (!channel) return 'unreachable';
  if (!gate.isOpen(channel)) return null;
  if (channel === 'call') {
    if (gate.room.calls <= 0) return null;
    gate.room.calls--;
  }
  return channel;
}
