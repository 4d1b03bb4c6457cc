/**
 * The dispatch side of the store as one object: the messages repository (the send path's
 * statements, flat, as the worker calls them) with the campaign, pacing and allocation
 * repositories beside it and the unit of work over all of them. It implements the pacer's, the
 * worker's, the call channel's and the reports' ports; no rule of who, when or by which
 * channel is here (the release is pacer/invitations.ts and pacer/reminders.ts).
 */
import type { Kysely } from 'kysely';
import type { Campaign } from '../campaigns/schema.js';
import type { CampaignStatus } from '../campaigns/store.js';
import type { CallTaskStore } from '../channels/call.js';
import { campaignRecord } from '../pacer/campaigns.js';
import type { CampaignRecord, CampaignSummary, PacerStore, PacingDay } from '../pacer/store.js';
import type { DispatchStore } from '../queues/store.js';
import type { ReportStore } from '../reports/store.js';
import type { AllocationRepository } from './allocation.js';
import type { CampaignRecordRepository } from './campaign-records.js';
import { MessageRepository } from './messages.js';
import type { Dialect } from './open.js';
import type { PacingRepository } from './pacing.js';
import { type Repositories, repositories, type Shared, sharedOf, transaction } from './repositories.js';
import type { Database } from './schema.js';

export class KyselyDispatchStore extends MessageRepository implements Repositories, PacerStore, DispatchStore, CallTaskStore, ReportStore {
  readonly messages: MessageRepository = this;
  readonly campaignRecords: CampaignRecordRepository;
  readonly pacing: PacingRepository;
  readonly allocation: AllocationRepository;
  private readonly shared: Shared;

  constructor(db: Kysely<Database>, dialect: Dialect = 'postgres') {
    const shared = sharedOf(db, dialect);
    super(db, dialect, shared.hot, true);
    this.shared = shared;
    ({ campaignRecords: this.campaignRecords, pacing: this.pacing, allocation: this.allocation } = repositories(db, dialect, shared, true));
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return transaction(this.ex, this.dialect, this.shared, fn);
  }

  /** The campaign with its stored definition read through today's schema (throws as the schema does). */
  campaign = (campaignId: string): Promise<CampaignRecord | null> => campaignRecord(this, campaignId);
  createCampaign = (campaign: Campaign, releaseRate: number, at: string): Promise<void> => this.campaignRecords.create(campaign, releaseRate, at);
  updateCampaign = (id: string, patch: { status?: CampaignStatus; statusReason?: string | null; releaseRate?: number }, at: string): Promise<void> => this.campaignRecords.update(id, patch, at);
  setCampaignStatus = (id: string, status: CampaignStatus, reason: string | null, at: string): Promise<void> => this.campaignRecords.setStatus(id, status, reason, at);
  campaigns = (campaignId?: string): Promise<CampaignSummary[]> => this.campaignRecords.summaries(campaignId);
  pacingDay = (campaignId: string, day: string): Promise<PacingDay | null> => this.pacing.day(campaignId, day);
  openPacingDay = (campaignId: string, day: string, target: number, at: string): Promise<PacingDay> => this.pacing.open(campaignId, day, target, at);
  releaseSlotsOfFailedInvitations = (at: string): Promise<number> => this.allocation.releaseSlotsOfFailedInvitations(at);
}
