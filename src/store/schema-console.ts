/** Table types of the web console (see migrations-console.ts). */
import type { Generated } from 'kysely';

export interface SessionsTable {
  /** SHA-256 (hex) of the session id the browser holds; the id itself is never stored. */
  session_hash: string;
  operator_id: string;
  /** The synchronizer token every form of this session carries. */
  csrf_token: string;
  created_at: string;
  /** Last request: the idle expiry counts from here. */
  seen_at: string;
  /** The absolute expiry, fixed at sign-in. */
  expires_at: string;
  /** The script walk of the call open in this session (JSON), or null. */
  walk: string | null;
}

/** The audit log (migration 0014): append-only, ids and counts only. */
export interface AuditLogTable {
  seq: Generated<number>;
  audit_id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  origin: string;
  /** JSON object of ids, codes and counts. */
  details: string;
}

export interface ConsoleTables {
  sessions: SessionsTable;
  audit_log: AuditLogTable;
}
