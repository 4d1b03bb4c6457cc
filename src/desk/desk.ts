/**
 * The call desk: operators ask for the next call, see the citizen's card and the script, and
 * record how the call ended. Every rule about *which* task goes to *whom* and *when* lives here
 * and in rules.ts (the ones the store's statements carry out: the order of the next call, who is
 * never called, sign-in counting, the appointment's steps); the store only picks and leases
 * atomically (see store.ts).
 */
import { DateTime } from 'luxon';
import { contextFor, linkToken, publicUrl, templateLibrary } from '../campaigns/messages.js';
import type { Campaign } from '../campaigns/schema.js';
import { type CallsConfig, DISPOSITIONS, type Disposition, RECYCLED, type RecycledDisposition, type ScriptTree } from '../campaigns/schema-desk.js';
import { can, isRole, LOCALES, parseScope, ROLES } from '../authority/access.js';
import { ageOn } from '../core/calendar.js';
import { type Clock, systemClock } from '../core/clock.js';
import { InvitoError, isInvitoError } from '../core/errors.js';
import { messageKey } from '../core/lifecycle.js';
import type { TemplateLibrary } from '../messages/index.js';
import { calendarOf } from '../pacer/windows.js';
import { laterSlotRequest } from '../pacer/allocation.js';
import { hashPassword, verifyPassword } from './password.js';
import type { AppointmentAction, DeskCampaign, DeskCitizen, DeskStore, OperatorRecord } from './store.js';
import type { CallAttempt, CallTask, ClosedReason, DeskStats, DoneInput, DoneResult, ListFilter, NewOperator, Operator, TaskCard } from './types.js';

export * from './types.js';
export { DISPOSITIONS, RECYCLED } from '../campaigns/schema-desk.js';

export interface DeskOptions {
  readonly store: DeskStore;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /** The template library for the card's script. @defaultValue templateLibrary() */
  readonly templates?: () => Promise<TemplateLibrary>;
  /** Base of reply links in the script. @defaultValue publicUrl() */
  readonly publicUrl?: string;
}

const OPERATOR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
const LANGUAGE = /^[a-z]{2}$/;
const NOTE_MAX = 2000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The account lock: `maxFailures` sign-in attempts that do not succeed within `windowMs` lock
 * the account for `lockMs` (a supervisor or `invito operators unlock` lifts it sooner).
 */
export const SIGN_IN_LOCK = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

/** A refused sign-in, with what the console logs (never shows): whether the id is an account's, and its lock. */
export class SignInError extends InvitoError {
  constructor(
    code: 'SIGN_IN_FAILED' | 'SIGN_IN_LOCKED',
    message: string,
    readonly operatorKnown: boolean,
    readonly lockedUntil: string | null,
  ) {
    super(code, message);
  }
}

/** A hash compared against when the operator does not exist, so sign-in takes as long either way. */
let dummyHash: Promise<string> | null = null;

const publicOperator = ({ passwordHash: _hash, ...o }: OperatorRecord): Operator => o;

const isDisposition = (d: string): d is Disposition => (DISPOSITIONS as readonly string[]).includes(d);
const isRecycled = (d: Disposition): d is RecycledDisposition => (RECYCLED as readonly string[]).includes(d);

/** What each closing disposition does to the appointment the invitation offered. */
const RELEASES: Partial<Record<Disposition, string>> = {
  declined: 'declined',
  already_vaccinated: 'already_vaccinated',
  wrong_number: 'wrong_number',
  moved: 'moved',
  deceased: 'deceased',
  do_not_call: 'do_not_call',
};

export class Desk {
  private readonly store: DeskStore;
  private readonly clock: Clock;
  private readonly templates: () => Promise<TemplateLibrary>;

  constructor(private readonly options: DeskOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.templates = options.templates ?? (() => templateLibrary());
  }

  // ── operators ────────────────────────────────────────────────────────────────

  /** @throws InvitoError OPERATOR_EXISTS, USAGE (bad id, name or languages) */
  async addOperator(o: NewOperator): Promise<Operator> {
    if (!OPERATOR_ID.test(o.operatorId)) throw new InvitoError('USAGE', `operator id "${o.operatorId}" must be 1–40 letters, digits, ".", "_" or "-"`);
    const name = o.name.trim();
    if (!name) throw new InvitoError('USAGE', `operator ${o.operatorId}: the name must not be empty`);
    const languages = [...new Set(o.languages.map((l) => l.trim().toLowerCase()).filter(Boolean))];
    const bad = languages.find((l) => !LANGUAGE.test(l));
    if (languages.length === 0 || bad !== undefined) throw new InvitoError('USAGE', `operator ${o.operatorId}: languages must be ISO 639-1 codes such as it,en${bad ? ` (not "${bad}")` : ''}`);
    const role = o.role ?? 'operator';
    if (!isRole(role)) throw new InvitoError('USAGE', `account ${o.operatorId}: the role must be one of ${ROLES.join(', ')}`);
    const scope = parseScope(o.scopes ?? []);
    if (!scope.ok) throw new InvitoError('USAGE', `account ${o.operatorId}: "${scope.bad}" is not a region or ASL code`);
    const locale = o.locale ?? 'it';
    if (!LOCALES.includes(locale)) throw new InvitoError('USAGE', `account ${o.operatorId}: the language of pages must be one of ${LOCALES.join(', ')}`);
    const passwordHash = o.password === undefined ? null : await hashPassword(checkedPassword(o.operatorId, o.password));
    const inserted = await this.store.insertOperator({ operatorId: o.operatorId, name, languages, role, passwordHash, scopes: scope.codes, locale, at: this.now().toISOString() });
    if (!inserted) throw new InvitoError('OPERATOR_EXISTS', `operator ${o.operatorId} already exists`);
    return this.operator(o.operatorId);
  }

  async operators(): Promise<Operator[]> {
    return (await this.store.operators()).map(publicOperator);
  }

  /** @throws InvitoError OPERATOR_NOT_FOUND */
  async operator(operatorId: string): Promise<Operator> {
    return publicOperator(await this.operatorRecord(operatorId));
  }

  /** The operator stops getting calls and cannot sign in; their lease runs out and the task goes back. @throws InvitoError OPERATOR_NOT_FOUND */
  async disableOperator(operatorId: string): Promise<Operator> {
    if (!(await this.store.setOperatorDisabled(operatorId, true))) throw notFound(operatorId);
    return this.operator(operatorId);
  }

  /** @throws InvitoError OPERATOR_NOT_FOUND, USAGE (a password too short) */
  async setPassword(operatorId: string, password: string): Promise<void> {
    const hash = await hashPassword(checkedPassword(operatorId, password));
    if (!(await this.store.setOperatorPassword(operatorId, hash))) throw notFound(operatorId);
  }

  /**
   * Checks an operator's password (the console's sign-in) and marks them seen. Every attempt is
   * counted on the account before the password is checked (see `SIGN_IN_LOCK`): past the limit
   * the account is locked and refused without a check, so the answer says nothing about the
   * password.
   * @throws SignInError SIGN_IN_FAILED (unknown operator, wrong password, no password, disabled: one answer for all),
   *   SIGN_IN_LOCKED (too many failures: until `lockedUntil`, whatever the password)
   */
  async authenticate(operatorId: string, password: string): Promise<Operator> {
    const now = this.now().getTime();
    const gate = OPERATOR_ID.test(operatorId)
      ? await this.store.beginSignIn(operatorId, {
          now: new Date(now).toISOString(),
          windowStart: new Date(now - SIGN_IN_LOCK.windowMs).toISOString(),
          maxFailures: SIGN_IN_LOCK.maxFailures,
          lockUntil: new Date(now + SIGN_IN_LOCK.lockMs).toISOString(),
        })
      : { known: false, allowed: true, lockedUntil: null };
    if (!gate.allowed) throw new SignInError('SIGN_IN_LOCKED', `operator ${operatorId} is locked after too many failed sign-ins until ${gate.lockedUntil}`, true, gate.lockedUntil);
    const op = gate.known ? await this.store.operator(operatorId) : null;
    const ok = await verifyPassword(password, op?.passwordHash ?? (await (dummyHash ??= hashPassword('no operator'))));
    if (!op || !op.passwordHash || !ok || op.disabled) {
      // The attempt that reached the limit was the last one checked: it says so.
      if (gate.lockedUntil !== null) throw new SignInError('SIGN_IN_LOCKED', `operator ${operatorId} is locked after too many failed sign-ins until ${gate.lockedUntil}`, true, gate.lockedUntil);
      throw new SignInError('SIGN_IN_FAILED', 'unknown operator or wrong password', gate.known, null);
    }
    await this.store.clearSignInFailures(operatorId);
    await this.store.touchOperator(operatorId, new Date(now).toISOString());
    return this.operator(operatorId);
  }

  /** Lifts a sign-in lock and starts the failure count again. @throws InvitoError OPERATOR_NOT_FOUND */
  async unlockOperator(operatorId: string): Promise<Operator> {
    if (!(await this.store.unlockOperator(operatorId))) throw notFound(operatorId);
    return this.operator(operatorId);
  }

  // ── the list ─────────────────────────────────────────────────────────────────

  /**
   * The best task for the operator, leased to them: their live lease first, then due callbacks
   * for them, then due callbacks for anyone, then campaign priority and the campaign's order.
   * Only campaigns whose call window is open, citizens speaking one of the operator's
   * languages, never opted-out or do-not-call citizens (their tasks are closed on the way).
   * Null when nothing is due.
   * @throws InvitoError OPERATOR_NOT_FOUND, OPERATOR_DISABLED
   */
  async next(operatorId: string): Promise<TaskCard | null> {
    const op = await this.activeOperator(operatorId);
    const now = this.now();
    const at = now.toISOString();
    await this.store.touchOperator(operatorId, at);

    const campaigns = await this.store.campaigns();
    const byId = new Map(campaigns.map((c) => [c.campaignId, c]));
    const held = await this.store.heldTask(operatorId);
    if (held) {
      const calls = byId.get(held.campaignId)?.definition.calls;
      await this.store.renewLease(held.taskId, operatorId, leaseUntil(now, calls), at);
      return this.cardOf(await this.mustTask(held.taskId), byId.get(held.campaignId));
    }

    await this.adopt(campaigns);
    const open = workable(campaigns, now);
    if (open.length === 0) return null;
    const shortest = Math.min(...open.map((c) => c.definition.calls.lease_minutes));
    const task = await this.store.leaseNext({
      operatorId,
      languages: op.languages,
      campaignIds: open.map((c) => c.campaignId),
      now: at,
      leaseUntil: new Date(now.getTime() + shortest * MINUTE).toISOString(),
    });
    if (!task) return null;
    const campaign = byId.get(task.campaignId)!;
    // Leased for the shortest lease of the open campaigns: this task's campaign may allow longer.
    if (campaign.definition.calls.lease_minutes !== shortest) await this.store.renewLease(task.taskId, operatorId, leaseUntil(now, campaign.definition.calls), at);
    return this.cardOf(await this.mustTask(task.taskId), campaign);
  }

  /**
   * The card of a task the operator holds (a supervisor may open any).
   * @throws InvitoError OPERATOR_NOT_FOUND, TASK_NOT_FOUND, TASK_NOT_YOURS
   */
  async card(operatorId: string, taskId: string): Promise<TaskCard> {
    const op = await this.operatorRecord(operatorId);
    const task = await this.mustTask(taskId);
    if (!can(op.role, 'desk.supervise') && !(task.state === 'leased' && task.leaseOperator === operatorId)) {
      throw new InvitoError('TASK_NOT_YOURS', `task ${taskId} is not leased to operator ${operatorId}`);
    }
    return this.cardOf(task, (await this.store.campaign(task.campaignId)) ?? undefined);
  }

  /**
   * Records how the call ended and decides what happens to the task: closed (booked, declined,
   * …), on the list again later (no answer, busy, voicemail: `calls.recycle`, then closed as
   * `unreachable`), or a callback at a time. Booked confirms the invitation's appointment
   * (`otherSlot`: moves it to a later free slot first); declined and the other closing
   * dispositions free its slot; do not call bars the citizen from every campaign's calls.
   * Nothing changes on error.
   * @throws InvitoError DISPOSITION_UNKNOWN, CALLBACK_INVALID, TASK_NOT_FOUND, TASK_NOT_YOURS,
   *   TASK_STATE, OPERATOR_NOT_FOUND, OPERATOR_DISABLED, USAGE (answers not in the script, a
   *   note too long), APPOINTMENT_STATE or NO_SLOT (booked, but no place to confirm)
   */
  async done(operatorId: string, taskId: string, input: DoneInput): Promise<DoneResult> {
    const d = input.disposition;
    if (!isDisposition(d)) throw new InvitoError('DISPOSITION_UNKNOWN', `disposition "${String(d)}" is not one of ${DISPOSITIONS.join(', ')}`);
    await this.activeOperator(operatorId);
    const task = await this.mustTask(taskId);
    if (task.state === 'closed') throw new InvitoError('TASK_STATE', `task ${taskId} is closed (${task.closedReason ?? 'no reason'})`);
    if (task.state !== 'leased' || task.leaseOperator !== operatorId) {
      throw new InvitoError('TASK_NOT_YOURS', task.state === 'leased' ? `task ${taskId} is leased to another operator` : `task ${taskId} is not leased to operator ${operatorId} (the lease ran out or was released)`);
    }
    const campaign = await this.store.campaign(task.campaignId);
    if (!campaign) throw new InvitoError('CAMPAIGN_NOT_FOUND', `task ${taskId}: no campaign ${task.campaignId}`);
    const def = campaign.definition;
    const calls = def.calls;
    const now = this.now();

    const callbackAt = this.checkCallback(taskId, d, input, def, now);
    const answers = { ...task.answers, ...checkedAnswers(taskId, calls.script, input.answers) };
    if (input.note !== undefined && input.note.length > NOTE_MAX) throw new InvitoError('USAGE', `task ${taskId}: the note is longer than ${NOTE_MAX} characters`);
    if (input.otherSlot && d !== 'booked') throw new InvitoError('USAGE', `task ${taskId}: another slot goes with the booked disposition only`);

    const attempts = task.attempts + 1;
    const appointmentId = messageKey(def.id, def.steps[0]!.id, task.citizenId);
    let state: 'open' | 'closed' = 'closed';
    let dueAt: string | null = null;
    let callbackOperator: string | null = null;
    let closedReason: ClosedReason | null = d;
    let outcome: DoneResult['outcome'] = 'closed';
    let appointment: AppointmentAction | undefined;

    if (d === 'callback') {
      state = 'open';
      closedReason = null;
      dueAt = callbackAt!.toISOString();
      callbackOperator = (input.callbackFor ?? 'me') === 'me' ? operatorId : null;
      outcome = 'callback';
    } else if (isRecycled(d)) {
      const rule = calls.recycle[d];
      if (attempts >= rule.max_attempts) {
        closedReason = 'unreachable';
        appointment = { kind: 'release', appointmentId, reason: 'unreachable' };
      } else {
        state = 'open';
        closedReason = null;
        const after = now.getTime() + rule.after_minutes * MINUTE;
        // Due when the call window next opens, so a 18:50 no-answer is not "due" all night.
        dueAt = new Date(calendarOf(def).nextOpen('call', after) ?? after).toISOString();
        outcome = 'recycled';
      }
    } else if (d === 'booked') {
      appointment = input.otherSlot
        ? { kind: 'rebook', appointmentId, request: await this.otherSlotRequest(def, task, appointmentId, now) }
        : { kind: 'confirm', appointmentId };
    } else {
      appointment = { kind: 'release', appointmentId, reason: RELEASES[d]! };
    }

    const attempt: Omit<CallAttempt, 'at'> = {
      attemptId: `${taskId}.${attempts}`,
      taskId,
      campaignId: task.campaignId,
      operatorId,
      disposition: d,
      answers: input.answers ?? {},
      note: input.note ?? null,
      callbackAt: callbackAt ? callbackAt.toISOString() : null,
    };
    const written = await this.store.complete({
      taskId,
      citizenId: task.citizenId,
      operatorId,
      attemptsBefore: task.attempts,
      now: now.toISOString(),
      state,
      dueAt,
      callbackOperator,
      closedReason,
      disposition: d,
      answers,
      triage: task.triage || flagsTriage(calls.script, answers),
      attempt,
      doNotCall: d === 'do_not_call',
      ...(appointment ? { appointment } : {}),
    });
    if (!written) {
      const current = await this.mustTask(taskId);
      throw current.state === 'closed'
        ? new InvitoError('TASK_STATE', `task ${taskId} was closed meanwhile (${current.closedReason ?? 'no reason'})`)
        : new InvitoError('TASK_NOT_YOURS', `task ${taskId} changed hands while the outcome was being recorded`);
    }
    return { task: await this.mustTask(taskId), attempt: { ...attempt, at: now.toISOString() }, outcome };
  }

  /** Tasks, by campaign, priority and order. */
  async list(filter: ListFilter = {}): Promise<CallTask[]> {
    if (filter.limit !== undefined && !(Number.isInteger(filter.limit) && filter.limit > 0)) throw new InvitoError('USAGE', 'the list limit must be a whole number above 0');
    await this.adopt(await this.store.campaigns());
    return this.store.tasks(filter);
  }

  /** @throws InvitoError TASK_NOT_FOUND */
  async task(taskId: string): Promise<CallTask> {
    return this.mustTask(taskId);
  }

  // ── supervisors ──────────────────────────────────────────────────────────────

  /** Ends the lease: the task goes back on the list at once. @throws InvitoError TASK_NOT_FOUND, TASK_STATE (not leased) */
  async release(taskId: string): Promise<CallTask> {
    const task = await this.mustTask(taskId);
    if (!(await this.store.release(taskId, this.now().toISOString()))) throw new InvitoError('TASK_STATE', `task ${taskId} is ${task.state}, not leased`);
    return this.mustTask(taskId);
  }

  /**
   * Gives the task to another operator: a callback not yet due becomes theirs when due; any
   * other task not closed is leased to them now (their next `next` returns it).
   * @throws InvitoError TASK_NOT_FOUND, TASK_STATE (closed), OPERATOR_NOT_FOUND, OPERATOR_DISABLED
   */
  async reassign(taskId: string, operatorId: string): Promise<CallTask> {
    await this.activeOperator(operatorId);
    const task = await this.mustTask(taskId);
    const campaign = await this.store.campaign(task.campaignId);
    const now = this.now();
    if (!(await this.store.reassign(taskId, operatorId, leaseUntil(now, campaign?.definition.calls), now.toISOString()))) {
      throw new InvitoError('TASK_STATE', `task ${taskId} is closed (${task.closedReason ?? 'no reason'})`);
    }
    return this.mustTask(taskId);
  }

  /** List sizes, calls in each of the last 24 hours, outcomes per operator and per campaign. */
  async stats(): Promise<DeskStats> {
    const now = this.now();
    const first = Math.floor(now.getTime() / HOUR) * HOUR - 23 * HOUR;
    const raw = await this.store.stats(now.toISOString(), new Date(first).toISOString());
    const campaigns = await this.store.campaigns();
    const idle = Math.max(30, ...campaigns.filter((c) => c.status === 'active').map((c) => c.definition.calls.shift_idle_minutes));

    const lists = new Map<string, { campaignId: string; due: number; waiting: number; leased: number; closed: number }>();
    const listOf = (id: string) => {
      let l = lists.get(id);
      if (!l) lists.set(id, (l = { campaignId: id, due: 0, waiting: 0, leased: 0, closed: 0 }));
      return l;
    };
    for (const r of raw.lists) {
      const l = listOf(r.campaignId);
      if (r.state === 'leased') l.leased += r.n;
      else if (r.due) l.due += r.n;
      else l.waiting += r.n;
    }
    const byCampaign = new Map<string, { campaignId: string; calls: number; outcomes: Partial<Record<Disposition, number>>; closed: Partial<Record<ClosedReason, number>> }>();
    const campaignOf = (id: string) => {
      let c = byCampaign.get(id);
      if (!c) byCampaign.set(id, (c = { campaignId: id, calls: 0, outcomes: {}, closed: {} }));
      return c;
    };
    for (const r of raw.closed) {
      listOf(r.campaignId).closed += r.n;
      const c = campaignOf(r.campaignId);
      const reason = (r.reason ?? 'unreachable') as ClosedReason;
      c.closed[reason] = (c.closed[reason] ?? 0) + r.n;
    }
    const byOperator = new Map<string, { operatorId: string; calls: number; outcomes: Partial<Record<Disposition, number>> }>();
    for (const r of raw.outcomes) {
      let o = byOperator.get(r.operatorId);
      if (!o) byOperator.set(r.operatorId, (o = { operatorId: r.operatorId, calls: 0, outcomes: {} }));
      o.calls += r.n;
      o.outcomes[r.disposition] = (o.outcomes[r.disposition] ?? 0) + r.n;
      const c = campaignOf(r.campaignId);
      c.calls += r.n;
      c.outcomes[r.disposition] = (c.outcomes[r.disposition] ?? 0) + r.n;
    }
    const hourly = new Map(raw.hourly.map((h) => [h.hour, h.n]));
    const callsPerHour = Array.from({ length: 24 }, (_, i) => {
      const hour = new Date(first + i * HOUR).toISOString().slice(0, 13);
      return { hour, calls: hourly.get(hour) ?? 0 };
    });
    const byKey = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    return {
      at: now.toISOString(),
      lists: byKey(lists),
      callsPerHour,
      byOperator: byKey(byOperator),
      byCampaign: byKey(byCampaign),
      onShift: await this.store.onShift(new Date(now.getTime() - idle * MINUTE).toISOString()),
      triage: raw.triage,
    };
  }

  /**
   * How many more call tasks the list wants now: operators on shift (seen within
   * `calls.shift_idle_minutes`) × `calls.calls_per_hour` × `calls.hopper_hours`, less the tasks
   * open or leased and due within those hours of every campaign an operator may work now (active,
   * its call window open: operators serve every such campaign, so two campaigns share one hopper
   * rather than fill one each, and the tasks of a campaign whose window is closed, which nobody
   * may call, leave room for the others).
   * @throws InvitoError CAMPAIGN_NOT_FOUND
   */
  async hopperRoom(campaignId: string, now: Date = this.now()): Promise<number> {
    const campaigns = await this.store.campaigns();
    const campaign = campaigns.find((k) => k.campaignId === campaignId);
    if (!campaign) throw new InvitoError('CAMPAIGN_NOT_FOUND', `no campaign ${campaignId}`);
    const c = campaign.definition.calls;
    const onShift = await this.store.onShift(new Date(now.getTime() - c.shift_idle_minutes * MINUTE).toISOString());
    const capacity = Math.ceil(onShift * c.calls_per_hour * c.hopper_hours);
    if (capacity === 0) return 0;
    const workableNow = workable(campaigns, now).map((k) => k.campaignId);
    const active = await this.store.activeTasks(new Date(now.getTime() + c.hopper_hours * HOUR).toISOString(), workableNow);
    return Math.max(0, capacity - active);
  }

  // ── inside ───────────────────────────────────────────────────────────────────

  private now(): Date {
    return this.clock.now();
  }

  /** Language, order and priority for the tasks the call channel made since the last look. */
  private async adopt(campaigns: readonly DeskCampaign[]): Promise<void> {
    await this.store.adoptNewTasks(new Map(campaigns.map((c) => [c.campaignId, c.definition.calls.priority])));
  }

  private async operatorRecord(operatorId: string): Promise<OperatorRecord> {
    const op = await this.store.operator(operatorId);
    if (!op) throw notFound(operatorId);
    return op;
  }

  private async activeOperator(operatorId: string): Promise<OperatorRecord> {
    const op = await this.operatorRecord(operatorId);
    if (op.disabled) throw new InvitoError('OPERATOR_DISABLED', `operator ${operatorId} is disabled`);
    return op;
  }

  private async mustTask(taskId: string): Promise<CallTask> {
    const t = await this.store.task(taskId);
    if (!t) throw new InvitoError('TASK_NOT_FOUND', `no call task ${taskId}`);
    return t;
  }

  /** The callback time: only with `callback`, in the future, within `callback_max_days`, inside the call window. */
  private checkCallback(taskId: string, d: Disposition, input: DoneInput, def: Campaign, now: Date): Date | null {
    const given = input.callbackAt !== undefined && input.callbackAt !== '';
    if (input.callbackFor !== undefined && input.callbackFor !== 'me' && input.callbackFor !== 'anyone') {
      throw new InvitoError('CALLBACK_INVALID', `task ${taskId}: a callback is for "me" or "anyone", not "${String(input.callbackFor)}"`);
    }
    if (d !== 'callback') {
      if (given || input.callbackFor !== undefined) throw new InvitoError('CALLBACK_INVALID', `task ${taskId}: a callback time goes with the callback disposition only (not ${d})`);
      return null;
    }
    if (!given) throw new InvitoError('CALLBACK_INVALID', `task ${taskId}: the callback disposition needs a time (--callback-at)`);
    const at = parseTime(input.callbackAt!, def.timezone);
    if (!at) throw new InvitoError('CALLBACK_INVALID', `task ${taskId}: "${String(input.callbackAt)}" is not a time such as 2026-03-02T15:30 (local) or an ISO time with an offset`);
    if (at.getTime() <= now.getTime()) throw new InvitoError('CALLBACK_INVALID', `task ${taskId}: the callback time ${at.toISOString()} is not in the future`);
    const max = def.calls.callback_max_days;
    if (at.getTime() > now.getTime() + max * 24 * HOUR) throw new InvitoError('CALLBACK_INVALID', `task ${taskId}: the callback time is more than ${max} days ahead (calls.callback_max_days)`);
    const cal = calendarOf(def);
    if (!cal.isOpen('call', at.getTime())) {
      const next = cal.nextOpen('call', at.getTime());
      const hint = next === null ? '' : `; the window next opens at ${DateTime.fromMillis(next, { zone: def.timezone }).toISO({ suppressMilliseconds: true })}`;
      throw new InvitoError('CALLBACK_INVALID', `task ${taskId}: the callback time is outside the campaign's call window (windows.call)${hint}`);
    }
    return at;
  }

  /** A later free slot for the citizen (pacer/allocation.ts `laterSlotRequest`). */
  private async otherSlotRequest(def: Campaign, task: CallTask, appointmentId: string, now: Date) {
    const citizen = await this.store.citizen(task.citizenId);
    if (!citizen) throw new InvitoError('CITIZEN_NOT_FOUND', `task ${task.taskId}: no citizen ${task.citizenId}`);
    const current = await this.store.appointment(appointmentId);
    const centers = await this.store.candidateCenters({ region: citizen.region, asl: citizen.asl, municipality: citizen.municipality });
    return laterSlotRequest(def, { appointmentId, citizenId: task.citizenId, currentStart: current?.start ?? null }, centers, now);
  }

  private async cardOf(task: CallTask, campaign: DeskCampaign | undefined): Promise<TaskCard> {
    if (!campaign) throw new InvitoError('CAMPAIGN_NOT_FOUND', `task ${task.taskId}: no campaign ${task.campaignId}`);
    const def = campaign.definition;
    const citizen = await this.store.citizen(task.citizenId);
    if (!citizen) throw new InvitoError('CITIZEN_NOT_FOUND', `task ${task.taskId}: no citizen ${task.citizenId}`);
    const appointment = await this.store.appointment(messageKey(def.id, def.steps[0]!.id, task.citizenId));
    const [messages, responses, calls, step] = await Promise.all([
      this.store.messagesOf(task.citizenId),
      this.store.responsesOf(task.citizenId),
      this.store.attemptsOf(task.citizenId),
      this.store.messageStep(task.messageId),
    ]);
    const today = calendarOf(def).localDay(this.now());
    const name = [citizen.given_name, citizen.family_name].filter(Boolean).join(' ') || null;
    const stepId = step?.stepId ?? def.steps[0]!.id;
    const { script, scriptError } = await this.script(def, stepId, citizen, appointment, today, step?.linkToken ?? null);
    return {
      task,
      campaignName: def.name,
      citizen: {
        citizenId: citizen.citizen_id,
        name,
        age: ageOn(citizen.birth_date, today),
        sex: citizen.sex,
        language: citizen.language,
        phone: citizen.phone,
        municipality: citizen.municipality,
      },
      appointment,
      messages,
      responses,
      calls,
      script,
      scriptError,
      tree: def.calls.script,
    };
  }

  /** The call template rendered for the citizen: `calls.template`, else the step's own call text, else `call-script`. */
  private async script(def: Campaign, stepId: string, citizen: DeskCitizen, appointment: TaskCard['appointment'], today: string, token: string | null): Promise<Pick<TaskCard, 'script' | 'scriptError'>> {
    try {
      const lib = await this.templates();
      const stepTemplate = def.steps.find((s) => s.id === stepId)?.template;
      const templateId = def.calls.template ?? (stepTemplate && lib.languages(stepTemplate, 'call').length > 0 ? stepTemplate : 'call-script');
      const center = appointment
        ? { center_id: appointment.centerId, name: appointment.centerName ?? appointment.centerId, address: appointment.centerAddress, municipality: appointment.centerMunicipality, opening: '', daily_capacity: 0 }
        : null;
      const context = contextFor({
        campaign: def,
        stepId,
        citizen: { ...citizen, opt_out: citizen.opt_out },
        center,
        start: appointment?.start ?? null,
        asOf: today,
        publicUrl: this.options.publicUrl ?? publicUrl(),
        token: token ?? linkToken(messageKey(def.id, stepId, citizen.citizen_id)),
      });
      const r = lib.render({ templateId, channel: 'call', context, defaultLanguage: def.language });
      return { script: { templateId, language: r.language, text: r.text }, scriptError: null };
    } catch (e) {
      if (!isInvitoError(e)) throw e;
      return { script: null, scriptError: `${e.code}: ${e.message}` };
    }
  }
}

/** The campaigns whose tasks an operator may call now: active, with their call window open. */
const workable = (campaigns: readonly DeskCampaign[], now: Date): DeskCampaign[] =>
  campaigns.filter((c) => c.status === 'active' && calendarOf(c.definition).isOpen('call', now.getTime()));

/** The hopper, for callers that hold a store rather than a desk (the pacer). See `Desk.hopperRoom`. */
export function hopperRoom(store: DeskStore, campaignId: string, now: Date): Promise<number> {
  return new Desk({ store }).hopperRoom(campaignId, now);
}

/**
 * The pacer's view of the desk: the hopper's room when the installation has operators of its
 * own; without any (call tasks go to an outside call centre that reads the list), no limit.
 * Whether there are operators is looked up at most once a minute.
 */
export function callRoomFor(store: DeskStore): (campaignId: string, now: Date) => Promise<number> {
  let known: { at: number; any: boolean } | null = null;
  return async (campaignId, now) => {
    if (!known || Date.now() - known.at > 60_000) known = { at: Date.now(), any: (await store.operators()).some((o) => !o.disabled) };
    return known.any ? hopperRoom(store, campaignId, now) : Number.POSITIVE_INFINITY;
  };
}

const notFound = (operatorId: string) => new InvitoError('OPERATOR_NOT_FOUND', `no operator ${operatorId}`);

const leaseUntil = (now: Date, calls: CallsConfig | undefined): string => new Date(now.getTime() + (calls?.lease_minutes ?? 10) * MINUTE).toISOString();

function checkedPassword(operatorId: string, password: string): string {
  if (password.length < 8) throw new InvitoError('USAGE', `operator ${operatorId}: the password must have at least 8 characters`);
  return password;
}

/** A local time in the campaign's zone (`2026-03-02T15:30`, `2026-03-02 15:30`) or an ISO time with an offset. */
function parseTime(value: string | Date, zone: string): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  const t = DateTime.fromISO(value.trim().replace(' ', 'T'), { zone });
  return t.isValid ? t.toJSDate() : null;
}

/** Answers as the script knows them: node ids and their answer ids. */
function checkedAnswers(taskId: string, tree: ScriptTree, answers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (answers === undefined) return {};
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) throw new InvitoError('USAGE', `task ${taskId}: answers must be an object { question: answer }`);
  for (const [nodeId, answerId] of Object.entries(answers)) {
    const node = tree.nodes[nodeId];
    if (!node) throw new InvitoError('USAGE', `task ${taskId}: the script has no question "${nodeId}" (questions: ${Object.keys(tree.nodes).join(', ')})`);
    if (!node.answers.some((a) => a.id === answerId)) {
      throw new InvitoError('USAGE', `task ${taskId}: question "${nodeId}" has no answer "${String(answerId)}" (answers: ${node.answers.map((a) => a.id).join(', ')})`);
    }
  }
  return { ...answers };
}

const flagsTriage = (tree: ScriptTree, answers: Readonly<Record<string, string>>): boolean =>
  Object.entries(answers).some(([nodeId, answerId]) => tree.nodes[nodeId]?.answers.find((a) => a.id === answerId)?.triage === true);
