/**
 * Table types for Kysely. One schema for both dialects: dates are ISO `YYYY-MM-DD` text
 * (they compare correctly as text in SQLite and PostgreSQL alike), booleans are 0/1 integers
 * (better-sqlite3 cannot bind JS booleans), timestamps are ISO-8601 UTC text.
 */
import type { Insertable, Selectable } from 'kysely';

export interface CitizensTable {
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
  opt_out: number;
  /** The import run that last wrote the row: detects a duplicate id inside one file without holding ids in memory. */
  import_run: string | null;
  /** Line of that row in that import's file. */
  source_line: number | null;
  updated_at: string;
}

export interface CitizenGroupsTable {
  citizen_id: string;
  group_code: string;
}

export interface CentersTable {
  center_id: string;
  name: string;
  region: string | null;
  asl: string | null;
  municipality: string | null;
  address: string | null;
  daily_capacity: number;
  /** Normalised opening hours, e.g. `mon-fri 08:00-20:00; sat 08:00-13:00`. */
  opening: string;
  /** Normalised `;`-joined catchment codes (municipalities or ASL codes). */
  catchment: string;
  import_run: string | null;
  source_line: number | null;
  updated_at: string;
}

export interface CenterCatchmentTable {
  center_id: string;
  /** Upper-cased municipality name or ASL code served by the centre. */
  area: string;
}

export interface Database {
  citizens: CitizensTable;
  citizen_groups: CitizenGroupsTable;
  centers: CentersTable;
  center_catchment: CenterCatchmentTable;
}

export type CitizenRow = Selectable<CitizensTable>;
export type NewCitizen = Insertable<CitizensTable>;
export type CenterRow = Selectable<CentersTable>;
export type NewCenter = Insertable<CentersTable>;
