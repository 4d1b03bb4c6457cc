/** What launching and releasing need from the store: the pacer's ports, which the store implements. */
import type { Campaign } from '../campaigns/schema.js';
import type { CampaignStatus } from '../campaigns/store.js';
import type { Channel } from '../core/channels.js';
import type { MessageState } from '../core/lifecycle.js';
import type { Contact } from '../core/reach.js';
import type { CohortQuery } from '../cohort/criteria.js';
import type { Eligibility, Ineligible } from '../cohort/eligibility.js';
import type { Appointment, AppointmentState, CenterInfo, CitizenPlace, SlotRequest } from './appointments.js';
import type { SendCalendar } from './windows.js';

/** A campaign as reports see it: everything but its definition. */
export interface CampaignSummary {
  readonly campaignId: string;
  readonly status: CampaignStatus;
  readonly statusReason: string | null;
  /** The campaign's own cap on releases per second (0: only the providers' ceilings). */
  readonly releaseRate: number;
  readonly recipients: number;
  /** Why the campaign's last release failed; null when it succeeded (or none ran yet). */
  readonly releaseError: ReleaseError | null;
}

export interface CampaignRecord extends CampaignSummary {
  readonly definition: Campaign;
}

/** A failure of one campaign's release, kept on the campaign: the worker goes on with the others. */
export interface ReleaseError {
  /** An error code of the catalogue (`INTERNAL` for anything else). */
  readonly code: string;
  readonly message: string;
  /** When it was recorded (ISO): the first failure of this kind in a row. */
  readonly at: string;
}

export interface Released {
  readonly messageId: string;
  readonly channel: Channel;
  /**
   * Clock time (epoch ms) before which the message should not go: a tick's releases are spread
   * over the tick, so the providers see an even flow rather than a burst per tick.
   */
  readonly notBefore?: number;
}

export interface PacingDay {
  readonly day: string;
  readonly target: number;
  readonly released: number;
}

/** What a release needs to know about now. */
export interface ReleaseContext {
  /** Now, as ISO text and epoch ms (clock time). */
  readonly at: string;
  readonly now: number;
  /** Today in the campaign's time zone. */
  readonly day: string;
  readonly calendar: SendCalendar;
  /** The reply-link token of a message. */
  readonly token: (messageId: string) => string;
  /** How many call tasks the operators' list can take now (unlimited when absent). */
  readonly callRoom?: number;
  /** The contact limits the release keeps to (pacer/contact.ts); none when absent. */
  readonly contact?: ContactWindow;
}

/**
 * The contact limits as the store's release queries check them: a citizen with `perDay` contacts
 * (core/lifecycle.ts CONTACT_STATES) released since `dayStart`, or `perWeek` since `weekStart`,
 * from any campaign, is passed over (ISO instants).
 */
export interface ContactWindow {
  readonly dayStart: string;
  readonly weekStart: string;
  readonly perDay: number;
  readonly perWeek: number;
}

/** A pending invitation in priority order, with what the release decides on: contacts and place. */
export interface PendingInvitation extends Contact, CitizenPlace {
  readonly messageId: string;
  readonly citizenId: string;
  readonly optOut: boolean;
  /** What the cohort's eligibility rule reads of the citizen now (cohort/eligibility.ts). */
  readonly eligibility: Eligibility;
}

/** A citizen with work open in a campaign, as the eligibility sweep reads them. */
export interface EligibilityCandidate {
  readonly citizenId: string;
  readonly eligibility: Eligibility;
}

/** A citizen out of a campaign's cohort now, and the rule they fail. */
export interface IneligibleCitizen {
  readonly citizenId: string;
  readonly reason: Ineligible;
}

/** A reminder or follow-up whose time has come, with the state of the appointment it is about. */
export interface DueMessage extends Contact {
  readonly messageId: string;
  readonly citizenId: string;
  readonly stepId: string;
  /** Set for a fallback attempt: the channel it goes by (null for a reminder or follow-up, which choose among their step's). */
  readonly channel: Channel | null;
  readonly optOut: boolean;
  readonly appointment: AppointmentState | null;
  readonly startAt: string | null;
}

/**
 * An attempt that ended undelivered or failed with an appointment, whose fallback is still to
 * be decided (pacer/fallback.ts), with what the decision reads: the citizen's contacts now, the
 * appointment's state.
 */
export interface FailedAttempt extends Contact {
  readonly messageId: string;
  readonly campaignId: string;
  readonly stepId: string;
  readonly citizenId: string;
  readonly seq: number;
  readonly channel: Channel | null;
  readonly state: MessageState;
  readonly errorCode: string | null;
  readonly appointmentId: string;
  /** Fallbacks before this attempt in its chain. */
  readonly depth: number;
  readonly optOut: boolean;
  readonly eligibility: Eligibility;
  readonly appointment: AppointmentState | null;
  readonly startAt: string | null;
}

/** A failed attempt's decided fallback: the new attempt, or why the chain ends (and the slot it frees, if any). */
export type FallbackDecision =
  | { readonly failedId: string; readonly kind: 'made'; readonly attempt: NewMessage }
  | { readonly failedId: string; readonly kind: 'ended'; readonly reason: string; readonly freeAppointment: string | null };

/** A message row to create (a reminder or follow-up, or a fallback attempt). */
export interface NewMessage {
  readonly messageId: string;
  readonly campaignId: string;
  readonly stepId: string;
  readonly citizenId: string;
  readonly seq: number;
  readonly state: 'pending' | 'cancelled';
  readonly appointmentId: string;
  readonly dueAt: string | null;
  readonly errorDetail: string | null;
  readonly finalAt: string | null;
  readonly at: string;
  /** A fallback attempt: its preset channel, the attempt it follows and its depth in the chain. */
  readonly channel?: Channel;
  readonly fallbackOf?: string;
  readonly fallbackDepth?: number;
}

/** How unsent messages end without a send: the failure codes carry their catalogue text. */
export type Unsendable =
  | { readonly state: 'opted_out' }
  | { readonly state: 'failed' | 'skipped'; readonly code: 'NO_CHANNEL' | 'NO_CENTER' | 'NOT_REACHABLE' }
  | { readonly state: 'cancelled'; readonly detail: string }
  /** Out of the cohort as the registry says now (cohort/eligibility.ts): the code NO_LONGER_ELIGIBLE and the rule's detail. */
  | { readonly state: 'cancelled'; readonly code: 'NO_LONGER_ELIGIBLE'; readonly detail: string };

/** A campaign's work not at rest (see `unfinished`). */
export interface Unfinished {
  readonly pending: number;
  readonly queued: number;
  readonly sending: number;
  /** Call tasks open or leased (the desk's `ACTIVE_TASK_STATES`): an operator still has to call. */
  readonly callTasks: number;
  /** Invitations that ended undelivered or failed and whose next channel is still to be tried. */
  readonly awaitingFallback: number;
}

/** The messages table as the pacer uses it: no decision of who, when or by which channel. */
export interface PacerMessages {
  /** Pending messages of the campaign's step, in priority order, with their citizens' contacts and places. */
  pendingInvitations(campaignId: string, stepId: string, limit: number, contact?: ContactWindow): Promise<PendingInvitation[]>;
  /** Attempts of the campaign that ended undelivered or failed with an appointment and whose fallback is still to be decided, in priority order. */
  failedAttempts(campaignId: string, limit: number): Promise<FailedAttempt[]>;
  /**
   * Records fallback decisions: each new attempt inserted (a key already taken is left as it is:
   * once per channel) and its failed attempt marked `made`; an ended chain's attempt marked with
   * the reason and, when given, its appointment freed (feedback/rules.ts RECEIPT_RELEASES).
   * Returns the attempts inserted. Run it in the unit of work that read them.
   */
  settleFallbacks(decisions: readonly FallbackDecision[], at: string): Promise<number>;
  /** Pending messages of the campaign due by `at`, by due time then priority. */
  dueMessages(campaignId: string, at: string, limit: number, contact?: ContactWindow): Promise<DueMessage[]>;
  /** Pending → queued on `channel`, each with its link token (and, for invitations, its own appointment); returns the ids moved. */
  queue(channel: Channel, items: readonly { readonly id: string; readonly token: string }[], at: string, withAppointment: boolean): Promise<string[]>;
  /** Pending → a final state without a send. */
  finish(ids: readonly string[], how: Unsendable, at: string): Promise<void>;
  /** Inserts messages, leaving any that exist; returns how many were new. */
  insert(messages: readonly NewMessage[]): Promise<number>;
  /** Appointments in `states` on days `[fromDay, toDay]` with no message of `stepId` yet, with their invitation's place in the order. */
  appointmentsWithout(campaignId: string, stepId: string, states: readonly AppointmentState[], fromDay: string, toDay: string, limit: number): Promise<{ appointmentId: string; citizenId: string; day: string; startAt: string; seq: number }[]>;
  /**
   * Invitations of `inviteStepId` in `states` (the first attempt or a fallback), sent by
   * `sentBefore` or whose appointment's day is `appointmentBy` or earlier, whose appointment is
   * in state `appointment`, with no message of `stepId` yet.
   */
  invitationsWithout(
    campaignId: string,
    inviteStepId: string,
    stepId: string,
    q: { states: readonly MessageState[]; sentBefore: string; appointmentBy: string; appointment: AppointmentState },
    limit: number,
  ): Promise<{ appointmentId: string; citizenId: string; seq: number; sentAt: string; day: string; startAt: string }[]>;
  /** Queued messages older than `before`, whose jobs may have been lost (Redis restarted). */
  staleQueued(before: string, limit: number): Promise<Released[]>;
  /** Messages claimed before `before` and never recorded: their worker died. → `unknown`. */
  expireClaims(before: string, at: string): Promise<number>;
  /** What of a campaign is not at rest yet: messages by open state, call tasks still to be called, failed messages whose fallback is still to be made. */
  unfinished(campaignId: string): Promise<Unfinished>;
  /**
   * Cancels what was not sent: pending and queued → cancelled. The slots offered and not yet
   * confirmed go back to the centres (reason `cancelled`); a confirmed one stays the citizen's.
   */
  cancelUnsent(campaignId: string, at: string): Promise<number>;
  /** The latest finished registry import run (citizens or vaccinations), null before any: a newer one starts an eligibility sweep. */
  latestImport(): Promise<string | null>;
  /** Citizens with work open in the campaign (unsent messages, active call tasks, slots held on `day` or later), after `after` by id. */
  eligibilityCandidates(campaignId: string, day: string, after: string, limit: number): Promise<EligibilityCandidate[]>;
  /**
   * Ends the campaign's open work of citizens out of its cohort, in one transaction: unsent
   * messages → `cancelled` (NO_LONGER_ELIGIBLE; `opted_out` for an opt-out), slots held on `day` or
   * later freed, active call tasks closed. Returns the messages ended.
   */
  endIneligible(campaignId: string, citizens: readonly IneligibleCitizen[], day: string, at: string): Promise<number>;
}

/** A campaign row: its summary and its definition's stored text (campaigns/stored.ts reads it). */
export interface StoredCampaignRow extends CampaignSummary {
  readonly definitionText: string;
}

export interface CampaignRecords {
  get(campaignId: string): Promise<StoredCampaignRow | null>;
  /** Records a new campaign (status active). */
  create(campaign: Campaign, releaseRate: number, at: string): Promise<void>;
  update(campaignId: string, patch: { status?: CampaignStatus; statusReason?: string | null; releaseRate?: number }, at: string): Promise<void>;
  /** Sets the status unless the campaign is cancelled. */
  setStatus(campaignId: string, status: CampaignStatus, reason: string | null, at: string): Promise<void>;
  /** Rows of the active campaigns, by id. */
  active(): Promise<StoredCampaignRow[]>;
  /** Records (or, with null, clears) the campaign's release error. */
  recordReleaseError(campaignId: string, error: { readonly code: string; readonly message: string } | null, at: string): Promise<void>;
  /**
   * Selects the cohort into the campaign's first step, in priority order, by one SQL statement.
   * Citizens already selected are left as they are (launching twice adds only newcomers, after
   * everyone else). Returns the campaign's total recipients.
   */
  selectRecipients(campaign: Campaign, query: CohortQuery, at: string): Promise<number>;
}

export interface PacingDays {
  /** What the pacer released on a local day of a campaign. */
  day(campaignId: string, day: string): Promise<PacingDay | null>;
  /** The latest pacing day before `day` (the one whose shortfall is carried). */
  last(campaignId: string, beforeDay: string): Promise<PacingDay | null>;
  /** Records the day's target unless the day exists already; returns the day as stored. */
  open(campaignId: string, day: string, target: number, at: string): Promise<PacingDay>;
  /** Adds `n` to the day's released count; returns the new count (null when the day is not open). */
  addReleased(campaignId: string, day: string, n: number, at: string): Promise<number | null>;
}

/** Slots and appointments as the release and the reconciler use them (the store's appointments repository). */
export interface Allocation {
  /** Centres serving a citizen's place, in preference order (cached by area for a while). */
  candidates(place: CitizenPlace): Promise<CenterInfo[]>;
  /** One slot per request (null where the centres are full), in a few statements for a group with the same candidates. */
  allocateAll(requests: readonly SlotRequest[]): Promise<(Appointment | null)[]>;
  /** Free places on `day` at the centres of `regions` (every centre when none are given). */
  openSlotsIn(regions: readonly string[] | undefined, day: string): Promise<number>;
  /** Answers recorded so far in the campaign: appointments confirmed, and released as declined. */
  acceptance(campaignId: string): Promise<{ confirmed: number; declined: number }>;
  /** Held or confirmed appointments on or after `day` (reminders may still be due). */
  liveAppointments(campaignId: string, day: string): Promise<number>;
  /**
   * Frees the slots still held by invitations that ended undelivered or failed (a receipt that
   * overtook the send's record is applied without the feedback server); returns how many.
   */
  releaseSlotsOfFailedInvitations(at: string): Promise<number>;
}

/** The repositories the pacer works with, on the store's pool or inside one unit of work. */
export interface PacerRepositories {
  readonly messages: PacerMessages;
  readonly campaignRecords: CampaignRecords;
  readonly pacing: PacingDays;
  readonly appointments: Allocation;
}

/** What launching and releasing need from the store: its repositories, and a unit of work over them. */
export interface PacerStore extends PacerRepositories {
  /** Runs `fn` atomically: every repository call through `tx` commits together or not at all. */
  transaction<T>(fn: (tx: PacerRepositories) => Promise<T>): Promise<T>;
}
