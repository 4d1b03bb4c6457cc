/**
 * Graceful shutdown: on SIGTERM a worker process stops taking jobs and finishes the ones in
 * flight, so nothing is left claimed (no `unknown`), and another worker finishes the rest.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { campaignRecord } from '../src/pacer/campaigns.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { KyselyStore } from '../src/store/index.js';
import { campaign, CENTER, citizens, REDIS_URL, testPrefix, until, workerEnv } from './support/dispatch.js';

const ROOT = join(import.meta.dirname, '..');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));

describe.skipIf(!built)('graceful shutdown', () => {
  let sandbox: Sandbox | undefined;
  let store: KyselyStore | undefined;
  let dir = '';
  const redis = testPrefix();
  afterAll(async () => {
    await store?.close();
    await sandbox?.close();
    await redis.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM finishes the jobs in flight: nothing is left claimed, and a new worker completes the campaign', async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-term-'));
    sandbox = await startSandbox({ latencyMs: 300, callbackDelayMs: 5 });
    store = await KyselyStore.open(join(dir, 'invito.db'));
    await store.registry.writeCenters('seed', [CENTER]);
    await store.registry.writeCitizens('seed', citizens(80, 80, 0, 'T'));
    await launchCampaign(store.dispatch, campaign('term', '[sms]'), 1000, new Date().toISOString());
    const env = workerEnv(sandbox, {
      INVITO_REDIS_URL: REDIS_URL,
      INVITO_QUEUE_PREFIX: redis.prefix,
      INVITO_LIMIT_SMS: '0',
      INVITO_RELEASE_TICK_MS: '50',
    });
    const args = [join(ROOT, 'bin', 'invito.js'), '--db', join(dir, 'invito.db'), 'worker', '--queues', 'sms', '--concurrency', '10'];
    const first = spawn(process.execPath, args, { env, stdio: 'ignore' });
    await until('some in flight', async () => (await store!.dispatch.unfinished('term')).sending > 0 && sandbox!.outbox().messages.length > 0);
    first.kill('SIGTERM');
    const [code] = await once(first, 'exit');
    expect(code).toBe(0);
    const after = await store.dispatch.unfinished('term');
    expect(after.sending).toBe(0);
    const unknown = await store.db.selectFrom('messages').select('message_id').where('state', '=', 'unknown').execute();
    expect(unknown).toEqual([]);
    const sentBefore = sandbox.outbox().messages.length;
    expect(sentBefore).toBeLessThan(80);

    const second = spawn(process.execPath, args, { env, stdio: 'ignore' });
    try {
      await until('completed', async () => (await campaignRecord(store!, 'term'))?.status === 'completed', 60_000, 100);
    } finally {
      second.kill('SIGTERM');
      await once(second, 'exit');
    }
    const phones = sandbox.outbox().messages.map((m) => m.to);
    expect(phones).toHaveLength(80);
    expect(new Set(phones).size).toBe(80);
  }, 90_000);
});
