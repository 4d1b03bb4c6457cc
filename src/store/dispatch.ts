/**
 * The dispatch side of the store: its repositories (messages, campaign records, pacing days,
 * appointments and slots) bound to the pool or to one unit of work, and `KyselyDispatchStore`, which puts
 * them in one object for the pacer's, the worker's, the call channel's and the reports' ports.
 * No rule of who, when or by which channel is here (see pacer/invitations.ts, pacer/reminders.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely } from 'kysely';
import type { CampaignStatus } from '../campaigns/store.js';
import type { CallTaskStore } from '../channels/call.js';
import type { PacerRepositories, PacerStore } from '../pacer/store.js';
import type { DispatchStore } from '../queues/store.js';
import type { ReportStore } from '../reports/store.js';
import { CampaignRecordRepository } from './campaign-records.js';
import { type HotStatements, MessageRepository, prepareHot } from './messages.js';
import type { Dialect } from './open.js';
import { PacingRepository } from './pacing.js';
import type { Database } from './schema.js';
import { type CenterCache, KyselyAppointmentStore } from './slots.js';
import { atomically, type Executor } from './unit-of-work.js';

export interface Repositories extends PacerRepositories {
  readonly messages: MessageRepository;
  readonly campaignRecords: CampaignRecordRepository;
  readonly pacing: PacingRepository;
  readonly appointments: KyselyAppointmentStore;
  /** A unit of work begun inside this one joins it. */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
}

/** What the repositories of one store share, whatever they are bound to: prepared statements and the centre cache. */
interface Shared {
  readonly hot: HotStatements;
  readonly centers: CenterCache;
}

function repositories(ex: Executor, dialect: Dialect, shared: Shared, pooled: boolean): Repositories {
  return {
    messages: new MessageRepository(ex, dialect, shared.hot, pooled),
    campaignRecords: new CampaignRecordRepository(ex, dialect),
    pacing: new PacingRepository(ex),
    appointments: new KyselyAppointmentStore(ex, dialect, shared.centers),
    transaction: (fn) => transaction(ex, dialect, shared, fn),
  };
}

/**
 * The unit of work this call chain runs in. `store.transaction` called inside one (by a function
 * that was handed the store, not `tx`) joins it: on SQLite a second transaction would wait for
 * ever for the one connection the first holds. Work that outlives the unit of work (a timer it
 * started) does not join a transaction that has ended: it opens its own.
 */
const within = new AsyncLocalStorage<{ readonly shared: Shared; readonly tx: Repositories; open: boolean }>();

/** The repositories bound to one transaction (unit-of-work.ts); inside one already, `fn` joins it. */
function transaction<T>(ex: Executor, dialect: Dialect, shared: Shared, fn: (tx: Repositories) => Promise<T>): Promise<T> {
  const outer = within.getStore();
  if (outer?.open && outer.shared === shared) return fn(outer.tx);
  return atomically(ex, dialect, (trx) => {
    const frame = { shared, tx: repositories(trx, dialect, shared, false), open: true };
    return within.run(frame, () => fn(frame.tx)).finally(() => {
      frame.open = false;
    });
  });
}

export class KyselyDispatchStore extends MessageRepository implements Repositories, PacerStore, DispatchStore, CallTaskStore, ReportStore {
  readonly messages: MessageRepository = this;
  readonly campaignRecords: CampaignRecordRepository;
  readonly pacing: PacingRepository;
  readonly appointments: KyselyAppointmentStore;
  private readonly shared: Shared;

  constructor(db: Kysely<Database>, dialect: Dialect = 'postgres') {
    const shared = { hot: prepareHot(db, dialect), centers: new Map() };
    super(db, dialect, shared.hot, true);
    this.shared = shared;
    ({ campaignRecords: this.campaignRecords, pacing: this.pacing, appointments: this.appointments } = repositories(db, dialect, shared, true));
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return transaction(this.ex, this.dialect, this.shared, fn);
  }

  /** The worker's port (queues/store.ts) pauses a campaign through the store as one object. */
  setCampaignStatus(id: string, status: CampaignStatus, reason: string | null, at: string): Promise<void> {
    return this.campaignRecords.setStatus(id, status, reason, at);
  }
}
