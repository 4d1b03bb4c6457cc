/**
 * The eligibility sweep: after a registry import (citizens or vaccinations), every citizen with
 * work open in a campaign — a message pending or queued, a call task, a slot held — is checked
 * against the campaign's cohort as the registry says now (cohort/eligibility.ts); those out of
 * it have that work ended (`cancelled`, NO_LONGER_ELIGIBLE; slots freed, reminders and
 * follow-ups cancelled, call tasks closed). The release and the worker apply the same rule to
 * each message as it goes; the sweep makes the registry's word take effect at once, on queued
 * messages, call tasks and appointments too.
 *
 * One page of citizens per call, in id order, ended in units of work of END_CHUNK; a sweep starts when
 * the store holds an import newer than the last one swept (and once when a leader first sees
 * the campaign: it cannot know what changed before).
 */
import type { Campaign } from '../campaigns/schema.js';
import { ineligibility } from '../cohort/eligibility.js';
import type { IneligibleCitizen, PacerStore, ReleaseContext } from './store.js';

/**
 * Citizens read per page. Each page costs about a scan of the campaign's open work (≈ 75 ms for
 * 100,000 members on SQLite), so pages are large: a sweep is a few scans, not hundreds.
 */
export const SWEEP_PAGE = 10_000;

/** Citizens ended per unit of work (well within both dialects' parameter limits). */
const END_CHUNK = 1000;

/** Where one campaign's sweep is (kept by the releaser, per campaign it leads). */
export interface SweepState {
  /** The import run the last finished sweep covered (null: none in the store); undefined before the first sweep. */
  seen: string | null | undefined;
  /** The run the sweep in progress covers. */
  target: string | null;
  /** The last citizen id done in the sweep in progress; null when no sweep is in progress. */
  after: string | null;
}

export const newSweep = (): SweepState => ({ seen: undefined, target: null, after: null });

/** Runs one page of the campaign's sweep when one is due or in progress; returns the messages ended. */
export async function sweepEligibility(store: PacerStore, campaign: Campaign, ctx: ReleaseContext, st: SweepState): Promise<number> {
  if (st.after === null) {
    const latest = await store.messages.latestImport();
    if (st.seen !== undefined && latest === st.seen) return 0;
    st.target = latest;
    st.after = '';
  }
  const page = await store.messages.eligibilityCandidates(campaign.id, ctx.day, st.after, SWEEP_PAGE);
  const out: IneligibleCitizen[] = [];
  for (const c of page) {
    const reason = ineligibility(campaign, c.eligibility, ctx.day);
    if (reason !== null) out.push({ citizenId: c.citizenId, reason });
  }
  let ended = 0;
  for (let i = 0; i < out.length; i += END_CHUNK) ended += await store.messages.endIneligible(campaign.id, out.slice(i, i + END_CHUNK), ctx.day, ctx.at);
  if (page.length < SWEEP_PAGE) {
    st.seen = st.target;
    st.after = null;
  } else st.after = page[page.length - 1]!.citizenId;
  return ended;
}
