/** Campaign texts under test: the issues the loader reports for one, at `c.yaml`. */
import { parseCampaign } from '../../src/campaigns/load.js';
import { InvitoError, type Issue } from '../../src/core/errors.js';

/** Every issue of a campaign text, or none when it is valid; any other failure fails the test. */
export function issuesOf(text: string): Issue[] {
  try {
    parseCampaign(text, 'c.yaml');
  } catch (e) {
    if (e instanceof InvitoError && e.code === 'CAMPAIGN_INVALID') return [...e.issues];
    throw e;
  }
  return [];
}
