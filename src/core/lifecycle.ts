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

export interface MessageKeyParts {
  readonly campaignId: string;
  readonly stepId: string;
  readonly citizenId: string;
}

/** The parts of a message key; null for text that is not one. */
export function parseMessageKey(key: string): MessageKeyParts | null {
  const a = key.indexOf('.');
  const b = a < 0 ? -1 : key.indexOf('.', a + 1);
  if (a <= 0 || b <= a + 1 || b === key.length - 1) return null;
  return { campaignId: key.slice(0, a), stepId: key.slice(a + 1, b), citizenId: key.slice(b + 1) };
}

/** The key prefix shared by every message of a campaign's step (the SQL that selects a cohort appends the citizen id). */
export const messageKeyPrefix = (campaignId: string, stepId: string): string => `${campaignId}.${stepId}.`;

/**
 * The states a provider's receipt saying `to` may move a message out of. Only `sent`: a receipt
 * finds its message by the provider id recorded with the send, so a message still `sending` (or
 * `unknown`, never recorded) has none to be found by; and a final state is final (a late `sent`,
 * or `delivered` after `undelivered`, is older or contradictory news).
 */
export const receiptMovesFrom = (to: MessageState): MessageState[] => movesInto(to, ['sent']);
