/**
 * A reader that stops early (`| head`) ends any command quietly with status 0: no unhandled
 * EPIPE stack, and a writer that would go on forever (`status --watch`) stops. The built CLI on
 * a SQLite store holding a call campaign (call tasks for `calls list`, citizens over 80 and a
 * centre for `simulate` and `preview`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselyStore } from '../src/store/index.js';
import { callWorld } from './desk/support.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'invito.js');
const CAMPAIGN = join(ROOT, 'campaigns', 'over80-dose1.yaml');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
const TASKS = 1500;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

const collect = (child: ReturnType<typeof spawn>, timeoutMs = 60_000): Promise<Ended> =>
  new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${timeoutMs} ms with its stdout closed; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });

const quiet = (r: Ended): void => {
  expect(r.stderr).not.toContain('EPIPE');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.signal).toBeNull();
  expect(r.code).toBe(0);
};

describe.skipIf(!built)('a closed output pipe (built CLI)', () => {
  let dir = '';
  let db = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-epipe-'));
    db = join(dir, 'invito.db');
    const store = await KyselyStore.open(db);
    try {
      await callWorld(store, { n: TASKS, always: true });
    } finally {
      await store.close();
    }
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The reader is gone before the command writes anything: its first write fails. */
  const withStdoutClosed = (args: string[]): Promise<Ended> => {
    const child = spawn(process.execPath, [BIN, '--db', db, ...args], { env: { ...process.env, INVITO_DB: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.destroy();
    return collect(child);
  };

  /** `… | head -1` as a shell runs it; with pipefail the pipeline's status is invito's. */
  const intoHead = (args: string[]): Promise<Ended> => {
    const line = [process.execPath, BIN, '--db', db, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('bash', ['-c', `set -o pipefail; ${line} | head -1 >/dev/null`], { env: { ...process.env, INVITO_DB: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    return collect(child);
  };

  it('calls list | head -1 ends with status 0 and no EPIPE stack, with more output than the pipe buffer holds', async () => {
    // 1,500 lines of about 60 bytes: well past a 64 KiB pipe buffer, so writes outlive head.
    quiet(await intoHead(['calls', 'list', '--limit', String(TASKS)]));
    quiet(await withStdoutClosed(['calls', 'list', '--limit', String(TASKS)]));
  }, 120_000);

  it('text-mode simulate into a closed pipe ends with status 0 and no EPIPE stack', async () => {
    quiet(await withStdoutClosed(['simulate', CAMPAIGN, '--days', '3']));
  }, 120_000);

  it('text-mode preview into a closed pipe ends with status 0 and no EPIPE stack', async () => {
    quiet(await withStdoutClosed(['preview', CAMPAIGN, '--citizen', 'P00000']));
  }, 60_000);

  it('status --watch, which writes until stopped, stops with status 0 once its reader is gone', async () => {
    quiet(await withStdoutClosed(['status', '--watch', '1']));
  }, 60_000);
});
