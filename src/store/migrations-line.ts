/** Migrations of issue 14, item 3: the free-phone line's queues and the operators who take its calls. */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './open.js';

export const lineMigrations = (_dialect: Dialect): Record<string, Migration> => ({
  '0013_line': {
    async up(db: Kysely<any>) {
      // The operator's phone (E.164), dialled for inbound calls; "ready for inbound" and since when
      // idle (the longest-idle ready operator gets the next caller); the caller they are on.
      await db.schema.alterTable('operators').addColumn('phone', 'text').execute();
      await db.schema.alterTable('operators').addColumn('inbound_ready', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('operators').addColumn('idle_since', 'text').execute();
      await db.schema.alterTable('operators').addColumn('inbound_call', 'text').execute();
      // One row per call that entered a queue of the line (by its CallSid): who (when identified),
      // which queue, its state (waiting → connecting → connected → ended, or left), the operator.
      await db.schema
        .createTable('line_calls')
        .addColumn('call_sid', 'text', (c) => c.primaryKey())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('citizen_id', 'text')
        .addColumn('message_id', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('enqueued_at', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'text')
        .addColumn('operator_call_sid', 'text')
        .addColumn('task_id', 'text')
        .addColumn('answered_at', 'text')
        .addColumn('ended_at', 'text')
        .addColumn('result', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('line_calls_waiting').on('line_calls').columns(['state', 'language', 'enqueued_at']).execute();
      await db.schema.createIndex('line_calls_enqueued').on('line_calls').columns(['enqueued_at']).execute();
    },
  },
});
