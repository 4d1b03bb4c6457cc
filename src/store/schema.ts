/**
 * Table types for Kysely. One schema for both dialects: dates are ISO `YYYY-MM-DD` text
 * (they compare correctly as text in SQLite and PostgreSQL alike), booleans are 0/1 integers
 * (better-sqlite3 cannot bind JS booleans), timestamps are ISO-8601 UTC text.
 */
import type { Generated, Insertable, Selectable } from 'kysely';
import type { ConsoleTables } from './schema-console.js';
import type { DeskTables } from './schema-desk.js';

export interface CitizensTable {
  citizen_id: string;
  given_name: string | null;
  family_name: string | null;
  birth_date: string;
  sex: 'M' | 'F' | 'X' | null;
  phone: string | null;
  /** libphonenumber's type of the phone at import (core/reach.ts `PhoneType`); null without a phone. */
  phone_type: string | null;
  email: string | null;
  language: string;
  region: string | null;
  asl: string | null;
  municipality: string | null;
  doses: number;
  last_dose_date: string | null;
  opt_out: number;
  /** 0/1: the citizen consented to WhatsApp messages (the registry's `whatsapp_opt_in`; core/reach.ts CONSENT_OF). */
  whatsapp_opt_in: number;
  /** 0/1: the registry says the citizen has died (issue 12; no campaign's cohort holds them). */
  deceased: number;
  /** The import run that last wrote the row: detects a duplicate id inside one file without holding ids in memory. */
  import_run: string | null;
  /** Line of that row in that import's file. */
  source_line: number | null;
  updated_at: string;
  opt_out_at: string | null;
  /** How the citizen said stop: `import`, `sms:STOP`, `link`, `operator`. */
  opt_out_source: string | null;
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

export interface CampaignsTable {
  campaign_id: string;
  name: string;
  /** The validated definition at launch, as JSON: a relaunch must not change the cohort. */
  definition: string;
  status: 'active' | 'paused' | 'cancelled' | 'completed';
  status_reason: string | null;
  /** Messages released per second (a fixed rate, until pacing replaces it). */
  release_rate: number;
  recipients: number;
  launched_at: string;
  updated_at: string;
  /** The last failure of the campaign's release (null once a release succeeds). */
  release_error_code: string | null;
  release_error_message: string | null;
  release_error_at: string | null;
}

import type { MessageState } from '../core/lifecycle.js';

export interface MessagesTable {
  /** `campaign.step.citizen`: also the BullMQ job id (no `:`). */
  message_id: string;
  campaign_id: string;
  step_id: string;
  citizen_id: string;
  /** Position in the campaign's priority order. */
  seq: number;
  state: MessageState;
  channel: string | null;
  /** Set when the message is released (an HMAC the database cannot compute). */
  link_token: string | null;
  attempts: number;
  /** Set by the worker that claimed the message before calling the provider. */
  claim_token: string | null;
  claimed_at: string | null;
  provider_id: string | null;
  error_code: string | null;
  error_detail: string | null;
  queued_at: string | null;
  sent_at: string | null;
  final_at: string | null;
  /** When the citizen opened it (a WhatsApp read receipt); null for other channels and unread. */
  read_at: Generated<string | null>;
  updated_at: string;
  /** When a reminder or follow-up is due (null for invitations, which the daily target paces). */
  due_at: string | null;
  /** The appointment the message carries (set at release). */
  appointment_id: string | null;
  /** A fallback attempt: the message whose failure it follows (null for a step's own message). */
  fallback_of: string | null;
  /** Set on a failed attempt when its fallback is made: the new attempt's id. */
  fallback_id: string | null;
  /**
   * What became of a failed attempt's fallback (pacer/fallback.ts): `made`, or why the chain
   * ended (`no_channel`, `max`, `off`, `opted_out`, `moot`, `none`). Null: not decided yet
   * (counted as awaiting while the attempt is undelivered or failed with an appointment).
   */
  fallback_state: string | null;
  /** Fallbacks before this attempt in its chain (0 for a step's own message). */
  fallback_depth: Generated<number>;
}

export type { MessageState } from '../core/lifecycle.js';

export interface ProviderEventsTable {
  provider_id: string;
  status: string;
  error_code: string | null;
  received_at: string;
}

export interface ResponsesTable {
  response_id: string;
  citizen_id: string | null;
  message_id: string | null;
  channel: string;
  kind: string;
  body: string | null;
  received_at: string;
  /** What the reply did (feedback/replies.ts AnswerKind: `confirmed`, `moved`, `not_understood`, …); null before issue 13. */
  action: Generated<string | null>;
  /** When an operator marked a reply nobody understood as read, and who. */
  read_at: Generated<string | null>;
  read_by: Generated<string | null>;
}

/** A question invito asked a phone (which slot, which citizen), waiting for the answer. */
export interface ReplyThreadsTable {
  phone: string;
  citizen_id: string | null;
  /** The reply word asked before the citizen was known (a shared phone). */
  pending: string | null;
  /** JSON: the slots offered by letter. */
  offers: string | null;
  expires_at: string;
  updated_at: string;
}

/** invito's answer to one inbound text (its id is the inbound message's). */
export interface AnswersTable {
  answer_id: string;
  phone: string;
  citizen_id: string | null;
  campaign_id: string | null;
  kind: string;
  /** pending → sent | failed. */
  state: string;
  provider_id: string | null;
  error_code: string | null;
  created_at: string;
  updated_at: string;
}

export interface CallTasksTable {
  task_id: string;
  message_id: string;
  campaign_id: string;
  citizen_id: string;
  state: string;
  created_at: string;
  updated_at: string;
}

export interface PacingDaysTable {
  campaign_id: string;
  /** Local date in the campaign's time zone. */
  day: string;
  /** The day's target, carried shortfall included, fixed when the day's first release happens. */
  target: number;
  released: number;
  updated_at: string;
}

export interface CenterDaysTable {
  center_id: string;
  day: string;
  capacity: number;
  /** Slots held or confirmed, kept with the slots in the same transaction. */
  booked: number;
}

export interface SlotsTable {
  center_id: string;
  day: string;
  /** 0 … capacity − 1, in time order. */
  seq: number;
  /** Local ISO time with offset. */
  start_at: string;
  /** The appointment holding the slot, or null when free. */
  appointment_id: string | null;
}

export type { AppointmentState } from '../pacer/appointments.js';
import type { AppointmentState } from '../pacer/appointments.js';

export interface AppointmentsTable {
  /** The invitation's message id. */
  appointment_id: string;
  campaign_id: string;
  citizen_id: string;
  center_id: string;
  day: string;
  seq: number;
  start_at: string;
  /** held (offered) → confirmed | released (declined, opted out, undelivered, cancelled, no longer eligible); past its day → attended | no_show (`invito import vaccinations`). */
  state: AppointmentState;
  state_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** A dose given, as `invito import vaccinations` recorded it: one row per citizen and dose. */
export interface VaccinationsTable {
  citizen_id: string;
  dose: number;
  /** The day it was given (YYYY-MM-DD). */
  date: string;
  center_id: string | null;
  /** The import run that last wrote the row (a dose twice in one file is a duplicate). */
  import_run: string | null;
  source_line: number | null;
  updated_at: string;
}

/** A finished import of citizens or vaccinations (runs sort by time): the eligibility sweep's trigger. */
export interface RegistryImportsTable {
  run: string;
  kind: 'citizens' | 'vaccinations';
  finished_at: string;
}

export interface Database extends DeskTables, ConsoleTables {
  citizens: CitizensTable;
  citizen_groups: CitizenGroupsTable;
  reply_threads: ReplyThreadsTable;
  answers: AnswersTable;
  centers: CentersTable;
  center_catchment: CenterCatchmentTable;
  campaigns: CampaignsTable;
  messages: MessagesTable;
  provider_events: ProviderEventsTable;
  responses: ResponsesTable;
  call_tasks: CallTasksTable;
  pacing_days: PacingDaysTable;
  center_days: CenterDaysTable;
  slots: SlotsTable;
  appointments: AppointmentsTable;
  vaccinations: VaccinationsTable;
  registry_imports: RegistryImportsTable;
}

export type CitizenRow = Selectable<CitizensTable>;
export type NewCitizen = Insertable<CitizensTable>;
export type CenterRow = Selectable<CentersTable>;
export type NewCenter = Insertable<CentersTable>;
