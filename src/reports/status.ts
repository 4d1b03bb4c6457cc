/** `invito status`: per campaign, step, channel and state, read from the store. */
import { MESSAGE_STATES } from '../core/lifecycle.js';
import type { ReleaseError } from '../pacer/store.js';
import type { StatusRow, ReportStore } from './store.js';

/** Every message state, in the order status shows them (the lifecycle's). */
export const STATES = MESSAGE_STATES;

export interface CampaignStatusReport {
  readonly campaign: string;
  readonly status: string;
  readonly reason: string | null;
  readonly recipients: number;
  /** Why the campaign's release last failed, until a release succeeds; null when it did. */
  readonly releaseError: ReleaseError | null;
  /** Counts by state for the whole campaign (every state present, zeros included). */
  readonly totals: Record<(typeof STATES)[number], number>;
  readonly steps: { step: string; channels: { channel: string; states: Record<string, number> }[] }[];
}

const zero = (): Record<(typeof STATES)[number], number> => Object.fromEntries(STATES.map((s) => [s, 0])) as Record<(typeof STATES)[number], number>;

export async function statusReport(store: ReportStore, campaignId?: string): Promise<CampaignStatusReport[]> {
  const campaigns = await store.campaignRecords.summaries(campaignId);
  const rows = await store.statusCounts(campaignId);
  return campaigns.map((c) => {
    const mine = rows.filter((r) => r.campaignId === c.campaignId);
    const totals = zero();
    for (const r of mine) totals[r.state as keyof typeof totals] += r.count;
    const steps = [...new Set(mine.map((r) => r.stepId))].map((step) => {
      const inStep = mine.filter((r) => r.stepId === step);
      const channels = [...new Set(inStep.map((r) => r.channel ?? 'none'))].map((channel) => {
        const states: Record<string, number> = {};
        for (const r of inStep.filter((x: StatusRow) => (x.channel ?? 'none') === channel)) states[r.state] = r.count;
        return { channel, states };
      });
      return { step, channels };
    });
    return { campaign: c.campaignId, status: c.status, reason: c.statusReason, recipients: c.recipients, releaseError: c.releaseError, totals, steps };
  });
}

export function formatStatus(reports: readonly CampaignStatusReport[]): string {
  if (reports.length === 0) return 'No campaign has been launched.\n';
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`Campaign ${r.campaign}: ${r.status}${r.reason ? ` — ${r.reason}` : ''} · ${r.recipients.toLocaleString('en')} recipients`);
    if (r.releaseError) lines.push(`  ⚠ release failing since ${r.releaseError.at} [${r.releaseError.code}]: ${r.releaseError.message}`);
    const shown = STATES.filter((s) => r.totals[s] > 0);
    lines.push(`  ${shown.map((s) => `${s} ${r.totals[s].toLocaleString('en')}`).join(' · ') || 'nothing yet'}`);
    for (const s of r.steps) {
      for (const c of s.channels) {
        lines.push(`  ${s.step} / ${c.channel}: ${Object.entries(c.states).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(' · ')}`);
      }
    }
    if (r.totals.unknown > 0) lines.push(`  ⚠ ${r.totals.unknown} message(s) in state unknown: a worker stopped mid-send; check the provider's logs before re-sending by hand`);
  }
  return lines.join('\n') + '\n';
}
