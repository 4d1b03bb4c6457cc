/** The audit log's rows (authority/audit.ts `AuditStore`): appended, read in order, never changed. */
import type { Kysely } from 'kysely';
import type { AuditAction, AuditEntry, AuditQuery, AuditStore } from '../authority/audit.js';
import type { Database } from './schema.js';

export class KyselyAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async appendAudit(e: AuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({ audit_id: e.auditId, at: e.at, actor: e.actor, action: e.action, target: e.target, origin: e.origin, details: JSON.stringify(e.details) })
      .execute();
  }

  async auditEntries(q: AuditQuery): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .$if(q.since !== undefined, (s) => s.where('at', '>=', q.since!))
      .$if(q.until !== undefined, (s) => s.where('at', '<', q.until!))
      .$if(q.actor !== undefined, (s) => s.where('actor', '=', q.actor!))
      .$if(q.action !== undefined, (s) => s.where('action', '=', q.action!))
      .$if(q.target !== undefined, (s) => s.where('target', '=', q.target!))
      .orderBy('seq')
      .$if(q.limit !== undefined, (s) => s.limit(q.limit!))
      .execute();
    return rows.map((r) => ({ auditId: r.audit_id, at: r.at, actor: r.actor, action: r.action as AuditAction, target: r.target, origin: r.origin, details: JSON.parse(r.details) as AuditEntry['details'] }));
  }
}
