/** `invito plan`: what a campaign would do, before launching it. */
import type { Campaign } from '../campaigns/schema.js';
import { cohortQuery } from './criteria.js';
import type { CohortComposition, CohortStore } from './store.js';

export interface Plan {
  readonly campaign: string;
  readonly cohort: CohortComposition;
}

export async function planCampaign(store: CohortStore, campaign: Campaign): Promise<Plan> {
  const cohort = await store.composition(cohortQuery(campaign), campaign.reference_date);
  return { campaign: campaign.id, cohort };
}

const fmt = (x: number): string => x.toLocaleString('en');
const pct = (x: number, total: number): string => (total === 0 ? '0.0%' : `${((100 * x) / total).toFixed(1)}%`);

/** The plan as a health authority reads it. */
export function formatPlan(plan: Plan, campaign: Campaign): string {
  const c = plan.cohort;
  const lines: string[] = [];
  lines.push(`Campaign ${campaign.id} — ${campaign.name}`);
  lines.push(`Cohort: ${fmt(c.total)} citizens (ages on ${campaign.reference_date})`);
  const table = (title: string, rows: Record<string, number>): void => {
    const entries = Object.entries(rows);
    if (entries.length === 0) return;
    lines.push('', title);
    const w = Math.max(...entries.map(([k]) => k.length));
    for (const [k, v] of entries) lines.push(`  ${k.padEnd(w)}  ${fmt(v).padStart(12)}  ${pct(v, c.total).padStart(6)}`);
  };
  table('By priority group', c.byGroup);
  table('By age band', c.byAgeBand);
  table('By region', c.byRegion);
  table('Reachable', { 'by SMS (mobile or phone)': c.reachable.sms, 'by email': c.reachable.email, 'only by an operator call': c.reachable.callOnly });
  return lines.join('\n') + '\n';
}
