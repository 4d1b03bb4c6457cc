/**
 * Whether a citizen still belongs to a campaign's cohort as the registry says now: the one rule
 * the release, the worker (right before the provider call) and the pacer's sweep after a
 * re-import all apply (issue 12, "only those who still need it"). A cohort is selected at launch;
 * since then a dose may have been recorded, the citizen may have moved or died, or said stop.
 *
 * Only what can change after launch is read again: doses, the last dose's date (when the cohort
 * has a `last_dose` rule), region, `deceased` and the opt-out. Age and groups are the launch's.
 * Pure: no store, no clock (the day is given).
 */
import type { CohortRules } from './criteria.js';

/** Whole days from `from` to `to` (both YYYY-MM-DD). */
const daysFrom = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** What the eligibility rule reads of one citizen, as the registry says now. */
export interface Eligibility {
  readonly doses: number;
  /** YYYY-MM-DD, or null when no dose is recorded. */
  readonly lastDoseDate: string | null;
  readonly region: string | null;
  readonly deceased: boolean;
  readonly optOut: boolean;
}

/**
 * Why a citizen is out of the cohort now: `opted_out` (ends the message `opted_out`, as before);
 * any other reason ends it `cancelled` with the code NO_LONGER_ELIGIBLE and this reason.
 */
export type Ineligible = 'opted_out' | 'deceased' | 'doses' | 'last_dose' | 'region';

/** Readable reasons (no value of the citizen's: doses are health data). */
export const INELIGIBLE_DETAIL: Readonly<Record<Exclude<Ineligible, 'opted_out'>, string>> = {
  deceased: 'no longer in the cohort: the registry records the citizen as deceased',
  doses: "no longer in the cohort: the registry's dose count is outside the cohort's",
  last_dose: "no longer in the cohort: the days since the last dose are outside the cohort's",
  region: "no longer in the cohort: the registry's region is not one of the cohort's",
};

/**
 * Null when the citizen still belongs to the campaign's cohort on `day` (YYYY-MM-DD, the
 * campaign's local day), else the first rule they fail, in this order: opt-out, deceased, doses,
 * last dose, region.
 */
export function ineligibility(rules: CohortRules, c: Eligibility, day: string): Ineligible | null {
  if (c.optOut) return 'opted_out';
  if (c.deceased) return 'deceased';
  const cohort = rules.cohort;
  const doses = cohort.doses;
  if (doses?.min !== undefined && c.doses < doses.min) return 'doses';
  if (doses?.max !== undefined && c.doses > doses.max) return 'doses';
  const last = cohort.last_dose;
  if (last && (last.min_days !== undefined || last.max_days !== undefined)) {
    if (c.lastDoseDate === null) return 'last_dose';
    const since = daysFrom(c.lastDoseDate, day);
    if (last.min_days !== undefined && since < last.min_days) return 'last_dose';
    if (last.max_days !== undefined && since > last.max_days) return 'last_dose';
  }
  if (cohort.regions && cohort.regions.length > 0 && (c.region === null || !cohort.regions.includes(c.region))) return 'region';
  return null;
}
