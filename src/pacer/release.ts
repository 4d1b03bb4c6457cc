/**
 * The pacer's leader loop. One leader per campaign (a lock, renewed each tick; any worker
 * process can lead, another takes over within a lock period when it dies) releases work in
 * ticks:
 *
 * 1. steps that are due — reminders before appointments, follow-ups after silence — are
 *    scheduled into the store and released when their time comes (they do not count against
 *    the daily target);
 * 2. invitations, in the cohort's priority order across the whole campaign, at the day's
 *    target spread over what remains of the day's window (quota.ts), each with a slot
 *    allocated in the same transaction, never faster than the providers' ceiling.
 *
 * Everything is read from the clock, so the same loop runs in real time, K times faster
 * (`--time-scale`) and on the simulator's virtual clock. What the day has released lives in
 * the store (`pacing_days`), so a paused campaign or a new leader resumes where it was.
 *
 * A reconciler (one at a time, also under a lock) repairs what a crash can leave: queued
 * messages whose jobs were lost (Redis restarted) get their jobs again — the job id is the
 * message id and the worker checks the store, so this never sends twice — and claims that
 * were never recorded become `unknown`.
 */
import type { Logger } from 'pino';
import { linkToken } from '../campaigns/messages.js';
import type { Campaign } from '../campaigns/schema.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Channel } from '../core/channels.js';
import { baseTarget, dayTarget, daysFed, tickQuota } from './quota.js';
import { internalError, isInvitoError } from '../core/errors.js';
import { cohortQuery } from '../cohort/criteria.js';
import { activeCampaigns } from './campaigns.js';
import { isComplete, openReasons } from './completion.js';
import { newSweep, sweepEligibility, type SweepState } from './eligibility.js';
import { campaignLimits, type ContactLimits, contactWindow, DEFAULT_CONTACT_LIMITS } from './contact.js';
import { settleFallbacks } from './fallback.js';
import { releaseInvitations } from './invitations.js';
import { releaseDue, scheduleSteps } from './reminders.js';
import { acceptanceEstimate } from './slots.js';
import type { CampaignRecord, PacerStore, Released, ReleaseContext } from './store.js';
import { calendarOf } from './windows.js';

/** Where released messages go: the BullMQ queues, or the simulator's instant provider. */
export interface ReleaseSink {
  add(released: readonly Released[]): Promise<void>;
  /** Jobs waiting to run (kept short so Redis holds only work in flight). */
  backlog(): Promise<number>;
  /** Sends per second the provider behind a channel takes, or null when unlimited. */
  ceiling(channel: Channel): number | null;
}

/** Leadership: which process releases a campaign. */
export interface LeaderLock {
  /** Takes or keeps the lock `name`; true when this process holds it. */
  lead(name: string): Promise<boolean>;
  /** Gives up every lock held. */
  releaseAll(): Promise<void>;
}

/** A lock for a single process (the simulator): always the leader. */
export const soleLeader: LeaderLock = { lead: async () => true, releaseAll: async () => {} };

export interface ReleaserOptions {
  readonly store: PacerStore;
  readonly sink: ReleaseSink;
  readonly lock: LeaderLock;
  /** Real milliseconds between ticks. @defaultValue 250 */
  readonly tickMs?: number;
  /** How often the reconciler runs (real ms). @defaultValue 15000 */
  readonly reconcileMs?: number;
  /** A queued message older than this (real ms) without progress gets its job added again. @defaultValue 60000 */
  readonly staleQueuedMs?: number;
  /** A claim older than this (real ms) was never recorded: its worker died mid-send. @defaultValue 600000 */
  readonly claimTimeoutMs?: number;
  /** Seconds of work (real time) kept waiting in the queues at most. @defaultValue 5 */
  readonly backlogSeconds?: number;
  /**
   * The longest stretch of clock time one tick may stand for: after a stall (a dead leader, a
   * paused campaign) the pacer does not release the missed ticks in one burst — the rest of
   * the window absorbs them — and no tick releases more than a second of the providers'
   * ceiling. @defaultValue 1000, or two ticks of a scaled clock when longer
   */
  readonly maxStepMs?: number;
  /** How often (clock ms) reminders and follow-ups are looked for. @defaultValue 60000 */
  readonly scheduleEveryMs?: number;
  /**
   * After a campaign's release fails, how long (real ms) before it is tried again; the other
   * campaigns go on meanwhile. @defaultValue 5000
   */
  readonly retryFailedMs?: number;
  /** How often (real ms) an idle campaign looks for a registry import newer than its last eligibility sweep. @defaultValue 2000 */
  readonly sweepEveryMs?: number;
  /** Room on the operators' call list (the desk's hopper); unlimited when absent. */
  readonly callRoom?: (campaignId: string, now: Date) => Promise<number>;
  /** The installation's contact limits across campaigns (contact.ts); null for none. @defaultValue 1 a day, 3 a week */
  readonly contact?: ContactLimits | null;
  readonly clock?: Clock;
  readonly log?: Logger;
}

interface CampaignState {
  day: string | null;
  target: number;
  released: number;
  carry: number;
  lastTick: number | null;
  lastSchedule: number;
}

export interface TickReport {
  readonly invitations: number;
  readonly due: number;
}

/**
 * Spreads a tick's releases evenly over the next `overMs` of clock time (never past the window's
 * end), so a provider sees them at the pace the quota meant, not in one burst per tick: ticks of
 * a scaled clock stand for minutes.
 */
export function spread(released: readonly Released[], now: number, overMs: number): Released[] {
  const n = released.length;
  // Ticks under a second of clock time (the real-time default, 250 ms) need no spreading: the
  // queues' limiter already paces within the second, and delayed jobs cost BullMQ a promotion each.
  if (n <= 1 || overMs < 1000) return [...released];
  return released.map((r, i) => ({ ...r, notBefore: now + Math.floor((i * overMs) / n) }));
}

export class Releaser {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastReconcile = 0;
  private readonly state = new Map<string, CampaignState>();
  /** Campaigns whose last release failed: when (real ms) to try again. */
  private readonly failedUntil = new Map<string, number>();
  private readonly o: Required<Omit<ReleaserOptions, 'log' | 'callRoom' | 'maxStepMs' | 'contact'>> & Pick<ReleaserOptions, 'log' | 'callRoom'> & { maxStepMs: number; contact: ContactLimits | null };

  constructor(options: ReleaserOptions) {
    const tickMs = options.tickMs ?? 250;
    const clock = options.clock ?? systemClock;
    this.o = {
      tickMs,
      reconcileMs: 15_000,
      staleQueuedMs: 60_000,
      claimTimeoutMs: 600_000,
      backlogSeconds: 5,
      scheduleEveryMs: 60_000,
      retryFailedMs: 5000,
      sweepEveryMs: 2000,
      clock,
      ...options,
      maxStepMs: options.maxStepMs ?? Math.max(1000, Number.isFinite(clock.scale) ? 2 * tickMs * clock.scale : 0),
      contact: options.contact === undefined ? DEFAULT_CONTACT_LIMITS : options.contact,
    };
  }

  start(): void {
    const loop = async (): Promise<void> => {
      try {
        await this.tick();
      } catch (e) {
        this.o.log?.error({ err: (e as Error).message }, 'release tick failed');
      }
      if (this.timer !== null) this.timer = setTimeout(() => (this.running = loop()), this.o.tickMs);
    };
    this.timer = setTimeout(() => (this.running = loop()), 0);
  }

  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = null;
    if (t) clearTimeout(t);
    await this.running;
    await this.o.lock.releaseAll();
  }

  /** One round: release for every active campaign this process leads, and reconcile when due. */
  async tick(): Promise<TickReport> {
    const now = this.o.clock.now();
    let invitations = 0;
    let due = 0;
    for (const c of await activeCampaigns(this.o.store)) {
      if (!(await this.o.lock.lead(`campaign-${c.campaignId}`))) {
        // Someone else leads: what we knew of the day may be stale when we lead again.
        this.state.delete(c.campaignId);
        this.sweeps.delete(c.campaignId);
        continue;
      }
      if ((this.failedUntil.get(c.campaignId) ?? 0) > Date.now()) continue;
      let r: TickReport;
      try {
        r = await this.release(c.definition, c.releaseRate, now);
      } catch (e) {
        await this.failed(c, e, now);
        continue;
      }
      this.failedUntil.delete(c.campaignId);
      if (c.releaseError !== null) {
        await this.o.store.campaignRecords.recordReleaseError(c.campaignId, null, now.toISOString());
        this.o.log?.info({ campaign: c.campaignId }, 'release works again');
      }
      invitations += r.invitations;
      due += r.due;
    }
    const realNow = Date.now();
    if (realNow - this.lastReconcile >= this.o.reconcileMs && (await this.o.lock.lead('reconciler'))) {
      this.lastReconcile = realNow;
      await this.reconcile(now);
    }
    return { invitations, due };
  }

  /**
   * One campaign's release failed (a centre row an import would refuse, a definition the
   * pacer cannot play): the error is kept on the campaign, where `status` shows it, and the
   * campaign waits `retryFailedMs` before it is tried again. What it knew of the day is
   * dropped, so the retry starts from the store.
   */
  private async failed(c: CampaignRecord, e: unknown, now: Date): Promise<void> {
    this.state.delete(c.campaignId);
    this.failedUntil.set(c.campaignId, Date.now() + this.o.retryFailedMs);
    const { code, message } = isInvitoError(e) ? e : internalError(e);
    const error = { code, message };
    this.o.log?.error({ campaign: c.campaignId, code: error.code, err: error.message }, 'release failed; the other campaigns go on');
    if (c.releaseError?.code === error.code && c.releaseError.message === error.message) return;
    await this.o.store.campaignRecords.recordReleaseError(c.campaignId, error, now.toISOString()).catch((w: Error) => this.o.log?.error({ campaign: c.campaignId, err: w.message }, 'could not record the release error'));
  }

  private async release(campaign: Campaign, releaseRate: number, now: Date): Promise<TickReport> {
    const nowMs = now.getTime();
    const at = now.toISOString();
    const cal = calendarOf(campaign);
    const st = this.state.get(campaign.id) ?? { day: null, target: 0, released: 0, carry: 0, lastTick: null, lastSchedule: -Infinity };
    this.state.set(campaign.id, st);
    const step = Math.min(st.lastTick === null ? this.o.tickMs * Math.min(this.o.clock.scale, 1e6) : nowMs - st.lastTick, this.o.maxStepMs);
    st.lastTick = nowMs;
    const today = cal.localDay(nowMs);
    const ctx: ReleaseContext = {
      at,
      now: nowMs,
      day: today,
      calendar: cal,
      token: (id) => linkToken(id),
      // The desk's hopper: call tasks only as fast as the operators on shift can work them.
      ...(this.o.callRoom && campaign.steps.some((s) => s.channels.includes('call')) ? { callRoom: await this.o.callRoom(campaign.id, now) } : {}),
      // Contact limits across campaigns: at most so many messages a day and a week per citizen.
      ...(this.o.contact ? { contact: contactWindow(campaignLimits(this.o.contact, campaign), cal, today) } : {}),
    };

    // 0. After a registry import, the campaign's open work is checked against its cohort as the registry says now.
    await this.sweep(campaign, ctx);

    // 1. Reminders and follow-ups.
    if (campaign.steps.length > 1 && nowMs - st.lastSchedule >= this.o.scheduleEveryMs) {
      st.lastSchedule = nowMs;
      const scheduled = await scheduleSteps(this.o.store, campaign, ctx);
      if (scheduled > 0) this.o.log?.info({ campaign: campaign.id, scheduled }, 'reminders and follow-ups scheduled');
    }
    const dueLimit = Math.max(1, Math.min(5000, Math.floor(this.ceiling(cal.pacingChannel, releaseRate) * Math.max(step, 1000) / 1000)));
    // Fallbacks: the next channel for attempts that did not reach the citizen (due at its window), or the chain's end.
    const fallbacks = await settleFallbacks(this.o.store, campaign, dueLimit, ctx);
    if (fallbacks.made > 0) this.o.log?.info({ campaign: campaign.id, fallbacks: fallbacks.made }, 'fallback attempts created');
    const due = await releaseDue(this.o.store, campaign, dueLimit, ctx);
    await this.o.sink.add(due);

    // 2. Invitations, when the pacing channel's window is open.
    let invitations = 0;
    const ch = cal.pacingChannel;
    if (cal.isOpen(ch, nowMs)) {
      if (st.day !== ctx.day) await this.openDay(campaign, ctx, st);
      const { release, carry } = tickQuota({
        remaining: st.target - st.released,
        remainingOpenMs: cal.remainingOpenMs(ch, nowMs),
        stepMs: step,
        ceilingPerSecond: this.ceiling(ch, releaseRate),
        carry: st.carry,
      });
      const want = Math.min(release, 5000);
      if (want > 0 && (await this.roomInQueues(want, step))) {
        const r = await releaseInvitations(this.o.store, campaign, want, ctx);
        await this.o.sink.add(spread(r.released, nowMs, Math.min(step, cal.remainingOpenMs(ch, nowMs))));
        st.released = r.dayReleased;
        invitations = r.released.length;
        st.carry = carry;
      } else if (want === 0) st.carry = carry;
    }
    await this.checkCompleted(campaign, ctx);
    return { invitations, due: due.length };
  }

  private readonly sweeps = new Map<string, SweepState & { checkedAt: number }>();

  /** One page of the campaign's eligibility sweep (eligibility.ts), when an import is newer than the last sweep; looked for every `sweepEveryMs`. */
  private async sweep(campaign: Campaign, ctx: ReleaseContext): Promise<void> {
    let st = this.sweeps.get(campaign.id);
    if (!st) this.sweeps.set(campaign.id, (st = { ...newSweep(), checkedAt: 0 }));
    const real = Date.now();
    if (st.after === null && real - st.checkedAt < this.o.sweepEveryMs) return;
    st.checkedAt = real;
    const ended = await sweepEligibility(this.o.store, campaign, ctx, st);
    if (ended > 0) this.o.log?.info({ campaign: campaign.id, ended }, 'messages of citizens no longer in the cohort ended');
  }

  /** Fixes today's target (or reloads it: a new leader, a restart) the first time the day is seen. */
  private async openDay(campaign: Campaign, ctx: ReleaseContext, st: CampaignState): Promise<void> {
    let day = await this.o.store.pacing.day(campaign.id, ctx.day);
    if (!day && campaign.rolling) {
      // A rolling campaign selects its cohort again on each open day: the newly eligible (turned
      // the age today, their interval since the last dose passed) join after those already in it.
      const before = (await this.o.store.campaignRecords.get(campaign.id))?.recipients ?? 0;
      const now = await this.o.store.campaignRecords.selectRecipients(campaign, cohortQuery(campaign, ctx.day), ctx.at);
      if (now > before) this.o.log?.info({ campaign: campaign.id, day: ctx.day, added: now - before }, 'rolling cohort: newly eligible members added');
    }
    if (!day) {
      const previous = await this.o.store.pacing.last(campaign.id, ctx.day);
      let capacity: { openSlots: number; acceptance: number } | undefined;
      if (campaign.pacing.daily_target === 'capacity' && campaign.pacing.by_date[ctx.day] === undefined) {
        const cal = ctx.calendar;
        const fed = daysFed((i) => cal.openMs(cal.pacingChannel, cal.addDays(ctx.day, i)) > 0);
        let openSlots = 0;
        for (let i = 0; i < fed; i++) openSlots += await this.o.store.appointments.openSlotsIn(campaign.cohort.regions, cal.addDays(ctx.day, campaign.appointments.lead_days + i));
        const answers = await this.o.store.appointments.acceptance(campaign.id);
        // The expected acceptance, learnt from the answers so far within the campaign's bounds.
        capacity = { openSlots, acceptance: acceptanceEstimate(campaign.pacing.acceptance, answers.confirmed, answers.declined) };
      }
      const target = dayTarget(campaign, baseTarget(campaign, ctx.day, capacity), previous);
      day = await this.o.store.pacing.open(campaign.id, ctx.day, target, ctx.at);
      this.o.log?.info({ campaign: campaign.id, day: ctx.day, target: day.target }, 'pacing day opened');
    }
    st.day = ctx.day;
    st.target = day.target;
    st.released = day.released;
    st.carry = 0;
  }

  /** Sends per second for a channel: the provider's ceiling, and the campaign's own cap when it has one. */
  private ceiling(channel: Channel, releaseRate: number): number {
    const provider = this.o.sink.ceiling(channel) ?? Infinity;
    return Math.min(provider, releaseRate > 0 ? releaseRate : Infinity);
  }

  /** Whether the queues can take `want` more: their backlog stays within a few real seconds of work. */
  private async roomInQueues(want: number, stepMs: number): Promise<boolean> {
    const scale = this.o.clock.scale;
    if (!Number.isFinite(scale)) return true;
    const perRealSecond = (want * 1000 * scale) / Math.max(stepMs, 1);
    return (await this.o.sink.backlog()) <= Math.max(100, perRealSecond * this.o.backlogSeconds);
  }

  private readonly lastCount = new Map<string, number>();

  /**
   * Completed: every member has a final outcome (completion.ts): no message still to send, no
   * call task still to be called, no fallback still to try, no reminder or follow-up that can
   * still arise.
   */
  private async checkCompleted(campaign: Campaign, ctx: ReleaseContext): Promise<void> {
    // Counting scans the campaign's unfinished messages: at most every few real seconds.
    const real = Date.now();
    if (real - (this.lastCount.get(campaign.id) ?? 0) < 3000) return;
    this.lastCount.set(campaign.id, real);
    if (!isComplete(await openReasons(this.o.store, campaign, ctx.day))) return;
    await this.o.store.campaignRecords.update(campaign.id, { status: 'completed', statusReason: null }, ctx.at);
    this.o.log?.info({ campaign: campaign.id }, 'campaign completed: every member has a final outcome');
  }

  /** Repairs after crashes; safe to run any time. */
  async reconcile(now: Date = this.o.clock.now()): Promise<{ requeued: number; expired: number }> {
    // The thresholds are real durations (a lost job, a dead worker); the stamps are clock times.
    const scale = Number.isFinite(this.o.clock.scale) ? this.o.clock.scale : 1;
    const stale = await this.o.store.messages.staleQueued(new Date(now.getTime() - this.o.staleQueuedMs * scale).toISOString(), 10_000);
    await this.o.sink.add(stale);
    const expired = await this.o.store.messages.expireClaims(new Date(now.getTime() - this.o.claimTimeoutMs * scale).toISOString(), now.toISOString());
    const freed = await this.o.store.appointments.releaseSlotsOfFailedInvitations(now.toISOString());
    if (stale.length > 0 || expired > 0 || freed > 0) this.o.log?.warn({ requeued: stale.length, expired, freed }, 'reconciled queued messages, expired claims and slots of failed invitations');
    return { requeued: stale.length, expired };
  }
}
