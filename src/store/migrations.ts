/**
 * Migrations, in code, run by `openStore` every time (Kysely's Migrator records what ran).
 * Only dialect-neutral types are used so one set of migrations serves SQLite and PostgreSQL.
 */
import { type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Dialect } from './open.js';

/**
 * Tables keyed by text ids are clustered by their key on SQLite (`WITHOUT ROWID`): one b-tree
 * instead of a rowid table plus a key index, which makes every registry write cheaper.
 */
const clustered = <T extends string, C extends string>(dialect: Dialect, t: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> =>
  dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t;

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
});

class InCodeProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

export async function migrate(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: new InCodeProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
}
