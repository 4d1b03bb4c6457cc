/** Migrations of the web console (sessions), after the desk's. */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './open.js';

export const consoleMigrations = (_dialect: Dialect): Record<string, Migration> => ({
  '0005_console': {
    async up(db: Kysely<any>) {
      // Keyed by a hash of the session id: a copy of this table (a backup, a read replica)
      // holds nothing that signs anyone in.
      await db.schema
        .createTable('sessions')
        .addColumn('session_hash', 'text', (c) => c.primaryKey())
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('walk', 'text')
        .execute();
      await db.schema.createIndex('sessions_operator').on('sessions').column('operator_id').execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
    },
  },
});
