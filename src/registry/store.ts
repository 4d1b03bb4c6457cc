/**
 * What the registry layer needs from the store, and nothing more.
 * The Kysely store (src/store/) implements it for SQLite and PostgreSQL.
 */

/** A validated citizen, ready to be written. Dates are `YYYY-MM-DD`, phone E.164. */
export interface CitizenRecord {
  citizen_id: string;
  given_name: string | null;
  family_name: string | null;
  birth_date: string;
  sex: 'M' | 'F' | 'X' | null;
  phone: string | null;
  email: string | null;
  language: string;
  region: string | null;
  asl: string | null;
  municipality: string | null;
  doses: number;
  last_dose_date: string | null;
  opt_out: boolean;
  priority_groups: string[];
  /** Line of the row in the imported file. */
  line: number;
}

export interface CenterRecord {
  center_id: string;
  name: string;
  region: string | null;
  asl: string | null;
  municipality: string | null;
  address: string | null;
  daily_capacity: number;
  opening: string;
  catchment: string[];
  line: number;
}

export interface RegistryStore {
  /**
   * For the given ids, the file line of rows already written by this import run: a second row
   * with the same id in one file is a duplicate, found without holding every id in memory.
   */
  citizenLinesInRun(run: string, ids: readonly string[]): Promise<Map<string, number>>;
  /** Inserts or updates by `citizen_id` (re-imports update), replacing each one's priority groups. */
  upsertCitizens(run: string, rows: readonly CitizenRecord[]): Promise<void>;
  centerLinesInRun(run: string, ids: readonly string[]): Promise<Map<string, number>>;
  upsertCenters(run: string, rows: readonly CenterRecord[]): Promise<void>;
}
