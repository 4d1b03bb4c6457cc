/** What launching and releasing need from the store. */
import type { Campaign } from '../campaigns/schema.js';
import type { CampaignStatus } from '../campaigns/store.js';
import type { Channel } from '../core/channels.js';
import type { CohortQuery } from '../cohort/criteria.js';
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
}

export interface PacerStore {
  campaign(campaignId: string): Promise<CampaignRecord | null>;
  /** Records a new campaign (status active). */
  createCampaign(campaign: Campaign, releaseRate: number, at: string): Promise<void>;
  updateCampaign(campaignId: string, patch: { status?: CampaignStatus; statusReason?: string | null; releaseRate?: number }, at: string): Promise<void>;
  /**
   * Selects the cohort into the campaign's first step, in priority order, by one SQL statement.
   * Citizens already selected are left as they are (launching twice adds only newcomers, after
   * everyone else). Returns the campaign's total recipients.
   */
  selectRecipients(campaign: Campaign, query: CohortQuery, at: string): Promise<number>;
  /**
   * Active campaigns. One whose stored definition the schema no longer accepts (stored by an
   * older version) is left out, with that recorded as its release error.
   */
  activeCampaigns(): Promise<CampaignRecord[]>;
  /** Records (or, with null, clears) the campaign's release error. */
  recordReleaseError(campaignId: string, error: { readonly code: string; readonly message: string } | null, at: string): Promise<void>;
  /** What the pacer released on a local day of a campaign. */
  pacingDay(campaignId: string, day: string): Promise<PacingDay | null>;
  /** The latest pacing day before `day` (the one whose shortfall is carried). */
  lastPacingDay(campaignId: string, beforeDay: string): Promise<PacingDay | null>;
  /** Records the day's target unless the day exists already; returns the day as stored. */
  openPacingDay(campaignId: string, day: string, target: number, at: string): Promise<PacingDay>;
  /**
   * The next pending invitations in priority order become `queued`, up to `limit`: each with
   * the first channel of its step that reaches the citizen and whose window is open, and a slot
   * at a centre serving the citizen (allocated in the same transaction). Opted-out citizens
   * become `opted_out`, unreachable ones `failed` (NO_CHANNEL), citizens no centre serves
   * `failed` (NO_CENTER); citizens whose centres are full stay pending, in their place. The
   * day's released count grows in the same transaction.
   */
  releaseInvitations(campaign: Campaign, limit: number, ctx: ReleaseContext): Promise<{ released: Released[]; dayReleased: number }>;
  /** Reminders and follow-ups due by now become `queued` (or `cancelled` when their appointment no longer needs them). */
  releaseDue(campaign: Campaign, limit: number, ctx: ReleaseContext): Promise<Released[]>;
  /** Creates the reminders and follow-ups whose trigger has fired; returns how many. */
  scheduleSteps(campaign: Campaign, ctx: ReleaseContext): Promise<number>;
  /** Free places on `day` at the centres serving the campaign's regions. */
  openSlots(campaign: Campaign, day: string): Promise<number>;
  /** The expected acceptance, learnt from the answers so far within the campaign's bounds. */
  acceptance(campaign: Campaign): Promise<number>;
  /** Held or confirmed appointments on or after `day` (reminders may still be due). */
  liveAppointments(campaignId: string, day: string): Promise<number>;
  /** Queued messages older than `before`, whose jobs may have been lost (Redis restarted). */
  staleQueued(before: string, limit: number): Promise<Released[]>;
  /** Messages claimed before `before` and never recorded: their worker died. → `unknown`. */
  expireClaims(before: string, at: string): Promise<number>;
  /**
   * Frees the slots still held by invitations that ended undelivered or failed (a receipt that
   * overtook the send's record is applied without the feedback server); returns how many.
   */
  releaseSlotsOfFailedInvitations(at: string): Promise<number>;
  /** Messages not yet final, by state, for a campaign. */
  unfinished(campaignId: string): Promise<{ pending: number; queued: number; sending: number }>;
  /** Cancels what was not sent: pending and queued → cancelled. */
  cancelUnsent(campaignId: string, at: string): Promise<number>;
}
