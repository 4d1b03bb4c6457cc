/** Migrations of the web console (sessions), after the desk's. */
import type { Migration } from 'kysely';
import type { Dialect } from './open.js';

export const consoleMigrations = (_dialect: Dialect): Record<string, Migration> => ({});
