/** What every command shares: opening the store from `--db` / `INVITO_DB`, and output helpers. */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import pino from 'pino';
import { configFromEnv, openApp } from '../app/index.js';
import { type AuditAction, type AuditDetails, AuditLog } from '../authority/audit.js';
import type { KyselyStore } from '../store/index.js';

/**
 * Opens the store named by the global `--db` option, or `INVITO_DB`, or the default SQLite file,
 * through the composition root (a one-shot command needs the store alone, no Redis).
 */
export async function storeFor(cmd: Command): Promise<KyselyStore> {
  const root = cmd.optsWithGlobals() as { db?: string };
  return (await openApp(configFromEnv(process.env, { ...(root.db ? { db: root.db } : {}) }))).store;
}

/** Runs `fn` with the store and always closes it. */
export async function withStore<T>(cmd: Command, fn: (store: KyselyStore) => Promise<T>): Promise<T> {
  const store = await storeFor(cmd);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * A reader that stops early (`| head`) closes the pipe, and the next write fails with EPIPE.
 * That ends the command quietly with status 0, whatever it was doing: a long writer (`status
 * --watch`, a worker logging) stops instead of writing into nothing, and nobody sees a stack.
 */
export function endOnClosedPipe<S extends NodeJS.EventEmitter>(stream: S): S {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  return stream;
}

/** Where the JSON logs go (stderr), ending the process like stdout does when its pipe closes. */
export const logDestination = (): pino.DestinationStream => endOnClosedPipe(pino.destination(2));

/** Who a command acts as in the audit log (the OS account) and where from (the host). */
export function cliActor(): { actor: string; origin: string } {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A container without a passwd entry: the uid is all there is.
    user = String(process.getuid?.() ?? 'unknown');
  }
  return { actor: `cli:${user}`, origin: `cli@${hostname()}` };
}

/** Records what a command did in the audit log, as the OS account on this host. */
export async function audit(store: KyselyStore, action: AuditAction, target: string | null, details?: AuditDetails): Promise<void> {
  await new AuditLog(store.audit).record({ ...cliActor(), action, target, ...(details ? { details } : {}) });
}

/** Reads all of stdin (a password given with `--password-stdin`), without its final newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const printJson = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value) + '\n');
};

/** A one-line progress bar on stderr, redrawn at most a few times a second, only on a terminal. */
export function progressBar(label: string): { update(done: number, total: number, rows: number): void; end(): void } {
  if (!process.stderr.isTTY) return { update() {}, end() {} };
  const started = Date.now();
  let last = 0;
  return {
    update(done, total, rows) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const share = total > 0 ? Math.min(1, done / total) : 0;
      const width = 30;
      const filled = Math.round(share * width);
      const rate = Math.round(rows / Math.max(0.001, (now - started) / 1000));
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${rows.toLocaleString('en')} rows  ${rate.toLocaleString('en')} rows/s `);
    },
    end() {
      process.stderr.write('\n');
    },
  };
}

/**
 * Resolves on the first SIGINT or SIGTERM. The handlers go at once, so a second signal during a
 * slow shutdown ends the process the usual way.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(sig);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
