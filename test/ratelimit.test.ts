/**
 * The provider ceiling is global: two worker processes (the built CLI) share one BullMQ rate
 * limit in Redis, so together they never exceed it. Measured on what the sandbox received.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchCampaign } from '../src/pacer/launch.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { KyselyStore } from '../src/store/index.js';
import { campaign, CENTER, citizens, REDIS_URL, testPrefix, until, workerEnv } from './support/dispatch.js';

const ROOT = join(import.meta.dirname, '..');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
const LIMIT = 25;

describe.skipIf(!built)('global rate limit across worker processes', () => {
  const children: ChildProcess[] = [];
  let sandbox: Sandbox | undefined;
  let store: KyselyStore | undefined;
  let dir = '';
  const redis = testPrefix();

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await store?.close();
    await sandbox?.close();
    await redis.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`two workers together never send more than ${LIMIT} SMS in any second`, async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-rate-'));
    sandbox = await startSandbox({ callbackDelayMs: 5 });
    store = await KyselyStore.open(join(dir, 'invito.db'));
    await store.registry.writeCenters('seed', [CENTER]);
    await store.registry.writeCitizens('seed', citizens(150, 150, 0, 'R'));
    await launchCampaign(store.dispatch, campaign('rate', '[sms]'), 1000, new Date().toISOString());
    const env = workerEnv(sandbox, {
      INVITO_REDIS_URL: REDIS_URL,
      INVITO_QUEUE_PREFIX: redis.prefix,
      INVITO_LIMIT_SMS: String(LIMIT),
      INVITO_RELEASE_TICK_MS: '50',
    });
    for (let i = 0; i < 2; i++) {
      children.push(spawn(process.execPath, [join(ROOT, 'bin', 'invito.js'), '--db', join(dir, 'invito.db'), 'worker', '--queues', 'sms', '--concurrency', '20'], { env, stdio: 'ignore' }));
    }
    await until('all sent', async () => sandbox!.outbox().messages.length >= 150, 60_000, 100);
    const times = sandbox.outbox().messages.map((m) => Date.parse(m.time)).sort((a, b) => a - b);
    // The largest number received in any sliding one-second window.
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    const seconds = (times[times.length - 1]! - times[0]!) / 1000;
    console.log(`rate limit: ${times.length} SMS in ${seconds.toFixed(1)} s by 2 workers, at most ${worst} in any second (limit ${LIMIT})`);
    expect(worst).toBeLessThanOrEqual(LIMIT);
    // And the limit was the bottleneck, not something slower: close to LIMIT per second overall.
    expect(times.length / Math.max(seconds, 1)).toBeGreaterThan(LIMIT * 0.6);
  }, 90_000);
});
