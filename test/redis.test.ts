/**
 * Redis for the queues: a Redis that could evict keys is refused (jobs would vanish), and when
 * nothing answers a private redis-server is started with append-only persistence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { InvitoError } from '../src/core/errors.js';
import { ensureRedis, redisServerInstalled, startPrivateRedis } from '../src/queues/redis.js';

describe.skipIf(!redisServerInstalled())('Redis for the queues', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'invito-redis-'));
    cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
    return d;
  };

  it('a configured Redis that does not answer is an error, never a quiet private one', async () => {
    const err = await ensureRedis({ url: 'redis://127.0.0.1:1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvitoError);
    expect((err as InvitoError).code).toBe('REDIS_UNAVAILABLE');
    expect((err as InvitoError).message).toMatch(/INVITO_REDIS_URL/);
  });

  it('refuses a Redis whose maxmemory-policy is not noeviction', async () => {
    const r = await startPrivateRedis(tempDir());
    cleanups.unshift(() => r.stop());
    const admin = new Redis(r.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
    const err = await ensureRedis({ url: r.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvitoError);
    expect((err as InvitoError).code).toBe('REDIS_EVICTION_POLICY');
  });

  it('starts a private Redis with append-only persistence and no eviction when nothing answers, and stops it', async () => {
    const dir = tempDir();
    const h = await ensureRedis({ url: 'redis://127.0.0.1:1', dataDir: join(dir, 'redis'), fallbackToPrivate: true });
    expect(h.private).toBe(true);
    const c = h.connection();
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await c.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
    expect(await c.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    const url = h.url;
    await h.close();
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  });
});
