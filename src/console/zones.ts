/** Campaign time zones for the console: callback times are typed and shown in the campaign's zone. */
import type { DeskStore } from '../desk/store.js';

/** Used for a campaign the store no longer has (its tasks can still be shown). */
const FALLBACK_ZONE = 'Europe/Rome';

/**
 * A campaign's zone, read once per campaign: a launched campaign's definition (and so its
 * zone) does not change.
 */
export function campaignZones(store: Pick<DeskStore, 'campaign'>): (campaignId: string) => Promise<string> {
  const known = new Map<string, string>();
  return async (campaignId) => {
    let zone = known.get(campaignId);
    if (zone === undefined) {
      zone = (await store.campaign(campaignId))?.definition.timezone ?? FALLBACK_ZONE;
      known.set(campaignId, zone);
    }
    return zone;
  };
}
