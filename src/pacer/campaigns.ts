/** Launched campaigns as the pacer reads them: the stored row with its definition parsed (campaigns/stored.ts). */
import { definitionProblem, storedCampaign } from '../campaigns/stored.js';
import { InvitoError } from '../core/errors.js';
import type { CampaignRecord, CampaignRecords, PacerRepositories } from './store.js';

/** The campaign with its stored definition read through today's schema; throws as the schema does. */
export async function campaignRecord(store: { readonly campaignRecords: Pick<CampaignRecords, 'get'> }, campaignId: string): Promise<CampaignRecord | null> {
  const r = await store.campaignRecords.get(campaignId);
  if (!r) return null;
  const { definitionText, ...summary } = r;
  return { ...summary, definition: storedCampaign(r.campaignId, definitionText) };
}

/**
 * Active campaigns. One whose stored definition the schema no longer accepts (stored by an
 * older version) is left out, with that recorded as its release error.
 */
export async function activeCampaigns(store: PacerRepositories): Promise<CampaignRecord[]> {
  const out: CampaignRecord[] = [];
  for (const r of await store.campaignRecords.active()) {
    const { definitionText, ...summary } = r;
    try {
      // Asked every tick: each definition is parsed once.
      out.push({ ...summary, definition: storedCampaign(r.campaignId, definitionText) });
    } catch (e) {
      // Stored by a version with looser bounds: this campaign cannot be released, the others can.
      const message = definitionProblem(e);
      if (r.releaseError?.message !== message) await store.campaignRecords.recordReleaseError(r.campaignId, { code: 'CAMPAIGN_INVALID', message }, new Date().toISOString());
    }
  }
  return out;
}

/** What an authority may do to a launched campaign. */
export type CampaignControl = 'pause' | 'resume' | 'cancel';

/**
 * Pauses, resumes or cancels a launched campaign (the CLI's and the dashboard's one rule):
 * pausing stops releasing, resuming goes on where it stopped, cancelling ends it for good and
 * cancels what was not sent (the unconfirmed slots go back to the centres).
 * @throws InvitoError CAMPAIGN_NOT_FOUND, CAMPAIGN_STATE (cancelled already)
 */
export async function controlCampaign(
  store: { readonly campaignRecords: Pick<CampaignRecords, 'get' | 'update'>; readonly messages: { cancelUnsent(campaignId: string, at: string): Promise<number> } },
  campaignId: string,
  action: CampaignControl,
  o: { readonly reason?: string; readonly at: string },
): Promise<{ status: 'paused' | 'active' | 'cancelled'; cancelled: number }> {
  const c = await store.campaignRecords.get(campaignId);
  if (!c) throw new InvitoError('CAMPAIGN_NOT_FOUND', `no launched campaign ${campaignId}`);
  if (c.status === 'cancelled') throw new InvitoError('CAMPAIGN_STATE', `campaign ${campaignId} is cancelled`);
  if (action === 'pause') {
    await store.campaignRecords.update(campaignId, { status: 'paused', statusReason: o.reason ?? 'paused by an operator' }, o.at);
    return { status: 'paused', cancelled: 0 };
  }
  if (action === 'resume') {
    await store.campaignRecords.update(campaignId, { status: 'active', statusReason: null }, o.at);
    return { status: 'active', cancelled: 0 };
  }
  await store.campaignRecords.update(campaignId, { status: 'cancelled', statusReason: o.reason ?? 'cancelled by an operator' }, o.at);
  return { status: 'cancelled', cancelled: await store.messages.cancelUnsent(campaignId, o.at) };
}
