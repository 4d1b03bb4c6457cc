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
   * Writes a batch of one import run: inserts or updates by `citizen_id` (a re-import updates),
   * replacing each one's priority groups. A row whose id this same run already wrote is a
   * duplicate inside one file: it is not written, and the result maps its id to the line that
   * came first. The store remembers run and line per row, so no id list is held in memory.
   */
  writeCitizens(run: string, rows: readonly CitizenRecord[]): Promise<Map<string, number>>;
  /** The same for centres, by `center_id`, replacing each one's catchment. */
  writeCenters(run: string, rows: readonly CenterRecord[]): Promise<Map<string, number>>;
  /**
   * Runs a citizen import. The store may prepare for a bulk load (defer index maintenance when
   * the registry is empty, batch its durability: an import can always be run again) and must
   * restore its normal state afterwards, whatever happens.
   */
  bulk<T>(fn: () => Promise<T>): Promise<T>;
}
