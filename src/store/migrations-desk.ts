/** Migrations of the call desk (operators, call attempts, the task columns), after the core ones. */
import { type Kysely, type Migration, sql } from 'kysely';
import { clustered } from './migrations.js';
import type { Dialect } from './open.js';

export const deskMigrations = (dialect: Dialect): Record<string, Migration> => ({
  '0004_desk': {
    async up(db: Kysely<any>) {
      await clustered(
        dialect,
        db.schema
          .createTable('operators')
          .addColumn('operator_id', 'text', (c) => c.primaryKey())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('languages', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull().defaultTo('operator'))
          .addColumn('password_hash', 'text')
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_seen_at', 'text'),
      ).execute();

      // The call channel inserts the core columns only; the desk fills the rest (see adoptNewTasks).
      const task = (name: string, type: 'text' | 'integer', notNullDefault?: number) =>
        db.schema
          .alterTable('call_tasks')
          .addColumn(name, type, (c) => (notNullDefault === undefined ? c : c.notNull().defaultTo(notNullDefault)))
          .execute();
      await task('seq', 'integer');
      await task('priority', 'integer');
      await task('language', 'text');
      await task('due_at', 'text');
      await task('lease_operator', 'text');
      await task('lease_until', 'text');
      await task('attempts', 'integer', 0);
      await task('callback_operator', 'text');
      await task('last_disposition', 'text');
      await task('closed_reason', 'text');
      await task('answers', 'text');
      await task('triage', 'integer', 0);

      // The next-task query walks open tasks of a language in the order they are handed out.
      await db.schema.createIndex('call_tasks_next').on('call_tasks').columns(['state', 'language', 'priority', 'seq', 'task_id']).execute();
      // Callbacks and recycled tasks by time; leases by operator (an operator's own lease comes first).
      await db.schema.createIndex('call_tasks_due').on('call_tasks').columns(['state', 'due_at']).execute();
      await db.schema.createIndex('call_tasks_lease').on('call_tasks').columns(['lease_operator', 'state']).execute();
      await db.schema.createIndex('call_tasks_citizen').on('call_tasks').columns(['citizen_id', 'state']).execute();
      // Tasks the call channel made since the desk last looked (seq is null until adopted).
      await db.schema.createIndex('call_tasks_new').on('call_tasks').column('task_id').where(sql.ref('seq'), 'is', null).execute();

      await clustered(
        dialect,
        db.schema
          .createTable('call_attempts')
          .addColumn('attempt_id', 'text', (c) => c.primaryKey())
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('campaign_id', 'text', (c) => c.notNull())
          .addColumn('citizen_id', 'text', (c) => c.notNull())
          .addColumn('operator_id', 'text', (c) => c.notNull())
          .addColumn('disposition', 'text', (c) => c.notNull())
          .addColumn('answers', 'text')
          .addColumn('note', 'text')
          .addColumn('callback_at', 'text')
          .addColumn('at', 'text', (c) => c.notNull()),
      ).execute();
      await db.schema.createIndex('call_attempts_task').on('call_attempts').columns(['task_id', 'at']).execute();
      await db.schema.createIndex('call_attempts_citizen').on('call_attempts').columns(['citizen_id', 'at']).execute();
      await db.schema.createIndex('call_attempts_at').on('call_attempts').column('at').execute();

      // A do-not-call request outlives every campaign, like an opt-out.
      await db.schema.alterTable('citizens').addColumn('do_not_call_at', 'text').execute();
    },
  },
  '0006_sign_in_lock': {
    async up(db: Kysely<any>) {
      // On the operator's row, not in a server's memory: the lock holds in every process serving
      // the console and across restarts.
      await db.schema.alterTable('operators').addColumn('failed_sign_ins', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('operators').addColumn('failed_since', 'text').execute();
      await db.schema.alterTable('operators').addColumn('locked_until', 'text').execute();
    },
  },
});
