/** Migrations of Eligibility over time: deceased, attended and no-show (issue 12). */
import type { Migration } from 'kysely';
import type { Dialect } from './open.js';

// Filled in by the work on '0009_eligibility' (one migration, named so it runs after the core ones).
export const eligibilityMigrations = (_dialect: Dialect): Record<string, Migration> => ({});
