/** What cohort selection needs from the store. Selection and counting happen in the database. */
import type { AgeBand } from './age.js';
import type { CohortQuery } from './criteria.js';

export interface CohortMember {
  readonly citizen_id: string;
  /** Best rank among the citizen's ranked groups, or UNRANKED. */
  readonly rank: number;
  readonly birth_date: string;
}

export interface CohortComposition {
  readonly total: number;
  /** Members per priority group (a member of two groups counts in both); `none` for no group. */
  readonly byGroup: Record<string, number>;
  readonly byAgeBand: Record<AgeBand, number>;
  /** Members per region code; `unknown` when the registry has none. */
  readonly byRegion: Record<string, number>;
  readonly reachable: { readonly sms: number; readonly email: number; readonly callOnly: number };
}

export interface CohortStore {
  /** Counts of the cohort, computed by the database. Age bands are on `referenceDate`. */
  composition(query: CohortQuery, referenceDate: string): Promise<CohortComposition>;
  /** The cohort in priority order (best rank, then older first, then id), streamed. */
  members(query: CohortQuery): AsyncIterable<CohortMember>;
}
