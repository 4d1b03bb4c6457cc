/**
 * The repositories of one store, bound to an executor: the store's pool, or one unit of work's
 * transaction (`transaction`), where every call commits together or not at all.
 */
import type { Kysely } from 'kysely';
import type { PacerRepositories } from '../pacer/store.js';
import { AllocationRepository, type CenterCache } from './allocation.js';
import { CampaignRecordRepository } from './campaign-records.js';
import { type HotStatements, MessageRepository, prepareHot } from './messages.js';
import type { Dialect } from './open.js';
import { PacingRepository } from './pacing.js';
import type { Database } from './schema.js';
import { atomically, type Executor } from './unit-of-work.js';

export interface Repositories extends PacerRepositories {
  readonly messages: MessageRepository;
  readonly campaignRecords: CampaignRecordRepository;
  readonly pacing: PacingRepository;
  readonly allocation: AllocationRepository;
  /** A unit of work inside this one joins it. */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
}

/** What the repositories of one store share, whatever they are bound to: prepared statements and caches. */
export interface Shared {
  readonly hot: HotStatements;
  readonly centers: CenterCache;
}

export const sharedOf = (db: Kysely<Database>, dialect: Dialect): Shared => ({ hot: prepareHot(db, dialect), centers: new Map() });

export function repositories(ex: Executor, dialect: Dialect, shared: Shared, pooled: boolean): Repositories {
  return {
    messages: new MessageRepository(ex, dialect, shared.hot, pooled),
    campaignRecords: new CampaignRecordRepository(ex, dialect),
    pacing: new PacingRepository(ex),
    allocation: new AllocationRepository(ex, dialect, shared.centers),
    transaction: (fn) => transaction(ex, dialect, shared, fn),
  };
}

/**
 * Runs `fn` with the repositories bound to one transaction (BEGIN IMMEDIATE on SQLite, one
 * pooled client on PostgreSQL); inside one already, `fn` joins it.
 */
export function transaction<T>(ex: Executor, dialect: Dialect, shared: Shared, fn: (tx: Repositories) => Promise<T>): Promise<T> {
  return atomically(ex, dialect, (trx) => fn(repositories(trx, dialect, shared, false)));
}
