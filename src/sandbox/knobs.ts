/**
 * The sandbox's fault-injection knobs: what they mean, their defaults, and the one schema that
 * checks them whether they come from `startSandbox`, the CLI flags or `POST /_sandbox/config`.
 */
import { z } from 'zod';
import { InvitoError } from '../core/errors.js';

/** Everything the sandbox can be told to do wrong, or slowly. Shares are between 0 and 1. */
export interface SandboxKnobs {
  /** Share of create requests (messages and calls) answered 500 with Twilio error 20500. @defaultValue 0 */
  failureRate: number;
  /** Share of create requests answered 429 with Twilio error 20429. @defaultValue 0 */
  throttleRate: number;
  /** The next N create requests are answered 429 (20429), whatever `throttleRate` says; counts down. @defaultValue 0 */
  burst429: number;
  /** Added to every Twilio API request before it is answered. @defaultValue 0 */
  latencyMs: number;
  /** A uniformly random extra of up to this many ms on top of `latencyMs`. @defaultValue 0 */
  latencyJitterMs: number;
  /** Share of accepted messages, SMS and WhatsApp, that end `undelivered` (ErrorCode 30003, 30005 or 30006). @defaultValue 0 */
  undeliveredShare: number;
  /** Share of accepted messages, SMS and WhatsApp, that end `failed` (ErrorCode 30008) without ever being `sent`. @defaultValue 0 */
  failedShare: number;
  /**
   * Share of phone numbers that are landlines the network only finds out about on delivery:
   * every message to one, SMS or WhatsApp, ends `undelivered` with ErrorCode 30006 (calls to it
   * are answered as usual). Chosen by a hash of the number (without `whatsapp:`), so a number is
   * always a landline or never. @defaultValue 0
   */
  landlineShare: number;
  /**
   * Share of delivered WhatsApp messages that the citizen then opens: they go on to `read`
   * (the others end `delivered`). SMS has no read receipts. @defaultValue 1
   */
  readShare: number;
  /** Share of calls that end `busy`. @defaultValue 0 */
  callBusyShare: number;
  /** Share of calls that end `no-answer`. @defaultValue 0 */
  callNoAnswerShare: number;
  /** Share of calls that end `failed`. @defaultValue 0 */
  callFailedShare: number;
  /** Time between two status steps of a message or call (queued → sent → delivered). @defaultValue 50 */
  callbackDelayMs: number;
  /**
   * Numbers answered 21211 ("not a valid phone number") for messages and calls, as if the
   * network did not know them: `+393331234567` exactly, or `*0000` for every number ending so.
   * @defaultValue []
   */
  invalidNumbers: string[];
  /** Numbers answered 21614 ("not a valid mobile number") for messages only; same syntax. @defaultValue [] */
  landlineNumbers: string[];
  /** Share of emails answered `451` (transient) at the end of DATA. @defaultValue 0 */
  smtpFailureRate: number;
  /**
   * Recipients answered `550 mailbox unavailable` at RCPT TO: `someone@example.org` exactly, or
   * `@bounce.example.com` for a whole domain. Case-insensitive.
   * @defaultValue ['@bounce.example.com']
   */
  bounceRecipients: string[];
  /**
   * Recipients whose email is accepted and then bounced later, as a relay does: a delivery status
   * notification (RFC 3464, `Action: failed`, `Status: 5.1.1`) is sent to the message's envelope
   * sender (its VERP return path) through `dsnTo`. Same syntax as `bounceRecipients`.
   * @defaultValue ['@late-bounce.example.com']
   */
  lateBounceRecipients: string[];
  /** Where late bounces go: `smtp://HOST:PORT` (`invito serve --smtp-port`); none are sent when null. @defaultValue null */
  dsnTo: string | null;
}

/** The defaults: a well-behaved provider, with one domain that always bounces. */
export const DEFAULT_KNOBS: Readonly<SandboxKnobs> = Object.freeze({
  failureRate: 0,
  throttleRate: 0,
  burst429: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
  undeliveredShare: 0,
  failedShare: 0,
  landlineShare: 0,
  readShare: 1,
  callBusyShare: 0,
  callNoAnswerShare: 0,
  callFailedShare: 0,
  callbackDelayMs: 50,
  invalidNumbers: [],
  landlineNumbers: [],
  smtpFailureRate: 0,
  bounceRecipients: ['@bounce.example.com'],
  lateBounceRecipients: ['@late-bounce.example.com'],
  dsnTo: null,
});

const share = z.number().min(0).max(1);
const ms = z.number().int().min(0).max(600_000);
const numberPattern = z.string().regex(/^(\+[1-9]\d{1,14}|\*\d{1,15})$/, 'a number is +E.164 or *digits (a suffix)');
const recipientPattern = z.string().regex(/^([^\s@]+@[^\s@]+|@[^\s@]+)$/, 'an address is name@domain or @domain');

const patchSchema = z.strictObject({
  failureRate: share,
  throttleRate: share,
  burst429: z.number().int().min(0).max(1_000_000_000),
  latencyMs: ms,
  latencyJitterMs: ms,
  undeliveredShare: share,
  failedShare: share,
  landlineShare: share,
  readShare: share,
  callBusyShare: share,
  callNoAnswerShare: share,
  callFailedShare: share,
  callbackDelayMs: ms,
  invalidNumbers: z.array(numberPattern).max(10_000),
  landlineNumbers: z.array(numberPattern).max(10_000),
  smtpFailureRate: share,
  bounceRecipients: z.array(recipientPattern).max(10_000),
  lateBounceRecipients: z.array(recipientPattern).max(10_000),
  dsnTo: z.string().regex(/^smtp:\/\/[^\s/]+:\d+\/?$/, { error: 'must be smtp://HOST:PORT' }).nullable(),
}).partial();

/** The knob names, for callers that pick knobs out of a bigger options object. */
export const KNOB_NAMES = Object.keys(DEFAULT_KNOBS) as (keyof SandboxKnobs)[];

/**
 * Applies `patch` to `current` and returns the new knobs, or throws `USAGE` naming every bad
 * field. Shares that split one outcome (undelivered + failed, busy + no-answer + failed) may not
 * add up to more than 1.
 */
export function mergeKnobs(current: Readonly<SandboxKnobs>, patch: unknown): SandboxKnobs {
  const parsed = patchSchema.safeParse(patch);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ where: i.path.join('.') || '(knobs)', message: i.message }));
    throw new InvitoError('USAGE', `invalid sandbox knobs: ${issues.map((i) => `${i.where}: ${i.message}`).join('; ')}`, { issues });
  }
  const next: SandboxKnobs = { ...current };
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
  if (next.undeliveredShare + next.failedShare > 1) {
    throw new InvitoError('USAGE', 'invalid sandbox knobs: undeliveredShare + failedShare is more than 1');
  }
  if (next.callBusyShare + next.callNoAnswerShare + next.callFailedShare > 1) {
    throw new InvitoError('USAGE', 'invalid sandbox knobs: callBusyShare + callNoAnswerShare + callFailedShare is more than 1');
  }
  return next;
}

/** A set of numbers written as exact E.164 numbers or `*suffix` patterns, compiled for the hot path. */
export class NumberMatcher {
  private readonly exact: Set<string>;
  private readonly suffixes: string[];

  constructor(patterns: readonly string[]) {
    this.exact = new Set(patterns.filter((p) => !p.startsWith('*')));
    this.suffixes = patterns.filter((p) => p.startsWith('*')).map((p) => p.slice(1));
  }

  matches(number: string): boolean {
    if (this.exact.has(number)) return true;
    for (const s of this.suffixes) if (number.endsWith(s)) return true;
    return false;
  }
}

/** A set of email recipients written as exact addresses or `@domain`, compared case-insensitively. */
export class RecipientMatcher {
  private readonly exact: Set<string>;
  private readonly domains: Set<string>;

  constructor(patterns: readonly string[]) {
    const lower = patterns.map((p) => p.toLowerCase());
    this.exact = new Set(lower.filter((p) => !p.startsWith('@')));
    this.domains = new Set(lower.filter((p) => p.startsWith('@')).map((p) => p.slice(1)));
  }

  matches(address: string): boolean {
    const a = address.toLowerCase();
    if (this.exact.has(a)) return true;
    const at = a.lastIndexOf('@');
    return at >= 0 && this.domains.has(a.slice(at + 1));
  }
}

/**
 * The knobs of one running sandbox, changed at run time through `set`. The API and SMTP
 * handlers read `now` and the compiled matchers on every request, so a change applies to the
 * next request without a restart.
 */
export class KnobState {
  private current: SandboxKnobs;
  invalid: NumberMatcher;
  landline: NumberMatcher;
  bounce: RecipientMatcher;
  lateBounce: RecipientMatcher;

  constructor(initial: unknown = {}) {
    this.current = mergeKnobs(DEFAULT_KNOBS, initial);
    this.invalid = new NumberMatcher(this.current.invalidNumbers);
    this.landline = new NumberMatcher(this.current.landlineNumbers);
    this.bounce = new RecipientMatcher(this.current.bounceRecipients);
    this.lateBounce = new RecipientMatcher(this.current.lateBounceRecipients);
  }

  /** The knobs as they are now; read-only to keep the compiled matchers in step. */
  get now(): Readonly<SandboxKnobs> {
    return this.current;
  }

  /** A copy, safe to hand out (JSON, CLI). */
  snapshot(): SandboxKnobs {
    return structuredClone(this.current);
  }

  /** Applies a partial change (validated as a whole) and returns the knobs now in force. */
  set(patch: unknown): SandboxKnobs {
    this.current = mergeKnobs(this.current, patch);
    this.invalid = new NumberMatcher(this.current.invalidNumbers);
    this.landline = new NumberMatcher(this.current.landlineNumbers);
    this.bounce = new RecipientMatcher(this.current.bounceRecipients);
    this.lateBounce = new RecipientMatcher(this.current.lateBounceRecipients);
    return this.snapshot();
  }

  /** Whether this request falls in a `burst429` burst; consumes one from the burst if so. */
  takeBurst(): boolean {
    if (this.current.burst429 <= 0) return false;
    this.current = { ...this.current, burst429: this.current.burst429 - 1 };
    return true;
  }

  /** The latency to add to one API request, jitter included. */
  latency(): number {
    const { latencyMs, latencyJitterMs } = this.current;
    return latencyJitterMs > 0 ? latencyMs + Math.floor(Math.random() * (latencyJitterMs + 1)) : latencyMs;
  }
}

/** Whether a number falls in the `landlineShare` of numbers: the same answer for the same number, every time. */
export function inShare(number: string, share: number): boolean {
  if (share <= 0) return false;
  let h = 2166136261;
  for (let i = 0; i < number.length; i++) h = Math.imul(h ^ number.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32 < share;
}
