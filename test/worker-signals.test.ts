/**
 * Stopping a worker when Redis is gone: the built CLI's worker on a Redis of its own, which the
 * test kills. A SIGTERM gives jobs in flight INVITO_SHUTDOWN_GRACE_MS and then the worker drops
 * its connections and exits non-zero (it used to wait for Redis forever); a second signal ends it
 * at once; and while Redis is down the logs are a few JSON lines, not a stack per reconnect.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { redisServerInstalled, startPrivateRedis } from '../src/queues/redis.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'invito.js');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));

interface Worker {
  readonly child: ChildProcess;
  /** stdout and stderr, as they arrive. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!built || !redisServerInstalled())('worker shutdown while Redis is down (built CLI)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A worker (call queue only: no provider needed) on a private Redis, started and then Redis killed. */
  async function workerWithoutRedis(graceMs: number): Promise<Worker> {
    const dir = mkdtempSync(join(tmpdir(), 'invito-signals-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const redis = await startPrivateRedis(join(dir, 'redis'));
    cleanups.push(() => redis.stop());
    const child = spawn(process.execPath, [BIN, '--db', join(dir, 'invito.db'), 'worker', '--queues', 'call'], {
      env: { ...process.env, INVITO_DB: '', INVITO_REDIS_URL: redis.url, INVITO_QUEUE_PREFIX: 'signals', INVITO_SHUTDOWN_GRACE_MS: String(graceMs), INVITO_LOG_LEVEL: 'info', INVITO_LINK_SECRET: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const deadline = Date.now() + 60_000;
    while (!out.includes('worker started')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the worker did not start: ${out}`);
      await sleep(50);
    }
    redis.process.kill('SIGKILL');
    return { child, output: () => out, exited };
  }

  /** Resolves when the worker exits, or with `null` after `ms` (it is then still running). */
  const exitWithin = (w: Worker, ms: number) => Promise.race([w.exited, sleep(ms).then(() => null)]);

  it('SIGTERM while Redis is down: the worker waits INVITO_SHUTDOWN_GRACE_MS, drops its connections and exits non-zero', async () => {
    const w = await workerWithoutRedis(1500);
    await sleep(1000);
    const sent = Date.now();
    w.child.kill('SIGTERM');
    const end = await exitWithin(w, 1500 + 4000);
    expect(end, `still running 5.5 s after SIGTERM; output:\n${w.output()}`).not.toBeNull();
    expect(end!.signal).toBeNull();
    expect(end!.code).toBe(6);
    expect(end!.at - sent).toBeGreaterThanOrEqual(1400);
    expect(w.output()).toContain('[SHUTDOWN_INCOMPLETE]');
  }, 90_000);

  it('a second signal ends a stopping worker at once, long before the grace runs out', async () => {
    const w = await workerWithoutRedis(60_000);
    w.child.kill('SIGTERM');
    await sleep(500);
    expect(w.child.exitCode).toBeNull();
    const second = Date.now();
    w.child.kill('SIGINT');
    const end = await exitWithin(w, 3000);
    expect(end, `still running 3 s after the second signal; output:\n${w.output()}`).not.toBeNull();
    expect(end!.code === 0).toBe(false);
    expect(end!.at - second).toBeLessThan(3000);
  }, 90_000);

  it('while Redis is down the worker logs a few single JSON lines with the error code and address, never a stack', async () => {
    const w = await workerWithoutRedis(500);
    const from = w.output().length;
    await sleep(7000);
    const lines = w.output().slice(from).split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    const records = lines.map((l) => {
      try {
        return JSON.parse(l) as { code?: string; address?: string; port?: number };
      } catch {
        throw new Error(`not one JSON line: ${l}\n(all output:\n${w.output()})`);
      }
    });
    // ioredis retries every connection about every two seconds: 7 s would be dozens of reports.
    expect(records.length).toBeLessThanOrEqual(4);
    expect(records.some((r) => r.code === 'ECONNREFUSED' && r.address === '127.0.0.1' && typeof r.port === 'number')).toBe(true);
    w.child.kill('SIGTERM');
    expect(await exitWithin(w, 5000)).not.toBeNull();
  }, 90_000);

  it('with Redis up, SIGTERM stops an idle worker cleanly: status 0 well within the grace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invito-signals-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const redis = await startPrivateRedis(join(dir, 'redis'));
    cleanups.push(() => redis.stop());
    const child = spawn(process.execPath, [BIN, '--db', join(dir, 'invito.db'), 'worker', '--queues', 'call'], {
      env: { ...process.env, INVITO_DB: '', INVITO_REDIS_URL: redis.url, INVITO_QUEUE_PREFIX: 'signals', INVITO_SHUTDOWN_GRACE_MS: '20000', INVITO_LINK_SECRET: 'test' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    cleanups.push(() => void (child.exitCode === null && child.kill('SIGKILL')));
    while (!err.includes('worker started')) await sleep(50);
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - sent).toBeLessThan(10_000);
  }, 90_000);
});
