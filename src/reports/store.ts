/** What reports need from the store: counts, never rows of people. */
import type { CompletionStore } from '../pacer/completion.js';
import type { CampaignRecords, CampaignSummary } from '../pacer/store.js';

export interface StatusRow {
  readonly campaignId: string;
  readonly stepId: string;
  readonly channel: string | null;
  readonly state: string;
  readonly count: number;
}

/** Fallback attempts by the channel that failed and the one that followed (`to` null: the chain ended there, `outcome` saying why). */
export interface FallbackRow {
  readonly campaignId: string;
  readonly stepId: string;
  readonly from: string | null;
  readonly to: string | null;
  /** The new attempt's state, or why the chain ended (pacer/fallback.ts CHAIN_ENDS). */
  readonly outcome: string;
  readonly count: number;
}

export interface ReportStore extends CompletionStore {
  /** Messages by campaign, step, channel and state. */
  statusCounts(campaignId?: string): Promise<StatusRow[]>;
  /** The fallback chains' links and ends, counted. */
  fallbackCounts(campaignId?: string): Promise<FallbackRow[]>;
  /** The campaigns' rows without their definitions (the store's campaign records). */
  readonly campaignRecords: Pick<CampaignRecords, 'get'> & { summaries(campaignId?: string): Promise<CampaignSummary[]> };
}
