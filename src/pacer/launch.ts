/** `invito launch`: register a campaign and select its recipients into the store, in priority order. */
import { isDeepStrictEqual } from 'node:util';
import type { Campaign } from '../campaigns/schema.js';
import { InvitoError } from '../core/errors.js';
import { cohortQuery } from '../cohort/criteria.js';
import { campaignRecord } from './campaigns.js';
import { calendarOf } from './windows.js';
import type { PacerRepositories } from './store.js';

export interface LaunchResult {
  /** False when the campaign had been launched before (nothing was duplicated). */
  readonly created: boolean;
  readonly recipients: number;
  /** Recipients added by this launch (newcomers on a relaunch). */
  readonly added: number;
}

/**
 * Launching the same campaign twice duplicates nothing: messages are keyed by campaign, step
 * and citizen, and a relaunch only adds citizens who joined the cohort since (after everyone
 * else in the order). A relaunch with a different definition is refused — its cohort is fixed.
 */
export async function launchCampaign(store: PacerRepositories, campaign: Campaign, releaseRate: number, at: string): Promise<LaunchResult> {
  const existing = await campaignRecord(store, campaign.id);
  if (existing && !isDeepStrictEqual(existing.definition, JSON.parse(JSON.stringify(campaign)))) {
    throw new InvitoError('CAMPAIGN_CHANGED', `campaign ${campaign.id} was launched with a different definition; give the changed campaign a new id`);
  }
  if (existing?.status === 'cancelled') throw new InvitoError('CAMPAIGN_STATE', `campaign ${campaign.id} was cancelled; it cannot be launched again`);
  const before = existing?.recipients ?? 0;
  if (!existing) await store.campaignRecords.create(campaign, releaseRate, at);
  else if (existing.releaseRate !== releaseRate) await store.campaignRecords.update(campaign.id, { releaseRate }, at);
  // The cohort of the launch's day (the days since the last dose; a rolling campaign's ages too).
  const recipients = await store.campaignRecords.selectRecipients(campaign, cohortQuery(campaign, calendarOf(campaign).localDay(Date.parse(at))), at);
  return { created: !existing, recipients, added: recipients - before };
}
