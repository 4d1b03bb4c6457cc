/**
 * The Redis that holds work in flight. `INVITO_REDIS_URL` (default redis://127.0.0.1:6379);
 * when it is not set, nothing answers at the default and `redis-server` is installed, a private
 * Redis is started for the command — append-only persistence, no eviction, data under
 * `.invito/redis/` — and stopped when the command ends. A Redis that was configured explicitly
 * and does not answer is an error instead: a worker must never quietly use a Redis of its own
 * while the others share the configured one. A Redis that may evict keys would silently drop
 * jobs, so one whose `maxmemory-policy` is not `noeviction` is refused.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { InvitoError } from '../core/errors.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisHandle {
  readonly url: string;
  /** Whether invito started this Redis (and will stop it). */
  readonly private: boolean;
  /** A connection for BullMQ (maxRetriesPerRequest: null, as BullMQ requires). */
  connection(): Redis;
  /** Where the connections report their errors (throttled; BullMQ's queues and workers report here too). */
  readonly onError: (e: Error) => void;
  /** Quits every connection, waiting for what was sent; hangs while Redis is down (see `disconnect`). */
  close(): Promise<void>;
  /** Drops every connection at once: pending commands fail, reconnecting stops. */
  disconnect(): void;
}

/**
 * One log line per kind of Redis error every `everyMs`, however many connections report it and
 * however often they retry. While Redis is down every connection fails every reconnect (ioredis
 * retries every two seconds, BullMQ re-emits on each queue and worker): a line, let alone a
 * stack, per failure would bury everything else. The line has the code, the address and how
 * many reports it stands for.
 */
export function redisErrorLog(log: Logger | undefined, everyMs = 5000): (e: Error) => void {
  const last = new Map<string, { at: number; repeated: number }>();
  return (e) => {
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    const key = err.code ?? err.message;
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < everyMs) {
      seen.repeated++;
      return;
    }
    if (last.size >= 100) last.clear();
    last.set(key, { at: now, repeated: 0 });
    log?.error(
      { code: err.code, ...(err.address ? { address: err.address } : {}), ...(err.port ? { port: err.port } : {}), err: err.message, repeated: seen?.repeated ?? 0 },
      'Redis error (reconnecting; one line per kind every few seconds)',
    );
  };
}

const redact = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//***@');

/** A Redis URL ioredis cannot read is a setting to fix (exit 2), not a failure of ours. */
function checkRedisUrl(url: string): void {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new InvitoError('CONFIG_INVALID', 'the Redis URL (INVITO_REDIS_URL) is not a URL: expected redis://[user:password@]host:port[/db] or rediss://…');
  }
  if (scheme !== 'redis:' && scheme !== 'rediss:') {
    throw new InvitoError('CONFIG_INVALID', `the Redis URL (INVITO_REDIS_URL) has the scheme "${scheme.slice(0, 20)}": expected redis:// or rediss://`);
  }
}

async function ping(url: string): Promise<Redis | null> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 1500, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return r;
  } catch {
    r.disconnect();
    return null;
  }
}

/** Throws unless the Redis keeps every key (BullMQ's jobs must never be evicted). */
export async function assertNoEviction(r: Redis, url: string): Promise<void> {
  const [, policy] = ((await r.config('GET', 'maxmemory-policy')) as string[]) ?? [];
  if (policy !== 'noeviction') {
    throw new InvitoError('REDIS_EVICTION_POLICY', `the Redis at ${redact(url)} has maxmemory-policy ${policy ?? 'unknown'}; invito needs noeviction (CONFIG SET maxmemory-policy noeviction), or jobs could be dropped`);
  }
}

const freePort = (): Promise<number> =>
  new Promise((ok, ko) => {
    const s = createServer();
    s.once('error', ko);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts `redis-server` with append-only persistence on a free loopback port. */
export async function startPrivateRedis(dataDir: string, port?: number): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const p = port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--save', '', '--dir', dir, '--daemonize', 'no', '--logfile', ''],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${p}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await ping(url);
    if (r) {
      r.disconnect();
      break;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new InvitoError('REDIS_UNAVAILABLE', `the private redis-server (port ${p}, data in ${dir}) did not start`);
    }
    await new Promise((r2) => setTimeout(r2, 50));
  }
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((ok) => {
        // Killed by a signal (a test's SIGKILL), exitCode stays null: signalCode says it is gone.
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
      }),
  };
}

export interface EnsureOptions {
  /** @defaultValue INVITO_REDIS_URL, else redis://127.0.0.1:6379 */
  readonly url?: string;
  /** Where a private Redis keeps its append-only file. @defaultValue .invito/redis */
  readonly dataDir?: string;
  /**
   * Start a private Redis when nothing answers.
   * @defaultValue true only when no URL is configured (neither `url` nor INVITO_REDIS_URL)
   */
  readonly fallbackToPrivate?: boolean;
  /** Where connection errors go (throttled, see `redisErrorLog`). @defaultValue nowhere */
  readonly log?: Logger;
}

/** The configured Redis, or a private one when nothing answers and redis-server is installed. */
export async function ensureRedis(o: EnsureOptions = {}): Promise<RedisHandle> {
  const configured = o.url ?? (process.env.INVITO_REDIS_URL || undefined);
  const url = configured ?? DEFAULT_REDIS_URL;
  const fallback = o.fallbackToPrivate ?? configured === undefined;
  checkRedisUrl(url);
  const probe = await ping(url);
  const connections: Redis[] = [];
  const onError = redisErrorLog(o.log);
  const connection = (u: string) => (): Redis => {
    const c = new Redis(u, { maxRetriesPerRequest: null });
    c.on('error', onError);
    connections.push(c);
    return c;
  };
  const disconnect = (): void => {
    for (const c of connections) c.disconnect();
  };
  if (probe) {
    try {
      await assertNoEviction(probe, url);
    } finally {
      probe.disconnect();
    }
    return {
      url,
      private: false,
      connection: connection(url),
      onError,
      disconnect,
      async close() {
        await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      },
    };
  }
  if (!fallback) {
    throw new InvitoError('REDIS_UNAVAILABLE', `nothing answers at the configured Redis ${redact(url)} (INVITO_REDIS_URL); start it, or unset INVITO_REDIS_URL to let invito start a private one`);
  }
  if (!redisServerInstalled()) {
    throw new InvitoError(
      'REDIS_UNAVAILABLE',
      `nothing answers at ${redact(url)} and redis-server is not installed: install Redis (e.g. apt-get install redis-server) or set INVITO_REDIS_URL to a Redis with maxmemory-policy noeviction`,
    );
  }
  const priv = await startPrivateRedis(o.dataDir ?? '.invito/redis');
  return {
    url: priv.url,
    private: true,
    connection: connection(priv.url),
    onError,
    disconnect,
    async close() {
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      await priv.stop();
    },
  };
}

/** Deletes the keys under a prefix (a demo's or a test's queues), never touching anything else. */
export async function deleteKeys(r: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) n += await r.del(...keys);
  } while (cursor !== '0');
  return n;
}
