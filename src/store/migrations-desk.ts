/** Migrations of the call desk (operators, sessions, call attempts), after the core ones. */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './open.js';

export const deskMigrations = (_dialect: Dialect): Record<string, Migration> => ({});

export type { Kysely };
