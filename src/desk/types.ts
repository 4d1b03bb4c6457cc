/** The call desk's public types: operators, tasks, cards, outcomes and figures. */
import type { Disposition, ScriptTree } from '../campaigns/schema-desk.js';

export type { Disposition, ScriptTree } from '../campaigns/schema-desk.js';

import type { Role } from '../authority/access.js';

/** An account's role: the desk's (`operator`, `supervisor`) or the authority's (`admin`, `manager`, `viewer`); see authority/access.ts. */
export type OperatorRole = Role;

export interface Operator {
  readonly operatorId: string;
  readonly name: string;
  /** ISO 639-1 codes, in the operator's order of preference. */
  readonly languages: readonly string[];
  readonly role: OperatorRole;
  readonly disabled: boolean;
  /** Whether a password is set (the console needs one to sign in). */
  readonly hasPassword: boolean;
  readonly createdAt: string;
  /** Last request seen from the operator: "on shift" when recent. */
  readonly lastSeenAt: string | null;
  /** Locked after too many failed sign-ins until then (ISO); null when not locked now or ever. A past time means the lock has ended. */
  readonly lockedUntil: string | null;
  /** Region or ASL codes the account covers; empty: the whole installation. */
  readonly scopes: readonly string[];
  /** The language of the account's pages (`it`, `en`, `de`). */
  readonly locale: string;
}

export interface NewOperator {
  readonly operatorId: string;
  readonly name: string;
  readonly languages: readonly string[];
  /** @defaultValue 'operator' */
  readonly role?: OperatorRole;
  /** Plain text; stored hashed (scrypt). */
  readonly password?: string;
  /** @defaultValue [] (the whole installation) */
  readonly scopes?: readonly string[];
  /** @defaultValue 'it' */
  readonly locale?: string;
}

/**
 * - `open`: on the list, called when `dueAt` (null: at once) has passed;
 * - `leased`: an operator is on it until `leaseUntil` (then it is open again);
 * - `closed`: done, `closedReason` says why.
 */
export type TaskState = 'open' | 'leased' | 'closed';

/** Why a task closed: the disposition that ended it, `unreachable` (recycling ran out), `opted_out`, `no_longer_eligible` (the citizen left the cohort, cohort/eligibility.ts), or a supervisor. */
export type ClosedReason = Disposition | 'unreachable' | 'opted_out' | 'no_longer_eligible';

export interface CallTask {
  readonly taskId: string;
  /** The message that made the task (`campaign.step.citizen`). */
  readonly messageId: string;
  readonly campaignId: string;
  readonly citizenId: string;
  readonly state: TaskState;
  /** The citizen's language: only operators speaking it get the task. */
  readonly language: string | null;
  /** The campaign's priority order (the message's position). */
  readonly seq: number | null;
  /** The campaign's `calls.priority` (lower first). */
  readonly priority: number | null;
  readonly dueAt: string | null;
  readonly leaseOperator: string | null;
  readonly leaseUntil: string | null;
  /** Calls made so far. */
  readonly attempts: number;
  /** A callback for one operator only (null: anyone). */
  readonly callbackOperator: string | null;
  readonly lastDisposition: Disposition | null;
  readonly closedReason: ClosedReason | null;
  /** Script answers recorded: node id → answer id. */
  readonly answers: Readonly<Record<string, string>>;
  /** Flagged for a health worker. */
  readonly triage: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CallAttempt {
  readonly attemptId: string;
  readonly taskId: string;
  readonly campaignId: string;
  readonly operatorId: string;
  readonly disposition: Disposition;
  readonly answers: Readonly<Record<string, string>>;
  readonly note: string | null;
  readonly callbackAt: string | null;
  readonly at: string;
}

export interface DoneInput {
  readonly disposition: string;
  /** Required for `callback`: in the future, within the campaign's call window. */
  readonly callbackAt?: string | Date;
  /** @defaultValue 'me' */
  readonly callbackFor?: 'me' | 'anyone';
  /** Script answers: node id → answer id. */
  readonly answers?: Readonly<Record<string, string>>;
  readonly note?: string;
  /** `booked` on another day: the appointment is moved to another free slot, then confirmed. */
  readonly otherSlot?: boolean;
}

export interface DoneResult {
  readonly task: CallTask;
  readonly attempt: CallAttempt;
  /** What happens next: closed, or on the list again at `task.dueAt`. */
  readonly outcome: 'closed' | 'recycled' | 'callback';
}

export interface CardMessage {
  readonly messageId: string;
  readonly campaignId: string;
  readonly stepId: string;
  readonly channel: string | null;
  readonly state: string;
  /** The provider's or invito's code for an undelivered or failed attempt. */
  readonly errorCode: string | null;
  /** True for a fallback attempt: the step's earlier channel did not reach the citizen. */
  readonly fallback: boolean;
  readonly sentAt: string | null;
  readonly updatedAt: string;
}

export interface CardResponse {
  readonly kind: string;
  readonly channel: string;
  readonly receivedAt: string;
}

export interface CardAppointment {
  readonly appointmentId: string;
  readonly state: string;
  readonly start: string;
  readonly centerId: string;
  readonly centerName: string | null;
  readonly centerAddress: string | null;
  readonly centerMunicipality: string | null;
}

/** What the operator sees during a call. Personal data: never logged. */
export interface TaskCard {
  readonly task: CallTask;
  readonly citizen: {
    readonly citizenId: string;
    readonly name: string | null;
    readonly age: number | null;
    readonly sex: 'M' | 'F' | 'X' | null;
    readonly language: string;
    readonly phone: string | null;
    readonly municipality: string | null;
  };
  readonly appointment: CardAppointment | null;
  /** Every message the citizen was sent, by any campaign, oldest first. */
  readonly messages: readonly CardMessage[];
  /** Replies and clicks (confirm, decline, STOP), oldest first. */
  readonly responses: readonly CardResponse[];
  /** Earlier calls to the citizen, by any campaign, oldest first. */
  readonly calls: readonly CallAttempt[];
  /** The call template rendered for the citizen, or null with the reason (a missing template must not stop the call). */
  readonly script: { readonly templateId: string; readonly language: string; readonly text: string } | null;
  readonly scriptError: string | null;
  readonly tree: ScriptTree;
  readonly campaignName: string;
}

export interface ListFilter {
  readonly campaignId?: string;
  readonly state?: TaskState;
  readonly operatorId?: string;
  /** Only tasks flagged for a health worker. */
  readonly triage?: boolean;
  /** @defaultValue 500 */
  readonly limit?: number;
}

export interface DeskStats {
  readonly at: string;
  /** Tasks by campaign and state; `open` split into due now and waiting. */
  readonly lists: readonly { campaignId: string; due: number; waiting: number; leased: number; closed: number }[];
  /** Calls in each of the last 24 hours (UTC hour `YYYY-MM-DDTHH`), oldest first. */
  readonly callsPerHour: readonly { hour: string; calls: number }[];
  readonly byOperator: readonly { operatorId: string; calls: number; outcomes: Partial<Record<Disposition, number>> }[];
  readonly byCampaign: readonly { campaignId: string; calls: number; outcomes: Partial<Record<Disposition, number>>; closed: Partial<Record<ClosedReason, number>> }[];
  readonly onShift: number;
  readonly triage: number;
}
