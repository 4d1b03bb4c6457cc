/**
 * The composition root: the one place that builds the program from its configuration and may
 * import every layer. The commands, the tests and the benchmarks all start the program through
 * it, so the program under test is the program that runs.
 */
import type { Logger } from 'pino';
import { ensureRedis, type RedisHandle } from '../queues/redis.js';
import { KyselyStore } from '../store/index.js';
import type { AppConfig } from './config.js';

export interface App {
  readonly config: AppConfig;
  readonly store: KyselyStore;
  /** Null when opened without Redis (`invito serve`, `simulate`). */
  readonly redis: RedisHandle | null;
  readonly log: Logger | undefined;
  /** Quits the Redis connections (stopping a private Redis); hangs while Redis is down (see `dropRedis`). */
  closeRedis(): Promise<void>;
  /** Drops the Redis connections at once; a later `close` does not wait for them. */
  dropRedis(): void;
  /** Closes Redis, then the store if `openApp` opened it. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Connect to Redis (or start a private one, see `ensureRedis`). @defaultValue false */
  readonly redis?: boolean;
  /** A store the caller opened, and closes. @defaultValue opened from `config.db` (and closed by `close`) */
  readonly store?: KyselyStore;
  /** Where Redis errors are logged (throttled). */
  readonly log?: Logger;
}

/** Opens the store, then Redis when asked; a Redis that fails closes the store it opened. */
export async function openApp(config: AppConfig, o: OpenOptions = {}): Promise<App> {
  const owned = o.store === undefined;
  const store = o.store ?? (await KyselyStore.open(config.db));
  let redis: RedisHandle | null = null;
  if (o.redis) {
    try {
      redis = await ensureRedis({
        ...(config.redisUrl !== undefined ? { url: config.redisUrl } : {}),
        ...(config.redisDataDir !== undefined ? { dataDir: config.redisDataDir } : {}),
        ...(o.log ? { log: o.log } : {}),
      });
    } catch (e) {
      if (owned) await store.close();
      throw e;
    }
  }
  let redisClosed: Promise<void> | null = redis ? null : Promise.resolve();
  const closeRedis = (): Promise<void> => (redisClosed ??= redis!.close());
  return {
    config,
    store,
    redis,
    log: o.log,
    closeRedis,
    dropRedis() {
      redis?.disconnect();
      redisClosed = Promise.resolve();
    },
    async close() {
      try {
        await closeRedis();
      } finally {
        if (owned) await store.close();
      }
    },
  };
}

/** The app's Redis; a part that needs it fails plainly when the app was opened without. */
export function redisOf(app: App): RedisHandle {
  if (!app.redis) throw new Error('this app was opened without Redis (openApp(config, { redis: true }))');
  return app.redis;
}
