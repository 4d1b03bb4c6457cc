/**
 * The one catalogue of invito's errors.
 *
 * Every error a user can meet (CLI or HTTP API) has a stable `code`, an HTTP status and a
 * process exit status. Tests assert the code, never the wording. Messages carry ids and
 * positions only — never names, phones, emails or birth dates (health data).
 */

export interface ErrorSpec {
  /** HTTP status when the error reaches the API. */
  readonly status: number;
  /** Process exit status when the error ends a CLI command. */
  readonly exit: number;
  /** Whether trying again later may succeed (provider and network faults). */
  readonly retryable: boolean;
}

const spec = (status: number, exit: number, retryable = false): ErrorSpec => ({ status, exit, retryable });

export const ERRORS = {
  // usage and configuration (exit 2)
  USAGE: spec(400, 2),
  CONFIG_INVALID: spec(500, 2),
  // input files (exit 3)
  FILE_UNREADABLE: spec(400, 3),
  IMPORT_MISSING_COLUMN: spec(400, 3),
  IMPORT_UNKNOWN_COLUMN: spec(400, 3),
  IMPORT_BAD_FORMAT: spec(400, 3),
  /** The file cannot be read past a line (rows in a row that are not rows): the rows before it are kept. */
  IMPORT_MALFORMED: spec(400, 3),
  /** Bytes that are not the file's encoding (Latin-1 read as UTF-8), or a UTF-16/UTF-32 file. */
  IMPORT_ENCODING: spec(400, 3),
  // campaigns (exit 4)
  CAMPAIGN_INVALID: spec(422, 4),
  CAMPAIGN_NOT_FOUND: spec(404, 4),
  /** Launching again with a different definition: the cohort of a launched campaign is fixed. */
  CAMPAIGN_CHANGED: spec(409, 4),
  CAMPAIGN_STATE: spec(409, 4),
  // records
  CITIZEN_NOT_FOUND: spec(404, 4),
  CENTER_NOT_FOUND: spec(404, 4),
  /** A centre row in the store that an import would refuse (an old store, a row written by hand): its campaigns cannot be given slots there. */
  CENTER_INVALID: spec(422, 4),
  // templates (exit 5)
  TEMPLATE_NOT_FOUND: spec(422, 5),
  TEMPLATE_SYNTAX: spec(422, 5),
  TEMPLATE_MISSING_VARIABLE: spec(422, 5),
  TEMPLATE_LANGUAGE_MISSING: spec(422, 5),
  SMS_TOO_LONG: spec(422, 5),
  // infrastructure (exit 6)
  DB_UNAVAILABLE: spec(503, 6, true),
  REDIS_UNAVAILABLE: spec(503, 6, true),
  REDIS_EVICTION_POLICY: spec(503, 6),
  /** A stopping worker's jobs in flight did not finish within INVITO_SHUTDOWN_GRACE_MS (Redis or a provider not answering), or closing failed. */
  SHUTDOWN_INCOMPLETE: spec(503, 6),
  SANDBOX_UNAVAILABLE: spec(503, 6, true),
  WEBHOOK_FAILED: spec(502, 6, true),
  // feedback endpoints (HTTP; exit statuses only for consistency)
  /** A Twilio webhook whose `X-Twilio-Signature` is missing or wrong: not from Twilio, or the auth token or public URL differ. */
  WEBHOOK_SIGNATURE_INVALID: spec(403, 2),
  /** A signed webhook without the parameters its kind always carries. */
  WEBHOOK_PAYLOAD_INVALID: spec(400, 3),
  /** A reply link whose token belongs to no message, or with an action links do not have. */
  LINK_NOT_FOUND: spec(404, 4),
  // why a message ended `failed` (or `skipped`) before any provider saw it (messages.error_code; a provider's
  // refusal keeps the provider's own code there)
  /** None of the step's channels reaches the citizen, or the worker has no adapter for the channel. */
  NO_CHANNEL: spec(422, 4),
  /** The channel chosen at release no longer reaches the citizen (the phone or address was removed since). */
  NOT_REACHABLE: spec(422, 4),
  /** No vaccination centre serves the citizen's area. */
  NO_CENTER: spec(409, 4),
  /** The message names a step its campaign does not have. */
  NO_STEP: spec(422, 4),
  /** The message carries no appointment. */
  NO_APPOINTMENT: spec(409, 4),
  /** The channel's send window of the campaign never opens. */
  NO_WINDOW: spec(422, 4),
  /** The citizen no longer belongs to the campaign's cohort as the registry says now (a dose recorded, another region, deceased): the message is cancelled. */
  NO_LONGER_ELIGIBLE: spec(409, 4),
  // pacing and appointments
  /** No centre serving the citizen has a free slot within the horizon. */
  NO_SLOT: spec(409, 4),
  APPOINTMENT_NOT_FOUND: spec(404, 4),
  APPOINTMENT_STATE: spec(409, 4),
  // the call desk (exit 4 for records, 2 for usage)
  OPERATOR_NOT_FOUND: spec(404, 4),
  OPERATOR_EXISTS: spec(409, 4),
  OPERATOR_DISABLED: spec(403, 4),
  /** "Ready for inbound" needs a phone on the operator's account (`invito operators phone`). */
  OPERATOR_NO_PHONE: spec(409, 4),
  TASK_NOT_FOUND: spec(404, 4),
  /** The task is leased to another operator, or the caller's lease has expired. */
  TASK_NOT_YOURS: spec(409, 4),
  /** The task is closed or not in a state that allows this. */
  TASK_STATE: spec(409, 4),
  DISPOSITION_UNKNOWN: spec(400, 2),
  CALLBACK_INVALID: spec(400, 2),
  // the web console
  SIGN_IN_REQUIRED: spec(401, 2),
  SIGN_IN_FAILED: spec(401, 2),
  /** Too many failed sign-ins on the account: refused, whatever the password, until the lock ends or is lifted. */
  SIGN_IN_LOCKED: spec(423, 2),
  /** Too many failed sign-ins from the client's address: refused before any password is checked. */
  SIGN_IN_THROTTLED: spec(429, 2),
  CSRF_INVALID: spec(403, 2),
  FORBIDDEN: spec(403, 2),
  INTERNAL: spec(500, 1),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A located problem inside an input (file:line:column), used by validators. */
export interface Issue {
  readonly where: string;
  readonly message: string;
}

export class InvitoError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exit: number;
  readonly retryable: boolean;
  /** Every problem found, when the error reports several (a campaign file with three mistakes). */
  readonly issues: readonly Issue[];

  constructor(code: ErrorCode, message: string, options: { issues?: readonly Issue[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InvitoError';
    this.code = code;
    const s = ERRORS[code];
    this.status = s.status;
    this.exit = s.exit;
    this.retryable = s.retryable;
    this.issues = options.issues ?? [];
  }

  toJSON(): { code: ErrorCode; message: string; issues?: readonly Issue[] } {
    return this.issues.length > 0
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message };
  }
}

export const isInvitoError = (e: unknown): e is InvitoError => e instanceof InvitoError;

/**
 * An error that is not of the catalogue (a bug of ours, a driver's surprise) as users and logs
 * see it: its kind and code only, since a driver's message or a stack can quote the data it was
 * handling.
 */
export function internalError(e: unknown): InvitoError {
  const name = e instanceof Error ? e.name : typeof e;
  const code = typeof (e as { code?: unknown } | null)?.code === 'string' ? ` ${(e as { code: string }).code}` : '';
  return new InvitoError('INTERNAL', `internal error (${name}${code})`, { cause: e });
}
