/**
 * Why one citizen is or is not in a campaign's cohort, rule by rule. The store selects cohorts
 * in SQL (`cohortWhere`); this is the same rules read back for a single citizen, so a preview
 * can say which rule keeps them out. Reasons carry codes, ages and counts, never a name.
 */
import { ageOn } from './age.js';
import { cohortQuery, type CohortRules } from './criteria.js';

/** What the cohort rules read of one citizen. */
export interface CitizenStanding {
  readonly citizen_id: string;
  readonly birth_date: string;
  readonly region: string | null;
  readonly doses: number;
  /** YYYY-MM-DD of the last dose, or null (absent: none recorded). */
  readonly last_dose_date?: string | null;
  readonly groups: readonly string[];
  readonly opt_out: boolean;
  /** When and how the citizen said stop, when known (an imported opt-out may carry neither). */
  readonly opt_out_at: string | null;
  readonly opt_out_source: string | null;
  /** The registry's `deceased` mark (absent: false). */
  readonly deceased?: boolean;
}

const list = (codes: readonly string[]): string => codes.join(', ');

/**
 * The cohort rules this citizen fails, as readable reasons; empty when they are in the cohort.
 * The opt-out is not among them: it is reported on its own, as it stops every campaign.
 */
export function cohortReasons(campaign: CohortRules, c: CitizenStanding): string[] {
  const q = cohortQuery(campaign);
  const reasons: string[] = [];
  if (c.deceased) reasons.push('recorded as deceased in the registry');
  const on = campaign.reference_date;
  const age = ageOn(c.birth_date, on);
  const ageFails: string[] = [];
  // The same date comparisons as the SQL, so the two can never disagree on a birthday.
  if (q.age?.bornOnOrBefore && !(c.birth_date <= q.age.bornOnOrBefore)) ageFails.push(`age ${age} on ${on} below ${campaign.cohort.age?.min}`);
  if (q.age?.bornAfter && !(c.birth_date > q.age.bornAfter)) ageFails.push(`age ${age} on ${on} above ${campaign.cohort.age?.max}`);
  const hasAgeRule = Boolean(q.age?.bornOnOrBefore || q.age?.bornAfter);
  const inIncluded = q.includeGroups.some((g) => c.groups.includes(g));
  const groupFails = q.includeGroups.length > 0 && !inIncluded ? `in none of the groups ${list(q.includeGroups)}` : null;
  // Age and included groups are alternatives: either one admits the citizen.
  if (hasAgeRule && q.includeGroups.length > 0) {
    if (ageFails.length > 0 && groupFails) reasons.push(`${ageFails.join(', ')}, and ${groupFails}`);
  } else if (hasAgeRule) reasons.push(...ageFails);
  else if (groupFails) reasons.push(groupFails);
  const excluded = q.excludeGroups.filter((g) => c.groups.includes(g));
  if (excluded.length > 0) reasons.push(`in the excluded group${excluded.length === 1 ? '' : 's'} ${list(excluded)}`);
  if (q.regions && (c.region === null || !q.regions.includes(c.region))) {
    reasons.push(`${c.region === null ? 'no region' : `region ${c.region}`}, not one of ${list(q.regions)}`);
  }
  if (q.doses?.min !== undefined && c.doses < q.doses.min) reasons.push(`${c.doses} doses, fewer than ${q.doses.min}`);
  if (q.doses?.max !== undefined && c.doses > q.doses.max) reasons.push(`${c.doses} doses, more than ${q.doses.max}`);
  const ld = campaign.cohort.last_dose;
  if (q.lastDose && (c.last_dose_date ?? null) === null) reasons.push('no dose recorded, and the cohort counts days since the last dose');
  else if (q.lastDose?.onOrBefore && c.last_dose_date! > q.lastDose.onOrBefore) reasons.push(`last dose fewer than ${ld?.min_days} days before ${on}`);
  else if (q.lastDose?.onOrAfter && c.last_dose_date! < q.lastDose.onOrAfter) reasons.push(`last dose more than ${ld?.max_days} days before ${on}`);
  return reasons;
}
