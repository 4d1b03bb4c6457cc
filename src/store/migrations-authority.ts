/** Migrations of issue 15: accounts with scopes and a language, and the audit log. */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './open.js';

export const authorityMigrations = (dialect: Dialect): Record<string, Migration> => ({
  '0014_authority': {
    async up(db: Kysely<any>) {
      // Accounts are the operators' table: the authority's staff (admin, manager, viewer) next to
      // the desk's roles. A scope is comma-separated region or ASL codes (null: everything); the
      // locale is the account's language for pages (null: Italian).
      await db.schema.alterTable('operators').addColumn('scopes', 'text').execute();
      await db.schema.alterTable('operators').addColumn('locale', 'text').execute();
      // Append-only: nothing updates or deletes these rows. `seq` keeps the order they were made in.
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('audit_id', 'text', (c) => c.notNull().unique())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at']).execute();
    },
  },
});
