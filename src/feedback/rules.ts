/**
 * What feedback does to the appointment an invitation offered: a receipt saying it never
 * arrived, a reply link's confirm or decline. Pure rules; the store applies them in the
 * transaction that records the receipt or the answer (src/store/feedback.ts).
 */
import type { ReceiptState, ResponseRecord } from './store.js';

/**
 * Receipts that say an attempt never reached the citizen, with the reason its slot is released
 * with when its chain of fallbacks ends (pacer/fallback.ts): an invitation that never arrived on
 * any channel offered its slot to nobody, so the next citizen gets it. Until then the slot stays
 * held for the next channel's attempt.
 */
export const RECEIPT_RELEASES: Readonly<Partial<Record<ReceiptState, string>>> = { undelivered: 'undelivered', failed: 'undelivered' };

/** The appointment a message offered: an invitation's id is its appointment's (a reminder's matches none). */
export const offeredAppointment = (messageId: string): string => messageId;

/**
 * Why a released appointment may be taken back by a later confirmation: a change of mind, or an
 * invitation that arrived after all. An opt-out stays an opt-out.
 */
export const RECLAIMABLE: readonly string[] = ['declined', 'undelivered'];

/** The reason an opt-out releases the citizen's coming appointments with: not `RECLAIMABLE`. */
export const OPT_OUT_RELEASE = 'opted_out';

export type Answer = 'confirm' | 'decline';

/** Channels whose confirm or decline answers an appointment: a reply link, a reply word by SMS or WhatsApp (feedback/conversation.ts), a key of an automated call (feedback/ivr.ts). */
const ANSWERING_CHANNELS: readonly string[] = ['link', 'sms', 'whatsapp', 'voice'];

/** The answer a response gives its appointment: a confirm or decline tied to the message it answers. */
export function answerOf(r: ResponseRecord): Answer | null {
  return ANSWERING_CHANNELS.includes(r.channel) && (r.kind === 'confirm' || r.kind === 'decline') && r.messageId !== null ? r.kind : null;
}

/** What an answer does to its appointment. */
export type AnswerMove = { readonly kind: 'release'; readonly reason: string } | { readonly kind: 'confirm' } | { readonly kind: 'reclaim' } | null;

/**
 * A decline releases the appointment (reason `declined`); a confirm confirms it, or, released
 * meanwhile for a reclaimable reason, takes its place back (while still free); otherwise nothing.
 * `current` is the appointment as it is now, which only a confirm needs (null for a decline).
 */
export function answerMove(answer: Answer, current: { readonly state: string; readonly reason: string | null } | null): AnswerMove {
  if (answer === 'decline') return { kind: 'release', reason: 'declined' };
  if (current?.state !== 'released') return { kind: 'confirm' };
  return RECLAIMABLE.includes(current.reason ?? '') ? { kind: 'reclaim' } : null;
}
