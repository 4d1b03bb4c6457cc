/**
 * The one interface every channel implements, and the one outbound message type. A channel
 * sends; it never touches the store (except `call`, whose "provider" is the operators' list)
 * and never decides whether to retry: it says what kind of failure it met.
 */
import type { Channel } from '../core/channels.js';

export interface OutboundMessage {
  /** `campaign.step.citizen`: also the idempotency key given to providers that take one. */
  readonly messageId: string;
  readonly campaignId: string;
  readonly citizenId: string;
  readonly channel: Channel;
  /** E.164 phone for sms, whatsapp and voice, an address for email, the citizen id for call. */
  readonly to: string;
  readonly language: string;
  /** SMS text, email text part, voice script or operator script. */
  readonly text: string;
  readonly subject?: string;
  readonly html?: string;
  /** The citizen's opt-out link (email List-Unsubscribe). */
  readonly optOutUrl: string;
  /**
   * WhatsApp only: the approved content template and its variables (a business-initiated
   * message); absent, a WhatsApp message is free text (`text`), allowed within 24 hours of the
   * citizen's own message.
   */
  readonly content?: { readonly contentSid: string; readonly variables: Readonly<Record<string, string>> };
}

export interface SendResult {
  /** The provider's id: Twilio SID, email Message-ID, call task id. */
  readonly providerId: string;
}

export interface ChannelAdapter {
  readonly name: Channel;
  send(message: OutboundMessage): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * How a send failed, which decides what happens next:
 * - `transient`: the provider certainly did not take it (429, 5xx, refused connection, SMTP 4xx): retry later.
 * - `permanent`: it never will (invalid number, SMTP 5xx): fail now, visibly.
 * - `ambiguous`: it may have been taken (the connection broke after the request went out, a
 *   response timeout): never re-send; the message becomes `unknown`.
 */
export type FailureKind = 'transient' | 'permanent' | 'ambiguous';

export class ChannelError extends Error {
  constructor(
    readonly kind: FailureKind,
    /** The provider's code (Twilio `21211`, SMTP `550`, `ECONNREFUSED`, …). */
    readonly providerCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChannelError';
  }
}

/** Network errors raised before a request could reach the provider: safe to retry. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNECTION']);

/** Classifies a network-level error (no provider response). */
export function networkFailure(err: { code?: string; message?: string }, channel: Channel): ChannelError {
  const code = err.code ?? 'NETWORK';
  return NEVER_SENT.has(code)
    ? new ChannelError('transient', code, `${channel}: the provider could not be reached (${code})`, { cause: err })
    : new ChannelError('ambiguous', code, `${channel}: the connection failed after the request was sent (${code}); it may have been accepted`, { cause: err });
}
