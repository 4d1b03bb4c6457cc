/**
 * A campaign's cohort rules, turned into a store-neutral query: birth-date cut-offs instead
 * of ages, group lists, ranks. The store turns it into SQL; nothing here touches citizens.
 */
import { bornOnOrBefore } from './age.js';

/**
 * What the cohort layer reads of a campaign. It is declared here, not taken from the campaign
 * schema, so that the cohort depends on no layer above it; `campaigns/schema.ts` builds its
 * `Campaign` type on this shape and stops compiling if the two part.
 */
export interface CohortRules {
  /** The day ages are counted on (YYYY-MM-DD). */
  readonly reference_date: string;
  readonly priority_groups: readonly { readonly code: string; readonly rank: number }[];
  readonly cohort: {
    readonly age?: { readonly min?: number; readonly max?: number };
    readonly priority_groups?: { readonly include: readonly string[]; readonly exclude: readonly string[] };
    readonly regions?: readonly string[];
    readonly doses?: { readonly min?: number; readonly max?: number };
    readonly last_dose?: { readonly min_days?: number; readonly max_days?: number };
  };
  /** Re-selected each open day (ages and intervals on that day), newcomers added. */
  readonly rolling?: boolean;
}

/**
 * Who is in the cohort: (the age criterion, or one of `includeGroups`, whichever are given),
 * in none of `excludeGroups`, within `regions`, `doses` and `lastDose`, and never an opted-out
 * or deceased citizen.
 */
export interface CohortQuery {
  /** Age criterion as birth dates: born on or before (age ≥ min) and strictly after (age ≤ max). */
  readonly age: { readonly bornOnOrBefore?: string; readonly bornAfter?: string } | null;
  /** Citizens in any of these groups qualify — by this rule alone, or as an alternative to age. */
  readonly includeGroups: readonly string[];
  readonly excludeGroups: readonly string[];
  readonly regions: readonly string[] | null;
  readonly doses: { readonly min?: number; readonly max?: number } | null;
  /** The last dose's date (YYYY-MM-DD) on or before / on or after: the days since it on the selection day. */
  readonly lastDose: { readonly onOrBefore?: string; readonly onOrAfter?: string } | null;
  /** Ranks of priority groups (lower goes first); a citizen takes the best of their groups. */
  readonly ranks: readonly { readonly code: string; readonly rank: number }[];
}

/** A rank after every ranked group, for citizens in none of them. */
export const UNRANKED = 1_000_000;

/** `day` minus `n` days (YYYY-MM-DD). */
export const daysBefore = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

/**
 * The cohort as selected on `day` (YYYY-MM-DD, the campaign's local day; default its
 * `reference_date`): ages are counted on `reference_date`, or on `day` for a rolling campaign;
 * the days since the last dose always on `day`.
 */
export function cohortQuery(campaign: CohortRules, day: string = campaign.reference_date): CohortQuery {
  const c = campaign.cohort;
  const a = c.age;
  const ageDay = campaign.rolling ? day : campaign.reference_date;
  const age =
    a && (a.min !== undefined || a.max !== undefined)
      ? {
          ...(a.min !== undefined ? { bornOnOrBefore: bornOnOrBefore(ageDay, a.min) } : {}),
          // age ≤ max ⇔ age < max + 1 ⇔ born after R − (max + 1) years
          ...(a.max !== undefined ? { bornAfter: bornOnOrBefore(ageDay, a.max + 1) } : {}),
        }
      : null;
  const ld = c.last_dose;
  const lastDose =
    ld && (ld.min_days !== undefined || ld.max_days !== undefined)
      ? {
          ...(ld.min_days !== undefined ? { onOrBefore: daysBefore(day, ld.min_days) } : {}),
          ...(ld.max_days !== undefined ? { onOrAfter: daysBefore(day, ld.max_days) } : {}),
        }
      : null;
  return {
    age,
    includeGroups: c.priority_groups?.include ?? [],
    excludeGroups: c.priority_groups?.exclude ?? [],
    regions: c.regions && c.regions.length > 0 ? c.regions : null,
    doses: c.doses && (c.doses.min !== undefined || c.doses.max !== undefined) ? c.doses : null,
    lastDose,
    ranks: campaign.priority_groups,
  };
}
