/** `invito status`: per campaign, step, channel and state, read from the store. */
import { MESSAGE_STATES } from '../core/lifecycle.js';
import { campaignRecord } from '../pacer/campaigns.js';
import { describeOpen, openReasons, type OpenReasons } from '../pacer/completion.js';
import { calendarOf } from '../pacer/windows.js';
import type { ReleaseError } from '../pacer/store.js';
import type { FallbackRow, StatusRow, ReportStore } from './store.js';

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
  /**
   * The fallback chains (issue 12): `made`, each link from the channel that failed to the one
   * tried next, with the new attempts by state; `ended`, the attempts after which nothing more
   * was tried, by channel and reason (pacer/fallback.ts CHAIN_ENDS).
   */
  readonly fallbacks: {
    readonly made: { step: string; from: string; to: string; count: number; states: Record<string, number> }[];
    readonly ended: { step: string; channel: string; reason: string; count: number }[];
  };
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
  const chains = await store.fallbackCounts(campaignId);
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
    return { campaign: c.campaignId, status: c.status, reason: c.statusReason, recipients: c.recipients, releaseError: c.releaseError, totals, openReasons: open.get(c.campaignId) ?? null, steps, fallbacks: fallbacksOf(chains.filter((r) => r.campaignId === c.campaignId)) };
  });
}

function fallbacksOf(rows: readonly FallbackRow[]): CampaignStatusReport['fallbacks'] {
  const made: CampaignStatusReport['fallbacks']['made'] = [];
  const ended: CampaignStatusReport['fallbacks']['ended'] = [];
  for (const r of rows) {
    const from = r.from ?? 'none';
    if (r.to === null) {
      ended.push({ step: r.stepId, channel: from, reason: r.outcome, count: r.count });
      continue;
    }
    let link = made.find((m) => m.step === r.stepId && m.from === from && m.to === r.to);
    if (!link) made.push((link = { step: r.stepId, from, to: r.to, count: 0, states: {} }));
    link.count += r.count;
    link.states[r.outcome] = (link.states[r.outcome] ?? 0) + r.count;
  }
  return { made, ended };
}

/** One line per step with fallbacks: `invitation fallbacks: sms → email 12 (delivered 10 · sent 2) · ended: sms no_channel 3`. */
function fallbackLines(f: CampaignStatusReport['fallbacks']): string[] {
  // A chain that ended where the step has no fallback, or on an ending it does not follow, is no news.
  const ended = f.ended.filter((e) => e.reason !== 'off' && e.reason !== 'not_triggered');
  const steps = [...new Set([...f.made.map((m) => m.step), ...ended.map((e) => e.step)])];
  return steps.map((step) => {
    const links = f.made.filter((m) => m.step === step).map((m) => `${m.from} → ${m.to} ${m.count.toLocaleString('en')} (${Object.entries(m.states).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(' · ')})`);
    const ends = ended.filter((e) => e.step === step).map((e) => `${e.channel} ${e.reason} ${e.count.toLocaleString('en')}`);
    return `  ${step} fallbacks: ${links.join(' · ') || 'none made'}${ends.length ? ` · chains ended: ${ends.join(' · ')}` : ''}`;
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
    lines.push(...fallbackLines(r.fallbacks));
    if (r.totals.unknown > 0) lines.push(`  ⚠ ${r.totals.unknown} message(s) in state unknown: a worker stopped mid-send; check the provider's logs before re-sending by hand`);
  }
  return lines.join('\n') + '\n';
}
