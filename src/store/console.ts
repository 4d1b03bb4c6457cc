/** The web console's store: sessions (see `src/console/store.ts`). */
import type { Kysely } from 'kysely';
import type { ConsoleStore, SessionRecord } from '../console/store.js';
import type { Database } from './schema.js';

/** `ConsoleStore` over Kysely, one set of statements for SQLite and PostgreSQL. */
export class KyselyConsoleStore implements ConsoleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createSession(s: Omit<SessionRecord, 'walk'>): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        session_hash: s.sessionHash,
        operator_id: s.operatorId,
        csrf_token: s.csrfToken,
        created_at: s.createdAt,
        seen_at: s.seenAt,
        expires_at: s.expiresAt,
        walk: null,
      })
      .execute();
  }

  async session(sessionHash: string): Promise<SessionRecord | null> {
    const r = await this.db.selectFrom('sessions').selectAll().where('session_hash', '=', sessionHash).executeTakeFirst();
    return r
      ? {
          sessionHash: r.session_hash,
          operatorId: r.operator_id,
          csrfToken: r.csrf_token,
          createdAt: r.created_at,
          seenAt: r.seen_at,
          expiresAt: r.expires_at,
          walk: r.walk,
        }
      : null;
  }

  async touchSession(sessionHash: string, at: string): Promise<void> {
    await this.db.updateTable('sessions').set({ seen_at: at }).where('session_hash', '=', sessionHash).execute();
  }

  async setWalk(sessionHash: string, walk: string | null): Promise<void> {
    await this.db.updateTable('sessions').set({ walk }).where('session_hash', '=', sessionHash).execute();
  }

  async deleteSession(sessionHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('session_hash', '=', sessionHash).execute();
  }

  async deleteExpiredSessions(now: string, idleSince: string): Promise<number> {
    const r = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('seen_at', '<', idleSince)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
