/** What launching and releasing need from the store. */
import type { Campaign } from '../campaigns/schema.js';
import type { Channel } from '../core/channels.js';
import type { CohortQuery } from '../cohort/criteria.js';
import type { CampaignStatus } from '../queues/store.js';

export interface CampaignRecord {
  readonly campaignId: string;
  readonly definition: Campaign;
  readonly status: CampaignStatus;
  readonly statusReason: string | null;
  /** Messages released per second. */
  readonly releaseRate: number;
  readonly recipients: number;
}

export interface Released {
  readonly messageId: string;
  readonly channel: Channel;
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
  activeCampaigns(): Promise<CampaignRecord[]>;
  /**
   * The next `limit` pending messages in priority order become `queued`, each with the first
   * channel of its step that reaches the citizen; opted-out citizens become `opted_out` and
   * unreachable ones `failed` (NO_CHANNEL) on the way. Returns the queued ones.
   */
  releaseNext(campaign: Campaign, limit: number, linkToken: (messageId: string) => string, at: string): Promise<Released[]>;
  /** Queued messages older than `before`, whose jobs may have been lost (Redis restarted). */
  staleQueued(before: string, limit: number): Promise<Released[]>;
  /** Messages claimed before `before` and never recorded: their worker died. → `unknown`. */
  expireClaims(before: string, at: string): Promise<number>;
  /** Messages not yet final, by state, for a campaign. */
  unfinished(campaignId: string): Promise<{ pending: number; queued: number; sending: number }>;
  /** Cancels what was not sent: pending and queued → cancelled. */
  cancelUnsent(campaignId: string, at: string): Promise<number>;
}
