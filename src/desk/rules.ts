/**
 * The desk's rules that the store's statements carry out: the order of the next call, which
 * citizens are never called, how a sign-in failure counts, what an end of call does to the
 * appointment, and how recorded answers read back. Pure; the store (src/store/desk.ts,
 * src/store/operators.ts) runs them inside its conditional statements and transactions, so
 * what must stay one atomic step in SQL still is, with its parameters from here.
 */
import { InvitoError } from '../core/errors.js';
import type { AppointmentAction, SignInAttempt } from './store.js';
import type { CallTask, ClosedReason } from './types.js';

/**
 * The next call: the operator's own due callbacks, then due callbacks for anyone (tasks whose
 * last disposition was `callback`), then by `then` — the campaign's priority (lower first), the
 * campaign's order, the id. An ORDER BY in the store (a pick must not read the list into
 * memory), with these keys. `maxSteps`: tasks one pick may close (opted out, do not call) or
 * lose to another operator before it gives up for now.
 */
export const NEXT_CALL = {
  callback: 'callback',
  then: ['priority', 'seq', 'taskId'],
  maxSteps: 200,
} as const satisfies { callback: string; then: readonly (keyof CallTask)[]; maxSteps: number };

/** The list's order: by campaign, then as the next call goes. */
export const LIST_ORDER = ['campaignId', ...NEXT_CALL.then] as const satisfies readonly (keyof CallTask)[];

/** Tasks the hopper counts as still to be called: on the list or in someone's hands. */
export const ACTIVE_TASK_STATES = ['open', 'leased'] as const satisfies readonly CallTask['state'][];

/**
 * Adopting a task the call channel made: it takes its campaign's `calls.priority` (this one if
 * the campaign is unknown) and its message's position; one without a message (made by hand) goes
 * last in its campaign.
 */
export const ADOPTION = { defaultPriority: 1, lastSeq: 2 ** 31 - 1 } as const;

/** Why a citizen's task is closed instead of called: do not call first, then an opt-out; null when they may be called. */
export function barredReason(c: { readonly optedOut: boolean; readonly doNotCallAt: string | null }): ClosedReason | null {
  return c.doNotCallAt ? 'do_not_call' : c.optedOut ? 'opted_out' : null;
}

/** An account's count of failed sign-ins, as stored. */
export interface SignInCount {
  readonly failures: number;
  readonly failedSince: string | null;
  readonly lockedUntil: string | null;
}

/**
 * One sign-in attempt counted against the account before its password is checked: refused while
 * a lock is in force; else one more failure in the window (a window that ended, or a lock that
 * ended, starts a fresh count: the operator gets their attempts back), and the attempt that
 * reaches `maxFailures` sets the lock.
 */
export function countSignIn(prior: SignInCount, a: SignInAttempt): { readonly allowed: false; readonly lockedUntil: string } | { readonly allowed: true; readonly next: SignInCount } {
  if (prior.lockedUntil !== null && prior.lockedUntil > a.now) return { allowed: false, lockedUntil: prior.lockedUntil };
  const fresh = prior.lockedUntil !== null || prior.failedSince === null || prior.failedSince < a.windowStart;
  const failures = fresh ? 1 : prior.failures + 1;
  return { allowed: true, next: { failures, failedSince: fresh ? a.now : prior.failedSince, lockedUntil: failures >= a.maxFailures ? a.lockUntil : null } };
}

/** One step of an end of call's appointment action, for the store to take in the completion's transaction. */
export type AppointmentStep =
  | { readonly step: 'release'; readonly reason: string }
  | { readonly step: 'rebook'; readonly request: Extract<AppointmentAction, { kind: 'rebook' }>['request'] }
  | { readonly step: 'reclaim' }
  | { readonly step: 'confirm' };

/**
 * What an end of call does to the appointment, given its state now (null: there is none, a
 * campaign without centres — the outcome is the call's alone). Booked on another day moves it,
 * then confirms; booked after it was released takes its place back first (the store fails the
 * call with `placeGone` when the place has been taken meanwhile).
 */
export function appointmentSteps(a: AppointmentAction, state: string | null): AppointmentStep[] {
  if (state === null) return [];
  if (a.kind === 'release') return [{ step: 'release', reason: a.reason }];
  if (a.kind === 'rebook') return [{ step: 'rebook', request: a.request }, { step: 'confirm' }];
  return state === 'released' ? [{ step: 'reclaim' }, { step: 'confirm' }] : [{ step: 'confirm' }];
}

export const placeGone = (appointmentId: string): InvitoError =>
  new InvitoError('APPOINTMENT_STATE', `appointment ${appointmentId} was released and its place is gone: book another slot`);

/** Script answers as recorded (JSON, node id → answer id); anything else reads as none. */
export function parseAnswers(text: string | null): Record<string, string> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}
