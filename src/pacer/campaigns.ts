/** Launched campaigns as the pacer reads them: the stored row with its definition parsed (campaigns/stored.ts). */
import { definitionProblem, storedCampaign } from '../campaigns/stored.js';
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
