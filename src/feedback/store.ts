/**
 * What the feedback layer needs from the store: provider receipts, inbound replies, reply
 * links and opt-outs. Every method is idempotent — providers repeat and reorder callbacks.
 *
 * Answers move appointments in the same transaction as they are recorded, so the slot a
 * citizen gives up is free for the next one at once: a decline, an opt-out and an invitation
 * that never arrived release it, a confirmation confirms it (the rules: rules.ts; which message
 * states a receipt moves: core/lifecycle.ts `receiptMovesFrom`).
 */

/** A provider status normalised to invito's message states. */
export type ReceiptState = 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface ReceiptResult {
  /** The message the receipt belongs to, or null when no send with that provider id is recorded yet. */
  readonly messageId: string | null;
  /** Whether the message's state changed (false for repeats and for older news). */
  readonly changed: boolean;
}

export interface OptOutResult {
  /** Citizens newly opted out (already opted-out ones are not counted). */
  readonly citizens: string[];
  /** Messages not yet sent that will now never be (pending or queued, every campaign). */
  readonly messagesStopped: number;
}

export interface LinkTarget {
  readonly messageId: string;
  readonly campaignId: string;
  readonly citizenId: string;
}

/** A citizen's reply: an SMS that is not STOP (`kind` the word it was: confirm, decline, change, or `reply`), or a confirm/decline link. */
export interface ResponseRecord {
  readonly responseId: string;
  readonly citizenId: string | null;
  readonly messageId: string | null;
  readonly channel: string;
  readonly kind: string;
  readonly body: string | null;
  readonly at: string;
  /** What invito did about it (feedback/replies.ts `AnswerKind`), for a reply by text. */
  readonly action?: string | null;
}

export interface FeedbackStore {
  /**
   * Records a provider receipt. States only move forward (sent → delivered | undelivered |
   * failed); a receipt for a provider id not yet recorded is kept and applied when the send is
   * recorded, so a callback that overtakes the worker is not lost. A message moved to
   * `undelivered` or `failed` releases the appointment it offered (reason `undelivered`).
   */
  applyReceipt(providerId: string, state: ReceiptState, errorCode: string | null, at: string): Promise<ReceiptResult>;
  /**
   * Records a read receipt (WhatsApp's `read`: the citizen opened the message): kept as a
   * provider event and as the message's `read_at`, the first time only.
   */
  markRead(providerId: string, at: string): Promise<void>;
  /**
   * Opts out every citizen with this phone (E.164) from every later send of every campaign, and
   * releases their appointments from today on (reason `opted_out`).
   */
  optOutByPhone(phone: string, source: string, at: string): Promise<OptOutResult>;
  optOutCitizen(citizenId: string, source: string, at: string): Promise<OptOutResult>;
  /**
   * Stores a reply that is not an opt-out (idempotent on `responseId`). A link's `confirm`
   * confirms the appointment its message offered (or, released meanwhile, takes its place back
   * while still free); a `decline` releases it (reason `declined`). The latest press wins.
   */
  recordResponse(r: ResponseRecord): Promise<void>;
  /** The citizens with this phone (an inbound SMS names a number, not a person). */
  citizensByPhone(phone: string): Promise<string[]>;
  /** The message a reply link's token belongs to. */
  messageByToken(token: string): Promise<LinkTarget | null>;
}
