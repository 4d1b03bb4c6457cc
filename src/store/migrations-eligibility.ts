/** Migrations of Eligibility over time: deceased, the vaccinations given, attended and no-show (issue 12). */
import type { Kysely, Migration } from 'kysely';
import { clustered } from './migrations.js';
import type { Dialect } from './open.js';

export const eligibilityMigrations = (dialect: Dialect): Record<string, Migration> => ({
  '0009_eligibility': {
    async up(db: Kysely<any>) {
      // The registry's `deceased` column (0/1): a deceased citizen is in no campaign's cohort.
      await db.schema.alterTable('citizens').addColumn('deceased', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // Doses given, one row per citizen and dose (`invito import vaccinations`): a file imported
      // twice changes nothing, and a dose repeated inside one file is found by its import run.
      // Appointments gain the states `attended` and `no_show` (text, no constraint to change).
      await clustered(
        dialect,
        db.schema
          .createTable('vaccinations')
          .addColumn('citizen_id', 'text', (c) => c.notNull())
          .addColumn('dose', 'integer', (c) => c.notNull())
          .addColumn('date', 'text', (c) => c.notNull())
          .addColumn('center_id', 'text')
          .addColumn('import_run', 'text')
          .addColumn('source_line', 'integer')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('vaccinations_pk', ['citizen_id', 'dose']),
      ).execute();
      // One row per finished import of citizens or vaccinations: the pacer sweeps its campaigns'
      // open work against the registry when a newer run appears (pacer/eligibility.ts).
      await db.schema
        .createTable('registry_imports')
        .addColumn('run', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
});
