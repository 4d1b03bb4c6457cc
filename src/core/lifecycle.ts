/**
 * The message lifecycle, in one place: its states, the moves between them, the final states,
 * the failure codes invito itself assigns, and the message key (made and parsed).
 *
 *   pending → queued → sending → sent → delivered | undelivered | failed
 *      │        │  ↑______│  └──→ unknown (claimed, never recorded; a late record may still say sent)
 *      │        └→ opted_out | cancelled | failed (never sent)
 *      └→ opted_out | cancelled | failed (never released) | skipped (a reminder nobody can receive)
 *
 * Every move the store makes is one conditional UPDATE on the state it leaves, and each is one
 * `MOVES` allows (the receipts' source states are derived from it, `receiptMovesFrom`), so two
 * workers, a retried job or a late webhook can never move a message backwards or send it twice.
 */
import { type Channel, CHANNELS } from './channels.js';
import type { ErrorCode } from './errors.js';

export const MESSAGE_STATES = ['pending', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'unknown', 'opted_out', 'cancelled', 'skipped'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** Every allowed move, from → to. Anything else is refused by the store's conditional update. */
export const MOVES: Readonly<Record<MessageState, readonly MessageState[]>> = {
  // Released (with a channel and a slot), or ended before release; a reminder or follow-up none
  // of whose channels reaches the citizen is skipped (with its reason), not failed: nothing was
  // tried, and the error brake must not count it.
  pending: ['queued', 'opted_out', 'cancelled', 'failed', 'skipped'],
  // Claimed by a worker; stopped by an opt-out or a cancel; refused before sending; put back to wait.
  queued: ['sending', 'opted_out', 'cancelled', 'failed', 'pending'],
  // Recorded (or overtaken by a final receipt); given back when the provider surely did not take
  // it; refused by the provider; or lost with its worker.
  sending: ['sent', 'delivered', 'undelivered', 'failed', 'queued', 'unknown'],
  // The provider's receipts.
  sent: ['delivered', 'undelivered', 'failed'],
  // The record of a send that arrived after its claim had expired.
  unknown: ['sent', 'delivered', 'undelivered', 'failed'],
  delivered: [],
  undelivered: [],
  failed: [],
  opted_out: [],
  cancelled: [],
  skipped: [],
};

/** States nothing moves out of, except `unknown`'s late record: the message's story is told. */
export const FINAL_STATES: readonly MessageState[] = ['delivered', 'undelivered', 'failed', 'opted_out', 'cancelled', 'skipped', 'unknown'];

/** States a message has left the releaser for, on its way to (or past) a provider. */
export const FINISHED_STATES: readonly MessageState[] = ['sent', 'delivered', 'undelivered', 'failed', 'unknown'];

/** Messages an opt-out or a cancel can still stop: not yet handed to a worker's claim. */
export const UNSENT_STATES: readonly MessageState[] = ['pending', 'queued'];

/**
 * A released message that counts against the citizen's contact limits (pacer/contact.ts): it
 * went, or may still go, to the citizen. One that did not reach them (undelivered, failed) or
 * was stopped before the provider (cancelled, opted out, skipped) does not; a fallback after it
 * takes its place.
 */
export const CONTACT_STATES: readonly MessageState[] = ['queued', 'sending', 'sent', 'delivered', 'unknown'];

/** Not yet at rest: what `status` and the releaser count as in flight. */
export const OPEN_STATES: readonly MessageState[] = ['pending', 'queued', 'sending'];

/** The states a move into `to` may come from, for the store's conditional update. */
export function movesInto(to: MessageState, among: readonly MessageState[] = MESSAGE_STATES): MessageState[] {
  return among.filter((from) => MOVES[from].includes(to));
}

/** The codes invito itself records on a message that ended `failed`, `skipped` or (NO_LONGER_ELIGIBLE) `cancelled` (the providers' own codes are theirs). */
export const FAILURES = {
  NO_CHANNEL: "none of the step's channels reaches the citizen",
  NO_CENTER: "no vaccination centre serves the citizen's area",
  NOT_REACHABLE: 'the citizen has no contact for the channel any more',
  NO_STEP: 'the campaign has no such step',
  NO_APPOINTMENT: 'the message carries no appointment',
  NO_WINDOW: "the channel's send window never opens",
  NO_LONGER_ELIGIBLE: "the citizen no longer belongs to the campaign's cohort as the registry says now",
} as const satisfies Partial<Record<ErrorCode, string>>;

/**
 * The message key: one per campaign, step and citizen. It is also the BullMQ job id (so no `:`),
 * the invitation's appointment id and the call task's id. Campaign and step ids never hold a
 * `.` (their schema allows `[a-z0-9-]`); a citizen id may, so it is everything after the second.
 */
export const messageKey = (campaignId: string, stepId: string, citizenId: string): string => `${campaignId}.${stepId}.${citizenId}`;

/**
 * A fallback attempt's key: `campaign.step~channel.citizen`, one per campaign, step, channel
 * and citizen, so a second attempt on the same channel is an insert that finds its key taken
 * (exactly once per channel). `~` is in no step id (`[a-z0-9-]`), so no real step's key can
 * clash, and BullMQ takes it in a job id.
 */
export const fallbackKey = (campaignId: string, stepId: string, channel: Channel, citizenId: string): string => `${campaignId}.${stepId}~${channel}.${citizenId}`;

export interface MessageKeyParts {
  readonly campaignId: string;
  /** The real step (a fallback's key names it too). */
  readonly stepId: string;
  readonly citizenId: string;
  /** A fallback attempt's channel; absent for a step's own message. */
  readonly fallbackChannel?: Channel;
}

/** The parts of a message key (a fallback's too); null for text that is not one. */
export function parseMessageKey(key: string): MessageKeyParts | null {
  const a = key.indexOf('.');
  const b = a < 0 ? -1 : key.indexOf('.', a + 1);
  if (a <= 0 || b <= a + 1 || b === key.length - 1) return null;
  const [campaignId, step, citizenId] = [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
  const t = step.indexOf('~');
  if (t < 0) return { campaignId, stepId: step, citizenId };
  const channel = step.slice(t + 1) as Channel;
  if (t === 0 || !CHANNELS.includes(channel)) return null;
  return { campaignId, stepId: step.slice(0, t), citizenId, fallbackChannel: channel };
}

/** Whether a message key is a fallback attempt's. */
export const isFallbackKey = (key: string): boolean => parseMessageKey(key)?.fallbackChannel !== undefined;

/** The key prefix shared by every message of a campaign's step (the SQL that selects a cohort appends the citizen id). */
export const messageKeyPrefix = (campaignId: string, stepId: string): string => `${campaignId}.${stepId}.`;

/**
 * The states a provider's receipt saying `to` may move a message out of. Only `sent`: a receipt
 * finds its message by the provider id recorded with the send, so a message still `sending` (or
 * `unknown`, never recorded) has none to be found by; and a final state is final (a late `sent`,
 * or `delivered` after `undelivered`, is older or contradictory news).
 */
export const receiptMovesFrom = (to: MessageState): MessageState[] => movesInto(to, ['sent']);

/**
 * Fallbacks: how an attempt that did not reach the citizen ended, as a step's
 * `fallback: { on: [...] }` names it. `no_answer` is an automated call not answered, busy or
 * failed; `undelivered` a final "never arrived" receipt; `failed` a refusal for good (see
 * `FAILED_FOR_GOOD`).
 */
export const FALLBACK_TRIGGERS = ['undelivered', 'failed', 'no_answer'] as const;
export type FallbackTrigger = (typeof FALLBACK_TRIGGERS)[number];

/**
 * Failure codes that say the channel cannot reach this citizen, whatever is tried again: Twilio
 * 30003–30008 (unreachable, unknown or blocked destination, landline, carrier violation, unknown
 * error), 21211 (not a valid number), 21614 (not a mobile number), WhatsApp's 63003 (the number
 * has no WhatsApp) and 63024 (not a valid WhatsApp recipient); SMTP 5xx (a permanent reply
 * or a bounce, `550` or `5.1.1`); and invito's NOT_REACHABLE (the contact went) and NO_WINDOW
 * (the channel's window never opens). A provider outage after its retries, a rate limit or an
 * opt-out (21610) are not: they say nothing about the citizen's reachability.
 */
const FAILED_FOR_GOOD = new Set(['30003', '30004', '30005', '30006', '30007', '30008', '21211', '21614', '63003', '63024', 'NOT_REACHABLE', 'NO_WINDOW']);
const SMTP_PERMANENT = /^5(\d\d|\.\d{1,3}\.\d{1,3})$/;

/** What ending an attempt is, for its step's fallback; null when it asks for none (it arrived, or the failure is not the channel's). */
export function fallbackTrigger(channel: Channel | null, state: MessageState, code: string | null): FallbackTrigger | null {
  if (state !== 'undelivered' && state !== 'failed') return null;
  if (channel === 'voice') return 'no_answer';
  if (state === 'undelivered') return 'undelivered';
  return code !== null && (FAILED_FOR_GOOD.has(code) || SMTP_PERMANENT.test(code)) ? 'failed' : null;
}
