/** Table types of the call desk (see migrations-desk.ts). */
import type { Generated } from 'kysely';
import type { ClosedReason, Disposition, OperatorRole } from '../desk/types.js';

export interface OperatorsTable {
  operator_id: string;
  display_name: string;
  /** Comma-separated ISO 639-1 codes, e.g. `it,en`. */
  languages: string;
  role: OperatorRole;
  /** `scrypt$N$r$p$salt$hash`, or null: the operator cannot sign in to the console. */
  password_hash: string | null;
  disabled: number;
  created_at: string;
  /** Last request seen: "on shift" when recent (the hopper counts these operators). */
  last_seen_at: string | null;
  /** Sign-in attempts since `failed_since` that did not succeed (counted before the password is checked). */
  failed_sign_ins: Generated<number>;
  /** The first of those attempts: the count starts again once it is older than the window. */
  failed_since: string | null;
  /** Refused whatever the password until then (ISO); null: not locked. */
  locked_until: string | null;
  /** The phone dialled for inbound calls (E.164), or null: takes no inbound calls. */
  phone?: string | null;
  /** "Ready for inbound" (0/1). */
  inbound_ready?: Generated<number>;
  /** Since when the operator has been ready and free: the longest idle gets the next caller. */
  idle_since?: string | null;
  /** The line call (CallSid) the operator is on, or null. */
  inbound_call?: string | null;
  /** Comma-separated region or ASL codes the account covers; null or empty: the whole installation. */
  scopes?: string | null;
  /** The account's language for pages (`it`, `en`, `de`); null: Italian. */
  locale?: string | null;
}

/** A call that entered one of the line's queues (migration 0013). */
export interface LineCallsTable {
  call_sid: string;
  /** The queue's language (`invito-<language>`). */
  language: string;
  citizen_id: string | null;
  /** The message the caller was identified by (their appointment's), or null. */
  message_id: string | null;
  state: 'waiting' | 'connecting' | 'connected' | 'ended' | 'left';
  enqueued_at: string;
  operator_id: string | null;
  /** The operator's leg (the Calls API's call), while connecting and after. */
  operator_call_sid: string | null;
  /** The call task the operator records the call on (identified callers). */
  task_id: string | null;
  /** When the caller was bridged to the operator. */
  answered_at: string | null;
  ended_at: string | null;
  /** How the caller left the queue, as Twilio says (`bridged`, `leave`, `hangup`…). */
  result: string | null;
  updated_at: string;
}

/** Columns the desk adds to `call_tasks` (the table itself is created by migration 0002). */
export interface CallTaskDeskColumns {
  /** The message's position in the campaign's priority order. */
  seq: number | null;
  /** The campaign's `calls.priority`, lower first. */
  priority: number | null;
  /** The citizen's language at creation. */
  language: string | null;
  /** When the task may be called (null: at once). */
  due_at: string | null;
  lease_operator: string | null;
  lease_until: string | null;
  /** Defaulted by the migration, so the call channel's insert need not know the desk. */
  attempts: Generated<number>;
  /** A callback for this operator only (null: anyone). */
  callback_operator: string | null;
  last_disposition: Disposition | null;
  closed_reason: ClosedReason | null;
  /** Script answers, JSON `{ node: answer }`. */
  answers: string | null;
  /** Flagged for a health worker (0/1). */
  triage: Generated<number>;
}

export interface CallAttemptsTable {
  attempt_id: string;
  task_id: string;
  campaign_id: string;
  citizen_id: string;
  operator_id: string;
  disposition: Disposition;
  /** JSON `{ node: answer }`. */
  answers: string | null;
  note: string | null;
  callback_at: string | null;
  at: string;
}

export interface DeskTables {
  operators: OperatorsTable;
  call_attempts: CallAttemptsTable;
  line_calls: LineCallsTable;
}

/*
 * The desk's columns on the core tables, merged into their interfaces so the core schema file
 * keeps only what the core migrations create (task states are `TaskState` of desk/types.ts).
 */
declare module './schema.js' {
  // Declaration merging adds the desk's columns to the core table: an interface, even an empty one.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface CallTasksTable extends CallTaskDeskColumns {}
  interface CitizensTable {
    /**
     * Set by a `do_not_call` disposition: no campaign calls the citizen again. Optional in the
     * type only so the registry's row builders, which never write it, need not name it.
     */
    do_not_call_at?: string | null;
  }
}
