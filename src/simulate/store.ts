/**
 * What the simulator needs from a store besides the pacer's and the dispatch store: the
 * registry it copies into its scratch store, read in batches, and the slots the run used.
 * src/store/simulation.ts implements it on both dialects.
 */
import type { CohortQuery } from '../cohort/criteria.js';
import type { CenterRecord, CitizenRecord } from '../registry/store.js';

export interface SimulationStore {
  /** Every centre with its catchment, by id (`line` is the simulator's to number). */
  centers(): Promise<Omit<CenterRecord, 'line'>[]>;
  /** The next `limit` members of the cohort after `after`, by citizen id, with their priority groups. */
  cohortAfter(q: CohortQuery, after: string, limit: number): Promise<Omit<CitizenRecord, 'line'>[]>;
  /** Appointments held or confirmed, by day. */
  slotsUsedByDay(): Promise<Map<string, number>>;
}
