/** `invito plan`: what a campaign would do, before launching it. */
import { DateTime } from 'luxon';
import type { Channel } from '../core/channels.js';
import { cohortQuery } from '../cohort/criteria.js';
import type { CohortComposition, CohortStore } from '../cohort/store.js';
import type { TemplateLibrary } from '../messages/index.js';
import { contextFor, provisionalStart, SAMPLE_CENTER } from './messages.js';
import type { Campaign } from './schema.js';
import type { CampaignStore, CitizenCard } from './store.js';

export interface SmsEstimate {
  /** SMS the step sends (citizens whose first reachable channel is SMS). */
  readonly messages: number;
  /** Average segments of one message, over a sample of the cohort rendered with its templates. */
  readonly segmentsPerMessage: number;
  readonly segments: number;
  readonly pricePerSegment: number;
  readonly cost: number;
}

export interface StepEstimate {
  readonly step: string;
  /** Cohort members by the channel the step would use for them. */
  readonly byChannel: Record<Channel | 'none', number>;
  readonly sms: SmsEstimate | null;
}

export interface Plan {
  readonly campaign: string;
  readonly cohort: CohortComposition;
  /** Present when the plan was made with the templates (the CLI always does). */
  readonly steps?: StepEstimate[];
  /** Expected SMS cost of all steps, in the currency of `sms.price_per_segment`. */
  readonly smsCost?: number;
}

export interface PlanStores {
  readonly cohort: CohortStore;
  readonly campaigns: CampaignStore;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Average SMS segments per language, each sampled cohort member rendered at a centre that serves them. */
async function segmentsByLanguage(campaign: Campaign, stepId: string, template: string, sample: readonly CitizenCard[], stores: PlanStores, library: TemplateLibrary): Promise<Map<string, number>> {
  const sums = new Map<string, { total: number; n: number }>();
  const from = DateTime.fromISO(campaign.reference_date, { zone: campaign.timezone });
  // Someone no centre serves yet is measured at a stand-in centre rather than left out.
  const standIn = (await stores.campaigns.longestCenter()) ?? SAMPLE_CENTER;
  for (const citizen of sample) {
    const center = (await stores.campaigns.centerFor(citizen)) ?? standIn;
    const rendered = library.render({
      templateId: template,
      channel: 'sms',
      context: contextFor({ campaign, stepId, citizen, center, start: provisionalStart(center, campaign, from) }),
      defaultLanguage: campaign.language,
      sms: { transliterate: campaign.sms.transliterate, maxSegments: Number.POSITIVE_INFINITY },
    });
    const s = sums.get(citizen.language) ?? { total: 0, n: 0 };
    s.total += rendered.sms.segments;
    s.n++;
    sums.set(citizen.language, s);
  }
  return new Map([...sums].map(([lang, s]) => [lang, s.total / s.n]));
}

/**
 * The plan. Its scans are independent and run side by side (on PostgreSQL, on several pool
 * connections): composition, languages, the sample, and each step's channel assignment.
 */
export async function planCampaign(stores: PlanStores, campaign: Campaign, library?: TemplateLibrary): Promise<Plan> {
  const q = cohortQuery(campaign);
  const composition = stores.cohort.composition(q, campaign.reference_date);
  if (!library) return { campaign: campaign.id, cohort: await composition };
  const languagesQ = stores.campaigns.cohortLanguages(q);
  const sampleQ = languagesQ.then((l) => stores.campaigns.cohortSample(q, 40, Object.keys(l)));
  const stepsQ = Promise.all(
    campaign.steps.map(async (step): Promise<StepEstimate> => {
      const byChannel = await stores.campaigns.channelAssignment(q, step.channels);
      if (!step.channels.includes('sms') || byChannel.sms === 0) return { step: step.id, byChannel, sms: null };
      const [languages, sample] = await Promise.all([languagesQ, sampleQ]);
      const perLanguage = await segmentsByLanguage(campaign, step.id, step.template, sample, stores, library);
      // Weighted by each language's share of the cohort.
      let weighted = 0;
      let weight = 0;
      for (const [lang, avg] of perLanguage) {
        const w = languages[lang] ?? 0;
        weighted += avg * w;
        weight += w;
      }
      const segmentsPerMessage = weight > 0 ? weighted / weight : 0;
      const segments = Math.round(segmentsPerMessage * byChannel.sms);
      const cost = round(segments * campaign.sms.price_per_segment, 2);
      return { step: step.id, byChannel, sms: { messages: byChannel.sms, segmentsPerMessage: round(segmentsPerMessage, 2), segments, pricePerSegment: campaign.sms.price_per_segment, cost } };
    }),
  );
  const [cohort, steps] = await Promise.all([composition, stepsQ]);
  const smsCost = steps.reduce((sum, s) => sum + (s.sms?.cost ?? 0), 0);
  return { campaign: campaign.id, cohort, steps, smsCost: round(smsCost, 2) };
}

const fmt = (x: number): string => x.toLocaleString('en');
const pct = (x: number, total: number): string => (total === 0 ? '0.0%' : `${((100 * x) / total).toFixed(1)}%`);

/** The plan as a health authority reads it. */
export function formatPlan(plan: Plan, campaign: Campaign): string {
  const c = plan.cohort;
  const lines: string[] = [];
  lines.push(`Campaign ${campaign.id} — ${campaign.name}`);
  lines.push(`Cohort: ${fmt(c.total)} citizens (ages on ${campaign.reference_date})`);
  const table = (title: string, rows: Record<string, number>, total = c.total): void => {
    const entries = Object.entries(rows);
    if (entries.length === 0) return;
    lines.push('', title);
    const w = Math.max(...entries.map(([k]) => k.length));
    for (const [k, v] of entries) lines.push(`  ${k.padEnd(w)}  ${fmt(v).padStart(12)}  ${pct(v, total).padStart(6)}`);
  };
  table('By priority group', c.byGroup);
  table('By age band', c.byAgeBand);
  table('By region', c.byRegion);
  table('Reachable', { 'by SMS (mobile or phone)': c.reachable.sms, 'by email': c.reachable.email, 'only by an operator call': c.reachable.callOnly });
  for (const s of plan.steps ?? []) {
    const step = campaign.steps.find((x) => x.id === s.step)!;
    table(`Step ${s.step} (${step.channels.join(' → ')}): messages by channel`, Object.fromEntries(Object.entries(s.byChannel).filter(([, n]) => n > 0)));
    if (s.sms) {
      lines.push(
        `  SMS: ${fmt(s.sms.messages)} messages × ${s.sms.segmentsPerMessage} segments ≈ ${fmt(s.sms.segments)} segments × ${s.sms.pricePerSegment} = ${s.sms.cost.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
      );
    }
  }
  if (plan.smsCost !== undefined) lines.push('', `Expected SMS cost: ${plan.smsCost.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
  return lines.join('\n') + '\n';
}
