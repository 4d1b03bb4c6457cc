/** Migrations of Fallback channels: phone types, the chain of attempts (issue 12). */
import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from './open.js';

export const fallbackMigrations = (_dialect: Dialect): Record<string, Migration> => ({
  '0008_fallback': {
    async up(db: Kysely<any>) {
      // libphonenumber's type of the phone (core/reach.ts PhoneType): a text never goes to a
      // fixed line. Rows imported before are `unknown` until the next import types them.
      await db.schema.alterTable('citizens').addColumn('phone_type', 'text').execute();
      await db.updateTable('citizens').set({ phone_type: 'unknown' }).where('phone', 'is not', null).execute();
      // The chain of attempts: a fallback row names the attempt it follows, the failed attempt
      // its fallback (or why there is none), and each its depth in the chain.
      await db.schema.alterTable('messages').addColumn('fallback_of', 'text').execute();
      await db.schema.alterTable('messages').addColumn('fallback_id', 'text').execute();
      await db.schema.alterTable('messages').addColumn('fallback_state', 'text').execute();
      await db.schema.alterTable('messages').addColumn('fallback_depth', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // Failures from before fallbacks existed are settled: their slots were freed as they ended.
      await db.updateTable('messages').set({ fallback_state: 'none' }).where('state', 'in', ['undelivered', 'failed']).execute();
      // The pacer's scan for attempts whose fallback is still to be decided, per campaign.
      await sql`create index messages_fallback_open on messages (campaign_id, seq) where fallback_state is null and state in ('undelivered', 'failed')`.execute(db);
    },
  },
});
