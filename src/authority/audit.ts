/**
 * The audit log (issue 15, item 5): append-only, one row per thing done — who, what, when, from
 * where — for sign-ins (and failed ones) and sign-outs, launches, pauses, resumes and
 * cancellations, every export with its row count, account changes, dispositions and opt-outs
 * recorded by operators. It keeps ids and counts only: never message text, names, phones or
 * other personal data (`details` is checked for that shape here, so a caller cannot slip a
 * sentence in).
 */
import { randomUUID } from 'node:crypto';
import { InvitoError } from '../core/errors.js';

/** The actions the log knows, by area. */
export const AUDIT_ACTIONS = [
  'sign-in',
  'sign-in.failed',
  'sign-out',
  'campaign.launch',
  'campaign.pause',
  'campaign.resume',
  'campaign.cancel',
  'export',
  'account.add',
  'account.disable',
  'account.unlock',
  'account.phone',
  'call.disposition',
  'citizen.opt-out',
  'citizen.view',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Details: ids, codes and counts (short strings without spaces, numbers, booleans). */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface AuditEntry {
  readonly auditId: string;
  /** ISO, UTC. */
  readonly at: string;
  /** The account id, or `cli:<os user>` for a command, or `-` when nobody is known (a failed sign-in under an unknown id). */
  readonly actor: string;
  readonly action: AuditAction;
  /** What it was done to: a campaign, account, task or citizen id, an export's kind. */
  readonly target: string | null;
  /** Where from: the client's address, or `cli@<host>`. */
  readonly origin: string;
  readonly details: AuditDetails;
}

export interface AuditQuery {
  readonly since?: string;
  readonly until?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly limit?: number;
}

/** What the log needs from the store: append, and read back in order. There is no update and no delete. */
export interface AuditStore {
  appendAudit(e: AuditEntry): Promise<void>;
  auditEntries(q: AuditQuery): Promise<AuditEntry[]>;
}

/** An id, a code or a count: what details may carry (no spaces, so no sentence and no name). */
const DETAIL = /^[A-Za-z0-9._:@/+,*-]{0,200}$/;

export class AuditLog {
  constructor(
    private readonly store: AuditStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Appends one entry. @throws InvitoError INTERNAL when details carry text (a bug, never personal data in the log) */
  async record(e: { actor: string; action: AuditAction; target?: string | null; origin: string; details?: AuditDetails }): Promise<AuditEntry> {
    const details = e.details ?? {};
    for (const [k, v] of Object.entries(details)) {
      if (typeof v === 'string' && !DETAIL.test(v)) throw new InvitoError('INTERNAL', `audit detail ${k} of ${e.action} is not an id, code or count`);
    }
    const entry: AuditEntry = { auditId: randomUUID(), at: this.now().toISOString(), actor: e.actor, action: e.action, target: e.target ?? null, origin: e.origin, details };
    await this.store.appendAudit(entry);
    return entry;
  }

  /** Entries in the order they were made (oldest first), filtered. */
  list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.store.auditEntries(q);
  }
}
