/**
 * Releasing work into the queues. One leader per campaign (a Redis lock, renewed each tick)
 * moves the next messages in priority order from `pending` to `queued` at the campaign's rate
 * and adds their jobs; any worker process can be the leader, and another takes over within a
 * lock period when it dies. The backlog in Redis stays short (a few seconds of work), so
 * Redis holds only work in flight whatever the cohort size.
 *
 * A reconciler (one at a time, also under a lock) repairs what a crash can leave: queued
 * messages whose jobs were lost (Redis restarted) get their jobs again — the job id is the
 * message id and the worker checks the store, so this never sends twice — and claims that
 * were never recorded become `unknown`.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { linkToken } from '../campaigns/messages.js';
import type { Queues } from '../queues/queues.js';
import type { PacerStore } from './store.js';

export interface ReleaserOptions {
  readonly store: PacerStore;
  readonly queues: Queues;
  readonly redis: Redis;
  /** This process's name in the leader locks. */
  readonly owner: string;
  /** @defaultValue 250 */
  readonly tickMs?: number;
  /** Leader lock time to live; another process takes over this long after a leader dies. @defaultValue 5000 */
  readonly lockMs?: number;
  /** How often the reconciler runs. @defaultValue 15000 */
  readonly reconcileMs?: number;
  /** A queued message older than this without progress gets its job added again. @defaultValue 60000 */
  readonly staleQueuedMs?: number;
  /** A claim older than this was never recorded: its worker died mid-send. @defaultValue 600000 */
  readonly claimTimeoutMs?: number;
  /** Seconds of work kept waiting in Redis at most. @defaultValue 5 */
  readonly backlogSeconds?: number;
  readonly now?: () => Date;
  readonly log?: Logger;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class Releaser {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly allowance = new Map<string, { tokens: number; at: number }>();
  private readonly held = new Set<string>();
  private lastReconcile = 0;
  private readonly lastCount = new Map<string, number>();
  private readonly o: Required<Omit<ReleaserOptions, 'log'>> & { log?: Logger };

  constructor(options: ReleaserOptions) {
    this.o = {
      tickMs: 250,
      lockMs: 5000,
      reconcileMs: 15_000,
      staleQueuedMs: 60_000,
      claimTimeoutMs: 600_000,
      backlogSeconds: 5,
      now: () => new Date(),
      ...options,
    };
  }

  private key(name: string): string {
    return `${this.o.queues.settings.prefix}-leader-${name}`;
  }

  /** Takes or keeps the lock `name`; true when this process holds it. */
  private async lead(name: string): Promise<boolean> {
    const key = this.key(name);
    if (this.held.has(name)) {
      const renewed = (await this.o.redis.eval(RENEW, 1, key, this.o.owner, String(this.o.lockMs))) as number;
      if (renewed === 1) return true;
      this.held.delete(name);
    }
    const got = await this.o.redis.set(key, this.o.owner, 'PX', this.o.lockMs, 'NX');
    if (got === 'OK') this.held.add(name);
    return got === 'OK';
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
    for (const name of this.held) await this.o.redis.eval(RELEASE, 1, this.key(name), this.o.owner).catch(() => {});
    this.held.clear();
  }

  /** One round: release for every active campaign this process leads, and reconcile when due. */
  async tick(): Promise<void> {
    const now = this.o.now();
    const nowMs = now.getTime();
    const at = now.toISOString();
    for (const c of await this.o.store.activeCampaigns()) {
      if (!(await this.lead(`campaign-${c.campaignId}`))) {
        this.allowance.delete(c.campaignId);
        continue;
      }
      const a = this.allowance.get(c.campaignId) ?? { tokens: c.releaseRate * (this.o.tickMs / 1000), at: nowMs };
      // Tokens accrue at the campaign's rate, capped at one second's worth: no catch-up flood.
      a.tokens = Math.min(c.releaseRate, a.tokens + (c.releaseRate * Math.max(0, nowMs - a.at)) / 1000);
      a.at = nowMs;
      this.allowance.set(c.campaignId, a);
      const want = Math.min(Math.floor(a.tokens), 5000);
      let exhausted = false;
      if (want >= 1 && (await this.o.queues.backlog()) <= Math.max(50, c.releaseRate * this.o.backlogSeconds)) {
        const released = await this.o.store.releaseNext(c.definition, want, (id) => linkToken(id), at);
        await this.o.queues.add(released);
        a.tokens -= want;
        exhausted = released.length < want;
      }
      // Counting what is left scans the campaign's unfinished messages: only worth it once
      // nothing was left to release (or at most once a second).
      if (!exhausted && nowMs - (this.lastCount.get(c.campaignId) ?? 0) < 1000) continue;
      this.lastCount.set(c.campaignId, nowMs);
      const left = await this.o.store.unfinished(c.campaignId);
      if (left.pending + left.queued + left.sending === 0) {
        await this.o.store.updateCampaign(c.campaignId, { status: 'completed', statusReason: null }, at);
        this.o.log?.info({ campaign: c.campaignId }, 'campaign completed: every message has an outcome');
      }
    }
    if (nowMs - this.lastReconcile >= this.o.reconcileMs && (await this.lead('reconciler'))) {
      this.lastReconcile = nowMs;
      await this.reconcile(now);
    }
  }

  /** Repairs after crashes; safe to run any time. */
  async reconcile(now: Date = this.o.now()): Promise<{ requeued: number; expired: number }> {
    const stale = await this.o.store.staleQueued(new Date(now.getTime() - this.o.staleQueuedMs).toISOString(), 10_000);
    await this.o.queues.add(stale);
    const expired = await this.o.store.expireClaims(new Date(now.getTime() - this.o.claimTimeoutMs).toISOString(), now.toISOString());
    if (stale.length > 0 || expired > 0) this.o.log?.warn({ requeued: stale.length, expired }, 'reconciled queued messages and expired claims');
    return { requeued: stale.length, expired };
  }
}
