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

export interface ReportStore extends CompletionStore {
  /** Messages by campaign, step, channel and state. */
  statusCounts(campaignId?: string): Promise<StatusRow[]>;
  /** The campaigns' rows without their definitions (the store's campaign records). */
  readonly campaignRecords: Pick<CampaignRecords, 'get'> & { summaries(campaignId?: string): Promise<CampaignSummary[]> };
}
