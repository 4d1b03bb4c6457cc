/**
 * Migrations, in code, run by `openStore` every time (Kysely's Migrator records what ran).
 * Only dialect-neutral types are used so one set of migrations serves SQLite and PostgreSQL.
 */
import { type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { consoleMigrations } from './migrations-console.js';
import { contactMigrations } from './migrations-contact.js';
import { authorityMigrations } from './migrations-authority.js';
import { lineMigrations } from './migrations-line.js';
import { replyMigrations } from './migrations-replies.js';
import { deskMigrations } from './migrations-desk.js';
import { eligibilityMigrations } from './migrations-eligibility.js';
import { fallbackMigrations } from './migrations-fallback.js';
import type { Dialect } from './open.js';

/**
 * Tables keyed by text ids are clustered by their key on SQLite (`WITHOUT ROWID`): one b-tree
 * instead of a rowid table plus a key index, which makes every registry write cheaper.
 */
export const clustered = <T extends string, C extends string>(dialect: Dialect, t: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> =>
  dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t;

/**
 * The birth-date index, also recreated on every open: a bulk import drops it while loading an
 * empty registry and rebuilds it at the end, and a crash in between must not leave it missing.
 */
export const CITIZENS_BIRTH_DATE_INDEX = 'create index if not exists citizens_birth_date on citizens (birth_date)';

const migrations = (dialect: Dialect): Record<string, Migration> => ({
  '0001_registry': {
    async up(db: Kysely<any>) {
      await clustered(
        dialect,
        db.schema
        .createTable('citizens')
        .addColumn('citizen_id', 'text', (c) => c.primaryKey())
        .addColumn('given_name', 'text')
        .addColumn('family_name', 'text')
        .addColumn('birth_date', 'text', (c) => c.notNull())
        .addColumn('sex', 'text')
        .addColumn('phone', 'text')
        .addColumn('email', 'text')
        .addColumn('language', 'text', (c) => c.notNull().defaultTo('it'))
        .addColumn('region', 'text')
        .addColumn('asl', 'text')
        .addColumn('municipality', 'text')
        .addColumn('doses', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_dose_date', 'text')
        .addColumn('opt_out', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('import_run', 'text')
        .addColumn('source_line', 'integer')
        .addColumn('updated_at', 'text', (c) => c.notNull()),
      ).execute();
      // Age criteria select by birth date; regions are too coarse to deserve an index.
      await db.schema.createIndex('citizens_birth_date').on('citizens').column('birth_date').execute();

      await clustered(
        dialect,
        db.schema
          .createTable('citizen_groups')
          .addColumn('citizen_id', 'text', (c) => c.notNull())
          .addColumn('group_code', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('citizen_groups_pk', ['citizen_id', 'group_code']),
      ).execute();
      await db.schema.createIndex('citizen_groups_code').on('citizen_groups').columns(['group_code', 'citizen_id']).execute();

      await db.schema
        .createTable('centers')
        .addColumn('center_id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('region', 'text')
        .addColumn('asl', 'text')
        .addColumn('municipality', 'text')
        .addColumn('address', 'text')
        .addColumn('daily_capacity', 'integer', (c) => c.notNull())
        .addColumn('opening', 'text', (c) => c.notNull())
        .addColumn('catchment', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('import_run', 'text')
        .addColumn('source_line', 'integer')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await clustered(
        dialect,
        db.schema
          .createTable('center_catchment')
          .addColumn('center_id', 'text', (c) => c.notNull())
          .addColumn('area', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('center_catchment_pk', ['center_id', 'area']),
      ).execute();
      await db.schema.createIndex('center_catchment_area').on('center_catchment').columns(['area', 'center_id']).execute();
    },
  },
  '0002_dispatch': {
    async up(db: Kysely<any>) {
      // Who said stop, when and how: an opt-out outlives every campaign.
      await db.schema.alterTable('citizens').addColumn('opt_out_at', 'text').execute();
      await db.schema.alterTable('citizens').addColumn('opt_out_source', 'text').execute();
      await db.schema.createIndex('citizens_phone').on('citizens').column('phone').execute();

      await db.schema
        .createTable('campaigns')
        .addColumn('campaign_id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('release_rate', 'integer', (c) => c.notNull())
        .addColumn('recipients', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('launched_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await clustered(
        dialect,
        db.schema
          .createTable('messages')
          .addColumn('message_id', 'text', (c) => c.primaryKey())
          .addColumn('campaign_id', 'text', (c) => c.notNull())
          .addColumn('step_id', 'text', (c) => c.notNull())
          .addColumn('citizen_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('channel', 'text')
          .addColumn('link_token', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('claim_token', 'text')
          .addColumn('claimed_at', 'text')
          .addColumn('provider_id', 'text')
          .addColumn('error_code', 'text')
          .addColumn('error_detail', 'text')
          .addColumn('queued_at', 'text')
          .addColumn('sent_at', 'text')
          .addColumn('final_at', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull()),
      ).execute();
      await db.schema.createIndex('messages_release').on('messages').columns(['campaign_id', 'state', 'seq']).execute();
      await db.schema.createIndex('messages_provider').on('messages').column('provider_id').execute();
      await db.schema.createIndex('messages_citizen').on('messages').column('citizen_id').execute();
      await db.schema.createIndex('messages_token').on('messages').column('link_token').execute();

      // Provider events by provider id: a receipt that arrives before the send was recorded waits here.
      await clustered(
        dialect,
        db.schema
          .createTable('provider_events')
          .addColumn('provider_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('error_code', 'text')
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('provider_events_pk', ['provider_id', 'status']),
      ).execute();

      await db.schema
        .createTable('responses')
        .addColumn('response_id', 'text', (c) => c.primaryKey())
        .addColumn('citizen_id', 'text')
        .addColumn('message_id', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('body', 'text')
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('responses_citizen').on('responses').column('citizen_id').execute();

      await clustered(
        dialect,
        db.schema
          .createTable('call_tasks')
          .addColumn('task_id', 'text', (c) => c.primaryKey())
          .addColumn('message_id', 'text', (c) => c.notNull())
          .addColumn('campaign_id', 'text', (c) => c.notNull())
          .addColumn('citizen_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull()),
      ).execute();
      await db.schema.createIndex('call_tasks_state').on('call_tasks').columns(['state', 'campaign_id']).execute();
    },
  },
  '0003_pacing': {
    async up(db: Kysely<any>) {
      // Reminders and follow-ups are due at a time; invitations (null) are paced by the target.
      await db.schema.alterTable('messages').addColumn('due_at', 'text').execute();
      // The appointment a message carries: its own for an invitation, the invitation's for a reminder.
      await db.schema.alterTable('messages').addColumn('appointment_id', 'text').execute();
      await db.schema.createIndex('messages_due').on('messages').columns(['campaign_id', 'state', 'due_at']).execute();

      // What the pacer released per campaign and local day: the target reached, the shortfall carried.
      await clustered(
        dialect,
        db.schema
          .createTable('pacing_days')
          .addColumn('campaign_id', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('target', 'integer', (c) => c.notNull())
          .addColumn('released', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('pacing_days_pk', ['campaign_id', 'day']),
      ).execute();

      // A centre-day's slots, made when the first appointment on that day is allocated. One row
      // is one person's place: a centre-day cannot be overbooked by construction.
      await db.schema
        .createTable('center_days')
        .addColumn('center_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('capacity', 'integer', (c) => c.notNull())
        .addColumn('booked', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('center_days_pk', ['center_id', 'day'])
        .execute();
      await db.schema
        .createTable('slots')
        .addColumn('center_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('start_at', 'text', (c) => c.notNull())
        .addColumn('appointment_id', 'text')
        .addPrimaryKeyConstraint('slots_pk', ['center_id', 'day', 'seq'])
        .execute();
      await db.schema.createIndex('slots_free').on('slots').columns(['center_id', 'day', 'appointment_id', 'seq']).execute();

      // One appointment per invitation (its id is the invitation's message id).
      await clustered(
        dialect,
        db.schema
          .createTable('appointments')
          .addColumn('appointment_id', 'text', (c) => c.primaryKey())
          .addColumn('campaign_id', 'text', (c) => c.notNull())
          .addColumn('citizen_id', 'text', (c) => c.notNull())
          .addColumn('center_id', 'text', (c) => c.notNull())
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('start_at', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('state_reason', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull()),
      ).execute();
      await db.schema.createIndex('appointments_campaign').on('appointments').columns(['campaign_id', 'state', 'start_at']).execute();
      await db.schema.createIndex('appointments_citizen').on('appointments').column('citizen_id').execute();
    },
  },
  ...deskMigrations(dialect),
  ...consoleMigrations(dialect),
  '0007_release_errors': {
    async up(db: Kysely<any>) {
      // The last failure of a campaign's release, shown by `status` until a release succeeds.
      await db.schema.alterTable('campaigns').addColumn('release_error_code', 'text').execute();
      await db.schema.alterTable('campaigns').addColumn('release_error_message', 'text').execute();
      await db.schema.alterTable('campaigns').addColumn('release_error_at', 'text').execute();
    },
  },
  ...fallbackMigrations(dialect),
  ...eligibilityMigrations(dialect),
  ...contactMigrations(dialect),
  ...replyMigrations(dialect),
  ...lineMigrations(dialect),
  ...authorityMigrations(dialect),
});

class InCodeProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/**
 * @param schema PostgreSQL schema the store lives in (tests isolate themselves in one). Kysely
 *   looks for its migration tables in every schema unless told which, so two stores in two
 *   schemas of one database would otherwise mistake each other's tables for their own.
 */
/** Whether a migration has yet to run (a read: an up-to-date store needs no write lock to open). */
export async function pendingMigrations(db: Kysely<any>, dialect: Dialect): Promise<boolean> {
  const migrator = new Migrator({ db, provider: new InCodeProvider(dialect) });
  return (await migrator.getMigrations()).some((m) => m.executedAt === undefined);
}

export async function migrate(db: Kysely<any>, dialect: Dialect, schema?: string): Promise<void> {
  const migrator = new Migrator({ db, provider: new InCodeProvider(dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (!error) await sql.raw(CITIZENS_BIRTH_DATE_INDEX).execute(db);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
}
