/** Migrations of Fallback channels: phone types, the chain of attempts (issue 12). */
import type { Migration } from 'kysely';
import type { Dialect } from './open.js';

// Filled in by the work on '0008_fallback' (one migration, named so it runs after the core ones).
export const fallbackMigrations = (_dialect: Dialect): Record<string, Migration> => ({});
