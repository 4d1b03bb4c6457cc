/** Migrations of Contact limits and rolling cohorts (issue 12). */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './open.js';

export const contactMigrations = (_dialect: Dialect): Record<string, Migration> => ({
  '0010_contact': {
    async up(db: Kysely<any>) {
      // The contact limits count a citizen's messages released since a day or a week ago, across
      // campaigns (store/messages.ts withinLimits): the citizen index gains the release time. It
      // still serves every lookup by citizen alone.
      await db.schema.createIndex('messages_citizen_queued').on('messages').columns(['citizen_id', 'queued_at']).execute();
      await db.schema.dropIndex('messages_citizen').execute();
    },
  },
});
