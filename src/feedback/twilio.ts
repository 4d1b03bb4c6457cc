/**
 * What Twilio's webhooks mean to invito: status callbacks read as receipts, inbound texts read
 * as opt-outs or replies. Pure functions, so the rules can be read and tested without a server.
 */
import type { ReceiptState } from './store.js';

/**
 * Message statuses as receipts. `null`: a step on the way (queued, accepted, sending, scheduled)
 * or an inbound status, which says nothing about how the send ended.
 */
const MESSAGE_STATES: Readonly<Record<string, ReceiptState | null>> = {
  queued: null,
  accepted: null,
  scheduled: null,
  sending: null,
  receiving: null,
  received: null,
  sent: 'sent',
  delivered: 'delivered',
  // A read receipt (WhatsApp, RCS) implies delivery; Twilio may report it without `delivered`.
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/** Call statuses as receipts: a call that rang out or was busy reached no one, like an undelivered SMS. */
const CALL_STATES: Readonly<Record<string, ReceiptState | null>> = {
  queued: null,
  initiated: null,
  ringing: null,
  'in-progress': null,
  completed: 'delivered',
  busy: 'undelivered',
  'no-answer': 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/** A status callback, read. */
export interface StatusCallback {
  /** `MessageSid` or `CallSid`: the id the worker recorded as `provider_id`. */
  readonly providerId: string;
  readonly kind: 'message' | 'call';
  /** Twilio's status as received. */
  readonly status: string;
  /** What it means for the message; null when it changes nothing (an intermediate or unknown status). */
  readonly state: ReceiptState | null;
  readonly errorCode: string | null;
}

/**
 * Reads a message or call status callback; null when the parameters are neither
 * (`MessageSid` + `MessageStatus`, or `CallSid` + `CallStatus`).
 */
export function readStatusCallback(params: Readonly<Record<string, string>>): StatusCallback | null {
  const errorCode = params.ErrorCode?.trim() || null;
  const messageSid = params.MessageSid || params.SmsSid;
  const messageStatus = params.MessageStatus || params.SmsStatus;
  if (messageSid && messageStatus) {
    return { providerId: messageSid, kind: 'message', status: messageStatus, state: MESSAGE_STATES[messageStatus] ?? null, errorCode };
  }
  if (params.CallSid && params.CallStatus) {
    const state = CALL_STATES[params.CallStatus] ?? null;
    // A call that rang out or was busy carries no ErrorCode: its status is the record of why (`no-answer`, `busy`).
    const code = errorCode ?? (state === 'undelivered' || state === 'failed' ? params.CallStatus : null);
    return { providerId: params.CallSid, kind: 'call', status: params.CallStatus, state, errorCode: code };
  }
  return null;
}

/**
 * The words that opt a citizen out. Italian first; then Twilio's standard opt-out keywords,
 * which Twilio itself already honours by blocking later messages to the number: invito must
 * know about them too, or it would keep trying and fail with 21610.
 */
export const OPT_OUT_KEYWORDS: ReadonlySet<string> = new Set([
  'STOP', 'ARRESTA', 'STOPP', 'CANCELLA',
  'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT',
]);

/** Whitespace, punctuation and symbols (emoji included) around a reply: "Stop!", " stop. ", "STOP 🙏". */
const SURROUNDING = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

/**
 * A reply reduced to what keyword matching compares: compatibility-normalised (full-width
 * letters from some phone keyboards), without surrounding whitespace, punctuation or symbols,
 * upper-cased.
 */
export const normaliseReply = (body: string): string => body.normalize('NFKC').replace(SURROUNDING, '').toUpperCase();

/**
 * The opt-out keyword a reply is, or null. The whole reply must be the keyword, as Twilio
 * matches it: "non stop, grazie" is a reply for an operator to read, not an opt-out.
 */
export function optOutKeyword(body: string): string | null {
  const word = normaliseReply(body);
  return OPT_OUT_KEYWORDS.has(word) ? word : null;
}

/** The answer to an inbound text: nothing to send back. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
