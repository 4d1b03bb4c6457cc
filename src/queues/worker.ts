/**
 * A worker process: BullMQ consumers for the chosen channels, and the releaser (leader
 * election decides which process actually releases each campaign). Stops gracefully: no new
 * jobs, the ones in flight finish and are recorded.
 */
import { DelayedError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ChannelAdapter } from '../channels/channel.js';
import type { Channel } from '../core/channels.js';
import type { TemplateLibrary } from '../messages/index.js';
import { type Clock, systemClock } from '../core/clock.js';
import { InvitoError } from '../core/errors.js';
import { Releaser, type ReleaserOptions } from '../pacer/release.js';
import { RedisLock } from './lock.js';
import type { PacerStore } from '../pacer/store.js';
import { makeProcessor, type Outcome } from './process.js';
import { type MessageJob, queueName, Queues, type QueueSettings } from './queues.js';
import { redisErrorLog } from './redis.js';
import type { DispatchStore } from './store.js';

export interface WorkerOptions {
  readonly connection: () => Redis;
  readonly store: DispatchStore & PacerStore;
  readonly settings: QueueSettings;
  readonly channels: Partial<Record<Channel, ChannelAdapter>>;
  readonly library: TemplateLibrary;
  /** Jobs in flight per channel in this process. @defaultValue 20 */
  readonly concurrency?: number;
  /**
   * How long a job stays locked to this worker without renewal; a killed worker's jobs run
   * again (elsewhere) after about this long. @defaultValue 30000 (BullMQ's)
   */
  readonly lockMs?: number;
  /** Run the releaser in this process too. @defaultValue true */
  readonly release?: boolean;
  readonly releaser?: Partial<Omit<ReleaserOptions, 'store' | 'sink' | 'lock' | 'clock'>> & { readonly lockMs?: number };
  /** The campaign clock (scaled by `--time-scale`). @defaultValue the system clock */
  readonly clock?: Clock;
  readonly owner: string;
  readonly log?: Logger;
  /** Base of reply links. @defaultValue INVITO_PUBLIC_URL */
  readonly publicUrl?: string;
  /** Called after each job with its outcome (counters, tests). */
  readonly onOutcome?: (channel: Channel, outcome: Outcome) => void;
  /** Where the queues' and BullMQ workers' Redis errors go. @defaultValue `redisErrorLog(log)` */
  readonly onRedisError?: (e: Error) => void;
}

export interface RunningWorker {
  readonly queues: Queues;
  readonly releaser: Releaser | null;
  /**
   * Stops taking jobs and waits for the ones in flight to be recorded. `force`: waits for
   * nothing (the shutdown grace ran out); a job cut short leaves its message `sending`, which
   * the reconciler marks `unknown`, never re-sent.
   */
  close(force?: boolean): Promise<void>;
}

/**
 * How long a stopping worker waits for its jobs in flight before it drops its connections and
 * exits non-zero: `INVITO_SHUTDOWN_GRACE_MS`, default 10 s. While Redis is down nothing in flight
 * can finish, and without a bound the worker would wait for Redis forever.
 */
export function shutdownGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.INVITO_SHUTDOWN_GRACE_MS;
  if (v === undefined || v === '') return 10_000;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvitoError('CONFIG_INVALID', `INVITO_SHUTDOWN_GRACE_MS must be a whole number of milliseconds ≥ 0, not ${v}`);
  return n;
}

/**
 * Timings from the environment, for tests and simulations that cannot wait minutes:
 * `INVITO_LOCK_MS`, `INVITO_RELEASE_TICK_MS`, `INVITO_RECONCILE_MS`, `INVITO_STALE_QUEUED_MS`,
 * `INVITO_CLAIM_TIMEOUT_MS`. Unset values keep the defaults.
 */
export function workerTimings(env: NodeJS.ProcessEnv = process.env): { lockMs?: number; releaser: NonNullable<WorkerOptions['releaser']> } {
  const ms = (k: string): number | undefined => {
    const v = Number(env[k]);
    return env[k] && Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const releaser: NonNullable<WorkerOptions['releaser']> = {};
  const tick = ms('INVITO_RELEASE_TICK_MS');
  const reconcile = ms('INVITO_RECONCILE_MS');
  const stale = ms('INVITO_STALE_QUEUED_MS');
  const claim = ms('INVITO_CLAIM_TIMEOUT_MS');
  if (tick) Object.assign(releaser, { tickMs: tick });
  if (reconcile) Object.assign(releaser, { reconcileMs: reconcile });
  if (stale) Object.assign(releaser, { staleQueuedMs: stale });
  if (claim) Object.assign(releaser, { claimTimeoutMs: claim });
  const lockMs = ms('INVITO_LOCK_MS');
  return { ...(lockMs ? { lockMs } : {}), releaser };
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const clock = o.clock ?? systemClock;
  const onRedisError = o.onRedisError ?? redisErrorLog(o.log);
  const queues = new Queues(o.connection(), o.settings, clock, onRedisError);
  await queues.applyRateLimits();
  const processJob = makeProcessor({
    store: o.store,
    now: () => clock.now(),
    channels: o.channels,
    library: o.library,
    ...(o.log ? { log: o.log } : {}),
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
  });
  const workers: Worker<MessageJob>[] = [];
  for (const [channel] of Object.entries(o.channels) as [Channel, ChannelAdapter][]) {
    const w = new Worker<MessageJob>(
      queueName(channel),
      async (job, token) => {
        const outcome = await processJob({
          messageId: job.data.messageId,
          attemptsMade: job.attemptsMade,
          maxAttempts: job.opts.attempts ?? 1,
          // Clock time to real time: under --time-scale a night passes in seconds.
          defer: (until) => job.moveToDelayed(Date.now() + Math.max(0, clock.toReal(until - clock.now().getTime())), token),
        });
        o.onOutcome?.(channel, outcome);
        if (outcome === 'deferred') throw new DelayedError();
        return outcome;
      },
      {
        connection: o.connection(),
        prefix: o.settings.prefix,
        concurrency: o.concurrency ?? 20,
        ...(o.lockMs ? { lockDuration: o.lockMs, stalledInterval: Math.max(500, Math.round(o.lockMs / 2)) } : {}),
      },
    );
    w.on('error', onRedisError);
    workers.push(w);
  }
  let releaser: Releaser | null = null;
  if (o.release !== false) {
    const { lockMs: leaderLockMs, ...rest } = o.releaser ?? {};
    releaser = new Releaser({
      store: o.store,
      sink: queues,
      lock: new RedisLock(o.connection(), o.settings.prefix, o.owner, leaderLockMs ?? 5000),
      clock,
      ...(o.log ? { log: o.log } : {}),
      ...rest,
    });
    releaser.start();
  }
  return {
    queues,
    releaser,
    async close(force = false) {
      if (force) {
        await Promise.allSettled([releaser?.stop(), ...workers.map((w) => w.close(true)), queues.close(), ...Object.values(o.channels).map((c) => c.close())]);
        return;
      }
      await releaser?.stop();
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
      await Promise.all(Object.values(o.channels).map((c) => c.close()));
    },
  };
}
