/**
 * Exactly once, under violence: worker processes (the built CLI) are killed with SIGKILL at
 * random instants while a few thousand recipients are sent, and the Redis they share is killed
 * and restarted from its append-only file mid-run. Afterwards what the sandbox received is
 * compared with the store: nobody got a message twice, every recorded send is one the provider
 * really received, and every recipient ends in a final, visible state.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchCampaign } from '../src/pacer/launch.js';
import { startPrivateRedis } from '../src/queues/redis.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { KyselyStore } from '../src/store/index.js';
import { campaign, CENTER, citizens, until, workerEnv } from './support/dispatch.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'invito.js');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
const RECIPIENTS = 3000;

describe.skipIf(!built)('exactly once under kill -9 (worker processes and Redis)', () => {
  let dir: string;
  let store: KyselyStore;
  let sandbox: Sandbox;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let redisPort: number;
  const workers = new Set<ChildProcess>();
  let env: NodeJS.ProcessEnv;

  const spawnWorker = (): ChildProcess => {
    const w = spawn(process.execPath, [BIN, '--db', join(dir, 'invito.db'), 'worker', '--concurrency', '8'], { env, stdio: ['ignore', 'ignore', 'ignore'] });
    workers.add(w);
    w.once('exit', () => workers.delete(w));
    return w;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-kill-'));
    redis = await startPrivateRedis(join(dir, 'redis'));
    redisPort = Number(new URL(redis.url).port);
    // Latency widens the window between claim and record, so kills land mid-send too.
    sandbox = await startSandbox({ latencyMs: 3, callbackDelayMs: 5 });
    store = await KyselyStore.open(join(dir, 'invito.db'));
    await store.registry.writeCenters('seed', [CENTER]);
    await store.registry.writeCitizens('seed', citizens(RECIPIENTS, 2000, 700, 'K'));
    env = workerEnv(sandbox, {
      INVITO_REDIS_URL: redis.url,
      INVITO_QUEUE_PREFIX: 'kill',
      INVITO_LIMIT_SMS: '0',
      INVITO_LIMIT_EMAIL: '0',
      INVITO_LIMIT_VOICE: '0',
      INVITO_LOCK_MS: '2000',
      INVITO_RELEASE_TICK_MS: '50',
      INVITO_RECONCILE_MS: '1000',
      INVITO_STALE_QUEUED_MS: '3000',
      INVITO_CLAIM_TIMEOUT_MS: '6000',
      INVITO_BACKOFF_MS: '100',
    });
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await store?.close();
    await sandbox?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nobody is messaged twice and nobody is silently skipped', async () => {
    await launchCampaign(store.dispatch, campaign('kill'), 800, new Date().toISOString());
    for (let i = 0; i < 3; i++) spawnWorker();

    let kills = 0;
    const started = Date.now();
    let redisRestarted = false;
    while (Date.now() - started < 7000) {
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 400));
      const victims = [...workers];
      const victim = victims[Math.floor(Math.random() * victims.length)];
      if (victim) {
        victim.kill('SIGKILL');
        kills++;
      }
      // A worker started while Redis is down stops with REDIS_UNAVAILABLE: keep three running.
      while (workers.size < 3) spawnWorker();
      if (!redisRestarted && Date.now() - started > 3000) {
        redis.process.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 200));
        redis = await startPrivateRedis(join(dir, 'redis'), redisPort);
        redisRestarted = true;
      }
    }
    expect(kills).toBeGreaterThan(5);
    expect(redisRestarted).toBe(true);

    await until(
      'every message has an outcome',
      async () => {
        while (workers.size < 3) spawnWorker();
        // At rest: nothing pending, queued or being sent (the call tasks wait for operators, and keep the campaign active).
        const left = await store.dispatch.unfinished('kill');
        return left.pending + left.queued + left.sending === 0;
      },
      120_000,
      250,
    );
    for (const w of workers) w.kill('SIGTERM');
    await sandbox.idle();

    const rows = await store.db
      .selectFrom('messages as m')
      .innerJoin('citizens as c', 'c.citizen_id', 'm.citizen_id')
      .select(['m.citizen_id', 'm.state', 'm.channel', 'm.provider_id', 'c.phone', 'c.email'])
      .execute();
    expect(rows).toHaveLength(RECIPIENTS);
    const out = sandbox.outbox();
    const received = new Map<string, number>();
    const bump = (k: string): void => void received.set(k, (received.get(k) ?? 0) + 1);
    for (const m of out.messages) bump(m.to);
    for (const e of out.emails) for (const to of e.to) bump(to);
    const tasks = await store.db.selectFrom('call_tasks').select('citizen_id').execute();
    for (const t of tasks) bump(t.citizen_id);
    const providerIds = new Set([...out.messages.map((m) => m.id), ...out.emails.map((e) => e.messageId), ...tasks.map((t) => t.citizen_id)]);

    const states: Record<string, number> = {};
    for (const r of rows) {
      states[r.state] = (states[r.state] ?? 0) + 1;
      const key = r.channel === 'sms' ? r.phone! : r.channel === 'email' ? r.email! : r.citizen_id;
      const n = received.get(key) ?? 0;
      // Nobody is messaged twice.
      expect(n, `${r.citizen_id} received ${n}`).toBeLessThanOrEqual(1);
      // A recorded send is one the provider really has.
      if (r.state === 'sent') {
        expect(n).toBe(1);
        if (r.channel !== 'call') expect(providerIds.has(r.provider_id!)).toBe(true);
      }
    }
    // Nobody is silently skipped: every recipient ends sent, or visibly unknown.
    expect(Object.keys(states).filter((s) => s !== 'sent' && s !== 'unknown' && s !== 'delivered' && s !== 'undelivered')).toEqual([]);
    console.log(`kill test: ${kills} worker kills, Redis restarted once; outcomes ${JSON.stringify(states)}; provider received ${[...received.values()].reduce((a, b) => a + b, 0)}`);
  }, 180_000);
});
