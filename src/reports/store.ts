/** What reports need from the store: counts, never rows of people. */
import type { CampaignSummary } from '../pacer/store.js';

export interface StatusRow {
  readonly campaignId: string;
  readonly stepId: string;
  readonly channel: string | null;
  readonly state: string;
  readonly count: number;
}

export interface ReportStore {
  /** Messages by campaign, step, channel and state. */
  statusCounts(campaignId?: string): Promise<StatusRow[]>;
  /** The campaigns' rows without their definitions (the store's campaign records). */
  readonly campaignRecords: { summaries(campaignId?: string): Promise<CampaignSummary[]> };
}
