/** Migrations of issue 13: SMS replies that act, and WhatsApp consent. */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './open.js';

export const replyMigrations = (_dialect: Dialect): Record<string, Migration> => ({
  '0011_replies': {
    async up(db: Kysely<any>) {
      // A question invito asked a phone (which slot, which citizen) and the answer it waits for.
      await db.schema
        .createTable('reply_threads')
        .addColumn('phone', 'text', (c) => c.primaryKey())
        .addColumn('citizen_id', 'text')
        .addColumn('pending', 'text')
        .addColumn('offers', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // invito's answers to inbound texts: one per inbound message (its id), counted per phone and day.
      await db.schema
        .createTable('answers')
        .addColumn('answer_id', 'text', (c) => c.primaryKey())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('citizen_id', 'text')
        .addColumn('campaign_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text')
        .addColumn('error_code', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('answers_phone').on('answers').columns(['phone', 'created_at']).execute();
      // What a reply did (`confirmed`, `moved`, `not_understood`…), and when an operator read one
      // nobody understood (the console's "replies to read").
      await db.schema.alterTable('responses').addColumn('action', 'text').execute();
      await db.schema.alterTable('responses').addColumn('read_at', 'text').execute();
      await db.schema.alterTable('responses').addColumn('read_by', 'text').execute();
    },
  },
  '0012_whatsapp': {
    async up(db: Kysely<any>) {
      // The registry's consent to WhatsApp messages (0/1): WhatsApp reaches only those who gave it.
      await db.schema.alterTable('citizens').addColumn('whatsapp_opt_in', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // When a WhatsApp message was read (its read receipt).
      await db.schema.alterTable('messages').addColumn('read_at', 'text').execute();
    },
  },
});
