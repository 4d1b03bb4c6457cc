/** What the call desk needs from the store (implemented by src/store/desk.ts on both dialects). */
import type { CitizenCard } from '../campaigns/store.js';
import type { Campaign } from '../campaigns/schema.js';
import type { CenterInfo, CitizenPlace, SlotRequest } from '../pacer/appointments.js';
import type { CallAttempt, CallTask, CardAppointment, CardMessage, CardResponse, ClosedReason, Disposition, ListFilter, Operator, OperatorRole } from './types.js';

export interface OperatorRecord extends Operator {
  readonly passwordHash: string | null;
}

/** One sign-in attempt as the store counts it (the desk's policy turned into times). */
export interface SignInAttempt {
  readonly now: string;
  /** Failures before this time no longer count. */
  readonly windowStart: string;
  readonly maxFailures: number;
  /** When a lock set by this attempt ends. */
  readonly lockUntil: string;
}

/** What the store said about an attempt. */
export interface SignInGate {
  /** Whether the account exists (the console logs only ids that are: a mistyped id may be a password). */
  readonly known: boolean;
  /** Whether the password may be checked. */
  readonly allowed: boolean;
  /** The lock in force: refusing this attempt, or set by it (it is the last one allowed). */
  readonly lockedUntil: string | null;
}

/** A citizen as the desk sees one: the card messages use, and whether they said never to call. */
export interface DeskCitizen extends CitizenCard {
  readonly doNotCallAt: string | null;
}

export interface DeskCampaign {
  readonly campaignId: string;
  readonly status: string;
  readonly definition: Campaign;
}

/** The next-task query: everything the desk decided before the store picks and leases. */
export interface NextQuery {
  readonly operatorId: string;
  readonly languages: readonly string[];
  /** Campaigns whose call window is open now. */
  readonly campaignIds: readonly string[];
  readonly now: string;
  readonly leaseUntil: string;
}

/** What the end of a call does to the citizen's appointment, in the completion's transaction. */
export type AppointmentAction =
  | { readonly kind: 'confirm'; readonly appointmentId: string }
  /** Another slot (the citizen wants another day), then confirmed. */
  | { readonly kind: 'rebook'; readonly appointmentId: string; readonly request: SlotRequest }
  | { readonly kind: 'release'; readonly appointmentId: string; readonly reason: string };

/**
 * A task's end of call, written at once (the task, the attempt, the do-not-call mark, the
 * appointment) or not at all.
 */
export interface Completion {
  readonly taskId: string;
  readonly citizenId: string;
  readonly operatorId: string;
  /** The attempts the desk saw: the write applies only if no other completion came in between. */
  readonly attemptsBefore: number;
  readonly now: string;
  readonly state: 'open' | 'closed';
  readonly dueAt: string | null;
  readonly callbackOperator: string | null;
  readonly closedReason: ClosedReason | null;
  readonly disposition: Disposition;
  readonly answers: Readonly<Record<string, string>>;
  readonly triage: boolean;
  readonly attempt: Omit<CallAttempt, 'at'>;
  /** Bar the citizen from every campaign's calls and close their other tasks. */
  readonly doNotCall: boolean;
  readonly appointment?: AppointmentAction;
}

export interface StatsRows {
  readonly lists: readonly { campaignId: string; state: string; due: boolean; n: number }[];
  readonly closed: readonly { campaignId: string; reason: string | null; n: number }[];
  readonly hourly: readonly { hour: string; n: number }[];
  readonly outcomes: readonly { campaignId: string; operatorId: string; disposition: Disposition; n: number }[];
  readonly triage: number;
}

export interface DeskStore {
  // operators
  insertOperator(o: { operatorId: string; name: string; languages: readonly string[]; role: OperatorRole; passwordHash: string | null; scopes: readonly string[]; locale: string; at: string }): Promise<boolean>;
  operator(operatorId: string): Promise<OperatorRecord | null>;
  operators(): Promise<OperatorRecord[]>;
  setOperatorDisabled(operatorId: string, disabled: boolean): Promise<boolean>;
  setOperatorPassword(operatorId: string, passwordHash: string): Promise<boolean>;
  touchOperator(operatorId: string, at: string): Promise<void>;
  /**
   * Counts a sign-in attempt against the account before its password is checked, in one atomic
   * step, so attempts in parallel cannot all pass: refused while locked; the attempt that
   * reaches `maxFailures` inside the window sets the lock (a success then clears it).
   */
  beginSignIn(operatorId: string, a: SignInAttempt): Promise<SignInGate>;
  /** A successful sign-in: the count starts again and any lock goes. */
  clearSignInFailures(operatorId: string): Promise<void>;
  /** Lifts a lock (a supervisor, `invito operators unlock`); false when there is no such operator. */
  unlockOperator(operatorId: string): Promise<boolean>;
  /** Enabled operators seen at or after `since`. */
  onShift(since: string): Promise<number>;

  // campaigns
  campaigns(): Promise<DeskCampaign[]>;
  campaign(campaignId: string): Promise<DeskCampaign | null>;

  // tasks
  /** Fills language, order and campaign priority of tasks the call channel created (idempotent). */
  adoptNewTasks(priorities: ReadonlyMap<string, number>): Promise<number>;
  /** The task leased to the operator, if any (expired or not). */
  heldTask(operatorId: string): Promise<CallTask | null>;
  /** Extends the operator's own lease; false when the task is no longer theirs. */
  renewLease(taskId: string, operatorId: string, until: string, now: string): Promise<boolean>;
  /**
   * Picks the best task for the query and leases it atomically; a task whose citizen opted
   * out or is on the do-not-call list is closed on the way. Null when nothing is due.
   */
  leaseNext(q: NextQuery): Promise<CallTask | null>;
  task(taskId: string): Promise<CallTask | null>;
  tasks(filter: ListFilter): Promise<CallTask[]>;
  /**
   * Writes a completion if the task is still leased to the operator; false otherwise (nothing
   * written). Appointment errors (APPOINTMENT_STATE, NO_SLOT) are thrown and nothing is written.
   */
  complete(c: Completion): Promise<boolean>;
  /** Back on the list at once (a supervisor's release); false unless leased. */
  release(taskId: string, now: string): Promise<boolean>;
  /** Leases the task to another operator; false when it is closed. */
  reassign(taskId: string, operatorId: string, until: string, now: string): Promise<boolean>;
  /** Open and leased tasks of these campaigns due before `horizon` or without a time. */
  activeTasks(horizon: string, campaignIds: readonly string[]): Promise<number>;

  // the card
  citizen(citizenId: string): Promise<DeskCitizen | null>;
  appointment(appointmentId: string): Promise<CardAppointment | null>;
  messagesOf(citizenId: string): Promise<CardMessage[]>;
  responsesOf(citizenId: string): Promise<CardResponse[]>;
  attemptsOf(citizenId: string): Promise<CallAttempt[]>;
  /** The centres serving a citizen, in preference order (for another slot). */
  candidateCenters(citizen: CitizenPlace): Promise<CenterInfo[]>;
  /** The step of the message that made the task. */
  messageStep(messageId: string): Promise<{ stepId: string; linkToken: string | null } | null>;

  stats(now: string, since: string): Promise<StatsRows>;
}
