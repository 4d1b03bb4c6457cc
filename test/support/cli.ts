/**
 * The built CLI as a user runs it: `node bin/invito.js …` in a process of its own, with the
 * store chosen by the test (INVITO_DB cleared so the machine's own never leaks in).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'invito.js');
/** Whether `dist/` is there: tests of the built CLI skip without it. */
export const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Added to the test's environment (after INVITO_DB is cleared). */
  env?: Record<string, string>;
  /** Written to the command's standard input, which is then closed. @defaultValue nothing */
  stdin?: string;
}

/** Runs `invito ARGS` and resolves with its exit status and output, whatever the status. */
export function runCli(args: readonly string[], o: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: { ...process.env, INVITO_DB: '', ...o.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(o.stdin ?? '');
  });
}
