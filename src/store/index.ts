/**
 * The store: one object that implements every layer's narrow store interface over Kysely,
 * on SQLite or PostgreSQL. Layers depend on their interfaces, never on this class.
 */
import { KyselyAuditStore } from './audit.js';
import { KyselyCampaignStore } from './campaigns.js';
import { KyselyCohortStore } from './cohort.js';
import { KyselyDashboardStore } from './dashboard.js';
import { KyselyDeskStore } from './desk.js';
import { KyselyDispatchStore, type Repositories } from './dispatch.js';
import { KyselyExportsStore } from './exports.js';
import { KyselyFeedbackStore } from './feedback.js';
import { KyselyForecastStore } from './forecast.js';
import { KyselyHistoryStore } from './history.js';
import { KyselyLineStore } from './line.js';
import { KyselyMetricsStore } from './metrics.js';
import { type OpenOptions, type StoreHandle, openStore } from './open.js';
import { KyselyRegistryStore } from './registry.js';
import { KyselyReplyStore } from './replies.js';
import type { KyselyAppointmentStore } from './slots.js';

export class KyselyStore {
  readonly registry: KyselyRegistryStore;
  readonly cohort: KyselyCohortStore;
  readonly campaigns: KyselyCampaignStore;
  /** Campaigns, messages and their states: the pacer's, the workers' and the reports' store. */
  readonly dispatch: KyselyDispatchStore;
  readonly feedback: KyselyFeedbackStore;
  /** Operators and call tasks: the call desk's store. */
  readonly desk: KyselyDeskStore;
  readonly forecast: KyselyForecastStore;
  /** One citizen's rows, for `invito citizens show`. */
  readonly history: KyselyHistoryStore;
  /** SMS replies that act: targets, threads, answers. */
  readonly replies: KyselyReplyStore;
  /** The free-phone line's queues and the operators ready for its calls. */
  readonly line: KyselyLineStore;
  /** The audit log: appended, read, never changed. */
  readonly audit: KyselyAuditStore;
  /** The counts `GET /metrics` reads. */
  readonly metrics: KyselyMetricsStore;
  /** The dashboard's grouped counts per campaign. */
  readonly dashboard: KyselyDashboardStore;
  /** The reports with personal data (appointment lists, unreachable, declined, outcomes). */
  readonly exports: KyselyExportsStore;
  /** Slots and appointments: the pacer's, the feedback layer's and the desk's (the dispatch side's repository: one centre cache). */
  readonly appointments: KyselyAppointmentStore;
  /** The repositories, on the store's pool (those of `dispatch`: they share its prepared statements and caches). */
  readonly messages: Repositories['messages'];
  readonly campaignRecords: Repositories['campaignRecords'];
  readonly pacing: Repositories['pacing'];

  private constructor(readonly handle: StoreHandle) {
    this.registry = new KyselyRegistryStore(handle);
    this.cohort = new KyselyCohortStore(handle.db);
    this.campaigns = new KyselyCampaignStore(handle.db);
    this.dispatch = new KyselyDispatchStore(handle.db, handle.dialect);
    this.feedback = new KyselyFeedbackStore(handle.db);
    this.desk = new KyselyDeskStore(handle.db, handle.dialect);
    this.forecast = new KyselyForecastStore(handle.db);
    this.history = new KyselyHistoryStore(handle.db);
    this.replies = new KyselyReplyStore(handle.db, handle.dialect);
    this.line = new KyselyLineStore(handle.db, handle.dialect);
    this.audit = new KyselyAuditStore(handle.db);
    this.metrics = new KyselyMetricsStore(handle.db);
    this.dashboard = new KyselyDashboardStore(handle.db);
    this.exports = new KyselyExportsStore(handle.db);
    ({ messages: this.messages, campaignRecords: this.campaignRecords, pacing: this.pacing, appointments: this.appointments } = this.dispatch);
  }

  /**
   * The unit of work: every repository call through `tx` commits together, or none does when
   * `fn` throws (BEGIN IMMEDIATE on SQLite, one pooled client on PostgreSQL, see
   * unit-of-work.ts). `tx.transaction` inside joins it.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.dispatch.transaction(fn);
  }

  static async open(url?: string, options?: OpenOptions): Promise<KyselyStore> {
    return new KyselyStore(await openStore(url, options));
  }

  get db() {
    return this.handle.db;
  }

  get dialect() {
    return this.handle.dialect;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export { openStore } from './open.js';
export { DEFAULT_DB, isPostgresUrl } from '../core/store-location.js';
