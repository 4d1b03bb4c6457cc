/** Migrations of Contact limits and rolling cohorts (issue 12). */
import type { Migration } from 'kysely';
import type { Dialect } from './open.js';

// Filled in by the work on '0010_contact' (one migration, named so it runs after the core ones).
export const contactMigrations = (_dialect: Dialect): Record<string, Migration> => ({});
