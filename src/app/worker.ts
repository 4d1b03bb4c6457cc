/**
 * A worker built from the app: the channels from the provider settings, the campaign clock
 * shared through Redis, the releaser with the desk's room for calls, Redis errors throttled.
 * `invito worker`, the demo, the tests and the benchmarks all start theirs here.
 */
import { hostname } from 'node:os';
import { templateLibrary, templatesDir } from '../campaigns/messages.js';
import { buildChannels } from '../channels/index.js';
import type { Channel } from '../core/channels.js';
import type { Clock } from '../core/clock.js';
import { ERRORS, InvitoError } from '../core/errors.js';
import { callRoomFor } from '../desk/desk.js';
import type { TemplateLibrary } from '../messages/index.js';
import { sharedClock } from '../queues/clock.js';
import { type RunningWorker, startWorker as startQueueWorker, type WorkerOptions } from '../queues/worker.js';
import { type App, redisOf } from './app.js';
import type { WorkerConfig } from './config.js';

export interface AppWorkerOptions {
  readonly config: Pick<WorkerConfig, 'queues' | 'providers' | 'timings'>;
  /** The channels to consume. */
  readonly channels: readonly Channel[];
  /** Jobs in flight per channel. @defaultValue 20 */
  readonly concurrency?: number;
  /** Take part in releasing campaigns. @defaultValue true */
  readonly release?: boolean;
  /**
   * The campaign clock. @defaultValue the one shared through Redis under the queue prefix,
   * anchored first at `timeScale` from `start` when given (see `sharedClock`)
   */
  readonly clock?: Clock;
  readonly timeScale?: number;
  readonly start?: string;
  /** @defaultValue loaded from `app.config.templates` */
  readonly library?: TemplateLibrary;
  /** Who holds the releaser's leader lock. @defaultValue HOST-PID */
  readonly owner?: string;
  /** Base of reply links. @defaultValue INVITO_PUBLIC_URL */
  readonly publicUrl?: string;
  readonly onOutcome?: WorkerOptions['onOutcome'];
}

export async function startWorker(app: App, o: AppWorkerOptions): Promise<RunningWorker> {
  const redis = redisOf(app);
  const { log } = app;
  const library = o.library ?? (await templateLibrary(templatesDir(app.config.templates)));
  const channels = buildChannels(o.config.providers, o.channels, app.store.dispatch);
  const { timings } = o.config;
  let clock = o.clock;
  if (!clock) {
    const anchorConnection = redis.connection();
    clock = await sharedClock(anchorConnection, o.config.queues.prefix, o.timeScale, o.start).finally(() => anchorConnection.quit());
  }
  if (clock.scale !== 1) log?.info({ scale: clock.scale, now: clock.now().toISOString() }, 'campaign clock runs faster than real time');
  return startQueueWorker({
    clock,
    ...(timings.lockMs ? { lockMs: timings.lockMs } : {}),
    releaser: { ...timings.releaser, callRoom: callRoomFor(app.store.desk) },
    connection: () => redis.connection(),
    store: app.store.dispatch,
    settings: { ...o.config.queues, timeScale: clock.scale },
    channels,
    library,
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    ...(o.release !== undefined ? { release: o.release } : {}),
    owner: o.owner ?? `${hostname()}-${process.pid}`,
    ...(log ? { log } : {}),
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    ...(o.onOutcome ? { onOutcome: o.onOutcome } : {}),
    onRedisError: redis.onError,
  });
}

/**
 * Stops a worker within the shutdown grace: the jobs in flight finish and are recorded, then
 * Redis closes. Past the grace (jobs still in flight, or Redis not answering) or when stopping
 * fails, the connections are dropped and `SHUTDOWN_INCOMPLETE` is thrown.
 */
export async function stopWorker(app: App, worker: RunningWorker, graceMs: number): Promise<void> {
  const { log } = app;
  const closing = (async () => {
    await worker.close();
    await app.closeRedis();
  })().then(
    () => 'closed' as const,
    (e: unknown) => (log?.error({ err: (e as Error).message }, 'stopping failed'), 'failed' as const),
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([closing, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)))]);
  clearTimeout(timer);
  if (outcome === 'closed') {
    log?.info('worker stopped');
    return;
  }
  log?.warn({ graceMs }, 'the worker did not stop in time: dropping the connections');
  // The exit status is decided; whatever still hangs (a reconnecting socket) must not keep the process.
  setTimeout(() => process.exit(ERRORS.SHUTDOWN_INCOMPLETE.exit), 1500).unref();
  app.dropRedis();
  await Promise.race([worker.close(true), new Promise((r) => setTimeout(r, 1000).unref())]);
  throw new InvitoError(
    'SHUTDOWN_INCOMPLETE',
    outcome === 'late'
      ? `the worker did not stop within ${graceMs} ms (INVITO_SHUTDOWN_GRACE_MS): jobs still in flight, or Redis not answering; the connections were dropped, and a message cut short stays sending until the reconciler marks it unknown`
      : 'stopping the worker failed; the connections were dropped, and a message cut short stays sending until the reconciler marks it unknown',
  );
}
