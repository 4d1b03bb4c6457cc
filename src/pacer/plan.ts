/** `invito plan`: what a campaign would do, before launching it. */
import { DateTime } from 'luxon';
import type { Channel } from '../core/channels.js';
import { type CohortQuery, cohortQuery, daysBefore } from '../cohort/criteria.js';
import type { CohortComposition, CohortStore } from '../cohort/store.js';
import type { TemplateLibrary } from '../messages/index.js';
import { contextFor, provisionalStart, SAMPLE_CENTER } from '../campaigns/messages.js';
import type { Campaign } from '../campaigns/schema.js';
import type { CampaignStore, CitizenCard } from '../campaigns/store.js';
import { fallbackOf } from './fallback.js';
import { type CenterUtilisation, forecast, type ForecastDay, type ForecastOptions, type ForecastStore, joinsByDay, type ServedGroup } from './forecast.js';

export interface SmsEstimate {
  /** SMS the step sends (citizens whose first reachable channel is SMS). */
  readonly messages: number;
  /** Average segments of one message, over a sample of the cohort rendered with its templates. */
  readonly segmentsPerMessage: number;
  /** Share (0–1) of the messages that fit one segment, over the same sample. */
  readonly oneSegmentShare: number;
  readonly segments: number;
  readonly pricePerSegment: number;
  readonly cost: number;
}

export interface StepEstimate {
  readonly step: string;
  /** Cohort members by the channel the step would use for them. */
  readonly byChannel: Record<Channel | 'none', number>;
  readonly sms: SmsEstimate | null;
  /**
   * With the step's fallback on (pacer/fallback.ts): members by the channel their fallback would
   * go by if the first attempt does not reach them (`none`: no further channel), and the members
   * with a fixed-line phone, whom the release sends no SMS (already counted on their next channel).
   */
  readonly fallbacks?: { readonly byChannel: Record<Channel | 'none', number>; readonly fixedLine: number };
}

export interface Plan {
  readonly campaign: string;
  readonly cohort: CohortComposition;
  /** Present when the plan was made with the templates (the CLI always does). */
  readonly steps?: StepEstimate[];
  /** Expected SMS cost of all steps, in the currency of `sms.price_per_segment`. */
  readonly smsCost?: number;
  /** The forecast, day by day (present when the plan was asked for one; the CLI always does). */
  readonly schedule?: ForecastDay[];
  /** The day the last member a centre serves is invited; null when not within the forecast's days. */
  readonly completesOn?: string | null;
  /** Calendar days from the start to `completesOn`, both included. */
  readonly days?: number | null;
  /** The day appointments reach `share` of the cohort. */
  readonly coverage?: { readonly share: number; readonly reachedOn: string | null };
  /** Per centre: slots offered over the schedule, slots used, their share and the busiest day. */
  readonly utilisation?: CenterUtilisation[];
  /** What the forecast assumed. */
  readonly forecast?: {
    readonly start: string;
    readonly acceptance: number;
    readonly ceilingPerSecond: number | null;
    readonly capacityModelled: boolean;
    /** Cohort members no centre serves (not invited: they cannot be given an appointment). */
    readonly unserved: number;
    /** Cohort members none of the invitation's channels reaches (not invited). */
    readonly unreachable: number;
  };
}

export interface PlanStores {
  readonly cohort: CohortStore;
  readonly campaigns: CampaignStore;
  readonly forecast?: ForecastStore;
}

export interface PlanOptions {
  /** Adds the day-by-day forecast (needs `stores.forecast`). */
  readonly forecast?: ForecastOptions;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Average SMS segments and the share in one segment, per language, each sampled cohort member rendered at a centre that serves them. */
async function segmentsByLanguage(campaign: Campaign, stepId: string, template: string, sample: readonly CitizenCard[], stores: PlanStores, library: TemplateLibrary): Promise<Map<string, { avg: number; one: number }>> {
  const sums = new Map<string, { total: number; one: number; n: number }>();
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
    const s = sums.get(citizen.language) ?? { total: 0, one: 0, n: 0 };
    s.total += rendered.sms.segments;
    if (rendered.sms.segments === 1) s.one++;
    s.n++;
    sums.set(citizen.language, s);
  }
  return new Map([...sums].map(([lang, s]) => [lang, { avg: s.total / s.n, one: s.one / s.n }]));
}

/**
 * The plan. Its scans are independent and run side by side (on PostgreSQL, on several pool
 * connections): composition, languages, the sample, and each step's channel assignment.
 */
export async function planCampaign(stores: PlanStores, campaign: Campaign, library?: TemplateLibrary, options: PlanOptions = {}): Promise<Plan> {
  // The cohort on the forecast's first day (the campaign's reference_date unless --start says otherwise).
  const q = cohortQuery(campaign, options.forecast?.start ?? campaign.reference_date);
  const composition = stores.cohort.composition(q, campaign.reference_date);
  const forecastQ = forecastPart(stores, campaign, options.forecast);
  if (!library) return { campaign: campaign.id, cohort: await composition, ...(await forecastQ) };
  const languagesQ = stores.campaigns.cohortLanguages(q);
  const sampleQ = languagesQ.then((l) => stores.campaigns.cohortSample(q, 40, Object.keys(l)));
  const stepsQ = Promise.all(
    campaign.steps.map(async (step): Promise<StepEstimate> => {
      const [byChannel, fallbacks] = await Promise.all([
        stores.campaigns.channelAssignment(q, step.channels),
        fallbackOf(campaign, step) ? stores.campaigns.fallbackAssignment(q, step.channels) : undefined,
      ]);
      const estimate = { step: step.id, byChannel, ...(fallbacks ? { fallbacks } : {}) };
      if (!step.channels.includes('sms') || byChannel.sms === 0) return { ...estimate, sms: null };
      const [languages, sample] = await Promise.all([languagesQ, sampleQ]);
      const perLanguage = await segmentsByLanguage(campaign, step.id, step.template, sample, stores, library);
      // Weighted by each language's share of the cohort.
      let weighted = 0;
      let ones = 0;
      let weight = 0;
      for (const [lang, { avg, one }] of perLanguage) {
        const w = languages[lang] ?? 0;
        weighted += avg * w;
        ones += one * w;
        weight += w;
      }
      const segmentsPerMessage = weight > 0 ? weighted / weight : 0;
      const oneSegmentShare = weight > 0 ? ones / weight : 0;
      const segments = Math.round(segmentsPerMessage * byChannel.sms);
      const cost = round(segments * campaign.sms.price_per_segment, 2);
      return { ...estimate, sms: { messages: byChannel.sms, segmentsPerMessage: round(segmentsPerMessage, 2), oneSegmentShare: round(oneSegmentShare, 3), segments, pricePerSegment: campaign.sms.price_per_segment, cost } };
    }),
  );
  const [cohort, steps, schedule] = await Promise.all([composition, stepsQ, forecastQ]);
  const smsCost = steps.reduce((sum, s) => sum + (s.sms?.cost ?? 0), 0);
  return { campaign: campaign.id, cohort, steps, smsCost: round(smsCost, 2), ...schedule };
}

/**
 * A rolling campaign's members joining after the forecast's first day (they turn the age, their
 * interval since the last dose passes), by join day: from the registry's birth and dose dates.
 */
async function rollingJoins(store: ForecastStore, campaign: Campaign, first: CohortQuery, start: string, options: ForecastOptions): Promise<Map<string, ServedGroup[]>> {
  if (!campaign.rolling) return new Map();
  const end = daysBefore(start, -(options.daysMax ?? 400));
  const last = cohortQuery(campaign, end);
  // Everyone eligible on some day between: the age of the last day, any dose from the first day's earliest to the last day's latest.
  const wider: CohortQuery = first.lastDose && last.lastDose ? { ...last, lastDose: { ...last.lastDose, ...(first.lastDose.onOrAfter ? { onOrAfter: first.lastDose.onOrAfter } : {}) } } : last;
  return joinsByDay(campaign, await store.joiningPlaces(wider, first, campaign.steps[0]!.channels), start, end);
}

/** The forecast's fields of the plan: counts from the store, then the pure model. */
async function forecastPart(stores: PlanStores, campaign: Campaign, options: ForecastOptions | undefined): Promise<Partial<Plan>> {
  if (!options || !stores.forecast) return {};
  const start = options.start ?? campaign.reference_date;
  const q = cohortQuery(campaign, start);
  const channels = campaign.steps[0]!.channels;
  const [groups, centers, joins] = await Promise.all([stores.forecast.servedGroups(q, channels), stores.forecast.centerCapacities(), rollingJoins(stores.forecast, campaign, q, start, options)]);
  const f = forecast(campaign, groups, centers, options, joins);
  return {
    schedule: f.schedule,
    completesOn: f.completesOn,
    days: f.days,
    coverage: f.coverage,
    utilisation: f.centers,
    forecast: { start: f.start, acceptance: f.acceptance, ceilingPerSecond: f.ceilingPerSecond, capacityModelled: f.capacityModelled, unserved: f.unserved, unreachable: f.unreachable },
  };
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
  table('Reachable', { 'by SMS (a phone, not a fixed line)': c.reachable.sms, 'by email': c.reachable.email, 'only by an operator call': c.reachable.callOnly });
  for (const s of plan.steps ?? []) {
    const step = campaign.steps.find((x) => x.id === s.step)!;
    table(`Step ${s.step} (${step.channels.join(' → ')}): messages by channel`, Object.fromEntries(Object.entries(s.byChannel).filter(([, n]) => n > 0)));
    if (s.fallbacks) {
      const to = Object.entries(s.fallbacks.byChannel).filter(([ch, n]) => ch !== 'none' && n > 0);
      if (to.length > 0) table(`  fallbacks by channel (if the first attempt does not reach them)`, Object.fromEntries(to));
      if (s.fallbacks.fixedLine > 0) lines.push(`  fixed-line phones (no SMS, straight to the next channel): ${fmt(s.fallbacks.fixedLine)}`);
    }
    if (s.sms) {
      lines.push(
        `  SMS: ${fmt(s.sms.messages)} messages × ${s.sms.segmentsPerMessage} segments ≈ ${fmt(s.sms.segments)} segments × ${s.sms.pricePerSegment} = ${s.sms.cost.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
        `  SMS in one segment: ${(100 * s.sms.oneSegmentShare).toFixed(1)}% (of a sample of the cohort, rendered at their centres)`,
      );
    }
  }
  if (plan.smsCost !== undefined) lines.push('', `Expected SMS cost: ${plan.smsCost.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
  if (plan.schedule && plan.forecast) formatForecast(plan, lines);
  return lines.join('\n') + '\n';
}

/** The forecast in a few lines and a weekly table (the day-by-day schedule is in --json). */
function formatForecast(plan: Plan, lines: string[]): void {
  const f = plan.forecast!;
  const schedule = plan.schedule!;
  lines.push('', `Forecast from ${f.start} (acceptance ${f.acceptance}, ceiling ${f.ceilingPerSecond === null ? 'none' : `${fmt(f.ceilingPerSecond)}/s`})`);
  if (!f.capacityModelled) lines.push('  No centres in the registry: invitations are paced without slots.');
  if (f.unserved > 0) lines.push(`  ${fmt(f.unserved)} citizens have no centre serving them and are not invited.`);
  if (f.unreachable > 0) lines.push(`  ${fmt(f.unreachable)} citizens are reached by none of the invitation's channels and are not invited.`);
  lines.push(plan.completesOn ? `  Cohort fully invited on ${plan.completesOn} (${plan.days} day${plan.days === 1 ? '' : 's'})` : `  Cohort not fully invited within ${schedule.length} days`);
  const cov = plan.coverage!;
  lines.push(`  ${Math.round(cov.share * 100)}% coverage (appointments) ${cov.reachedOn ? `on ${cov.reachedOn}` : 'not reached'}`);
  lines.push('', '  Week of       Invitations  Appointments  Capacity');
  for (let i = 0; i < schedule.length; i += 7) {
    const week = schedule.slice(i, i + 7);
    const sum = (k: 'invitations' | 'appointments' | 'capacity'): number => week.reduce((a, r) => a + r[k], 0);
    lines.push(`  ${week[0]!.date}  ${fmt(sum('invitations')).padStart(11)}  ${fmt(sum('appointments')).padStart(12)}  ${fmt(sum('capacity')).padStart(8)}`);
  }
  const busiest = [...(plan.utilisation ?? [])].sort((a, b) => b.share - a.share).slice(0, 5);
  if (busiest.length > 0) {
    lines.push('', '  Busiest centres (slots used / offered)');
    for (const c of busiest) lines.push(`  ${c.center.padEnd(12)}  ${fmt(c.used).padStart(10)} / ${fmt(c.capacity).padStart(10)}  ${pct(c.used, c.capacity).padStart(6)}`);
  }
}
