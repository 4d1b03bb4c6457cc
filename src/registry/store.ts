/**
 * What the registry layer needs from the store, and nothing more.
 * The Kysely store (src/store/) implements it for SQLite and PostgreSQL.
 */
import type { PhoneType } from '../core/reach.js';

/** A validated citizen, ready to be written. Dates are `YYYY-MM-DD`, phone E.164. */
export interface CitizenRecord {
  citizen_id: string;
  given_name: string | null;
  family_name: string | null;
  birth_date: string;
  sex: 'M' | 'F' | 'X' | null;
  phone: string | null;
  /** The phone's type (registry/fields.ts `phoneType`); absent: typed when written. */
  phone_type?: PhoneType | null;
  email: string | null;
  language: string;
  region: string | null;
  asl: string | null;
  municipality: string | null;
  doses: number;
  last_dose_date: string | null;
  opt_out: boolean;
  /** The registry's `deceased` column (absent: false). */
  deceased?: boolean;
  /** The registry's `whatsapp_opt_in` column: consent to WhatsApp messages (absent: false). */
  whatsapp_opt_in?: boolean;
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

/** A dose given, validated (`invito import vaccinations`). */
export interface VaccinationRecord {
  citizen_id: string;
  /** YYYY-MM-DD. */
  date: string;
  /** Which dose (1, 2, …): the citizen's dose count becomes at least this. */
  dose: number;
  center_id: string | null;
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
  /**
   * Writes a batch of doses given, in one transaction: each recorded by citizen and dose, the
   * citizen's dose count raised to it and their last dose's date moved to it when later, and the
   * citizen's appointment on that day (held or confirmed) marked `attended`. Rows the store
   * refuses map their key (`vaccinationKey`) to the reason: a citizen it does not hold, or a
   * dose this same run wrote already. Returns those and how many appointments were attended.
   */
  writeVaccinations(run: string, rows: readonly VaccinationRecord[]): Promise<{ refused: Map<string, string>; attended: number }>;
  /**
   * After a vaccinations import: appointments still held or confirmed whose day is before `today`
   * and not after `through` (the file's last date) had no dose recorded: → `no_show`. Returns how many.
   */
  markNoShows(through: string, today: string, at: string): Promise<number>;
  /** Records a finished import run (the pacer's eligibility sweep looks for newer ones). */
  recordImport(run: string, kind: 'citizens' | 'vaccinations', at: string): Promise<void>;
}
