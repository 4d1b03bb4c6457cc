/**
 * The call desk: operators ask for the next call, see the citizen's card and the script, and
 * record how the call ended. Every rule about *which* task goes to *whom* and *when* lives here;
 * the store only picks and leases atomically (see store.ts).
 */
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { TemplateLibrary } from '../messages/index.js';
import type { DeskStore } from './store.js';
import type { CallTask, DeskStats, DoneInput, DoneResult, ListFilter, NewOperator, Operator, TaskCard } from './types.js';

export * from './types.js';
export { DISPOSITIONS, RECYCLED } from '../campaigns/schema-desk.js';

/** What the desk asks of the appointments (helper C's AppointmentStore fits). */
export interface DeskAppointments {
  confirm(appointmentId: string, at: Date): Promise<unknown>;
  release(appointmentId: string, reason: string, at: Date): Promise<unknown>;
  /** Moves the appointment to another free slot (the citizen wants another day). */
  rebook(appointmentId: string, at: Date): Promise<unknown>;
}

export interface DeskOptions {
  readonly store: DeskStore;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /** Booked → confirmed, declined → slot freed. Without it, outcomes only touch the call tasks. */
  readonly appointments?: DeskAppointments;
  /** The template library for the card's script. @defaultValue templateLibrary() */
  readonly templates?: () => Promise<TemplateLibrary>;
  /** Base of reply links in the script. @defaultValue publicUrl() */
  readonly publicUrl?: string;
}

const notYet = (): never => {
  throw new Error('not yet');
};

export class Desk {
  constructor(readonly options: DeskOptions) {}

  // ── operators ────────────────────────────────────────────────────────────────
  /** @throws InvitoError OPERATOR_EXISTS, USAGE (bad id or languages) */
  async addOperator(_o: NewOperator): Promise<Operator> {
    return notYet();
  }
  async operators(): Promise<Operator[]> {
    return notYet();
  }
  /** @throws InvitoError OPERATOR_NOT_FOUND */
  async operator(_operatorId: string): Promise<Operator> {
    return notYet();
  }
  /** @throws InvitoError OPERATOR_NOT_FOUND */
  async disableOperator(_operatorId: string): Promise<Operator> {
    return notYet();
  }
  /** @throws InvitoError OPERATOR_NOT_FOUND */
  async setPassword(_operatorId: string, _password: string): Promise<void> {
    return notYet();
  }
  /**
   * Checks an operator's password (the console's sign-in) and marks them seen.
   * @throws InvitoError SIGN_IN_FAILED (unknown operator, wrong password, no password, disabled: one answer for all)
   */
  async authenticate(_operatorId: string, _password: string): Promise<Operator> {
    return notYet();
  }

  // ── the list ─────────────────────────────────────────────────────────────────
  /**
   * The best task for the operator, leased to them: their live lease first, then due callbacks
   * for them, then due callbacks for anyone, then campaign priority and the campaign's order.
   * Only campaigns whose call window is open, citizens speaking one of the operator's
   * languages, never opted-out or do-not-call citizens. Null when nothing is due.
   * @throws InvitoError OPERATOR_NOT_FOUND, OPERATOR_DISABLED
   */
  async next(_operatorId: string): Promise<TaskCard | null> {
    return notYet();
  }
  /**
   * The card of a task the operator holds (a supervisor may open any).
   * @throws InvitoError TASK_NOT_FOUND, TASK_NOT_YOURS
   */
  async card(_operatorId: string, _taskId: string): Promise<TaskCard> {
    return notYet();
  }
  /**
   * Records how the call ended and decides what happens to the task (closed, recycled or a
   * callback). Nothing changes on error.
   * @throws InvitoError DISPOSITION_UNKNOWN, CALLBACK_INVALID, TASK_NOT_FOUND, TASK_NOT_YOURS, TASK_STATE, USAGE (answers not in the script)
   */
  async done(_operatorId: string, _taskId: string, _input: DoneInput): Promise<DoneResult> {
    return notYet();
  }
  async list(_filter?: ListFilter): Promise<CallTask[]> {
    return notYet();
  }
  /** @throws InvitoError TASK_NOT_FOUND */
  async task(_taskId: string): Promise<CallTask> {
    return notYet();
  }

  // ── supervisors ──────────────────────────────────────────────────────────────
  /** Ends the lease: the task goes back on the list at once. @throws TASK_NOT_FOUND, TASK_STATE */
  async release(_taskId: string): Promise<CallTask> {
    return notYet();
  }
  /** Leases the task to another operator. @throws TASK_NOT_FOUND, TASK_STATE, OPERATOR_NOT_FOUND, OPERATOR_DISABLED */
  async reassign(_taskId: string, _operatorId: string): Promise<CallTask> {
    return notYet();
  }
  async stats(): Promise<DeskStats> {
    return notYet();
  }

  /**
   * How many more call tasks the list wants now: operators on shift × calls per hour × hopper
   * hours − tasks open or leased. The pacer releases call messages only while this is positive.
   */
  async hopperRoom(_campaignId: string, _now?: Date): Promise<number> {
    return notYet();
  }
}

/** The hopper, for callers that hold a store rather than a desk (the pacer). */
export async function hopperRoom(store: DeskStore, campaignId: string, now: Date, clock: Clock = systemClock): Promise<number> {
  return new Desk({ store, clock }).hopperRoom(campaignId, now);
}
