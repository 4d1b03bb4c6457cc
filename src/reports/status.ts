/** `invito status`: per campaign, step, channel and state, read from the store. */
import { MESSAGE_STATES } from '../core/lifecycle.js';
import { campaignRecord } from '../pacer/campaigns.js';
import { describeOpen, openReasons, type OpenReasons } from '../pacer/completion.js';
import { calendarOf } from '../pacer/windows.js';
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
  /**
   * What keeps the campaign open, by reason (pacer/completion.ts: to_release, in_flight,
   * call_tasks, awaiting_fallback, appointments_ahead; zeros included): the campaign completes
   * when every count is zero. Null when its stored definition can no longer be read.
   */
  readonly openReasons: OpenReasons | null;
  readonly steps: { step: string; channels: { channel: string; states: Record<string, number> }[] }[];
}

const zero = (): Record<(typeof STATES)[number], number> => Object.fromEntries(STATES.map((s) => [s, 0])) as Record<(typeof STATES)[number], number>;

/** What keeps a campaign open today in its own time zone; null when its definition can no longer be read. */
async function openNow(store: ReportStore, campaignId: string, now: Date): Promise<OpenReasons | null> {
  try {
    const record = await campaignRecord(store, campaignId);
    if (!record) return null;
    return await openReasons(store, record.definition, calendarOf(record.definition).localDay(now.getTime()));
  } catch {
    return null;
  }
}

export async function statusReport(store: ReportStore, campaignId?: string, now: Date = new Date()): Promise<CampaignStatusReport[]> {
  const campaigns = await store.campaignRecords.summaries(campaignId);
  const rows = await store.statusCounts(campaignId);
  const open = new Map<string, OpenReasons | null>();
  for (const c of campaigns) open.set(c.campaignId, await openNow(store, c.campaignId, now));
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
    return { campaign: c.campaignId, status: c.status, reason: c.statusReason, recipients: c.recipients, releaseError: c.releaseError, totals, openReasons: open.get(c.campaignId) ?? null, steps };
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
    const open = r.openReasons ? describeOpen(r.openReasons) : '';
    if (open && r.status !== 'cancelled') lines.push(`  open: ${open}`);
    for (const s of r.steps) {
      for (const c of s.channels) {
        lines.push(`  ${s.step} / ${c.channel}: ${Object.entries(c.states).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(' · ')}`);
      }
    }
    if (r.totals.unknown > 0) lines.push(`  ⚠ ${r.totals.unknown} message(s) in state unknown: a worker stopped mid-send; check the provider's logs before re-sending by hand`);
  }
  return lines.join('\n') + '\n';
}
