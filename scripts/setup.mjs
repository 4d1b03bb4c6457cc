#!/usr/bin/env node
// Brings a fresh clone (or a stale one) up to date before the demo or the tests run:
// installs the locked dependencies when node_modules is missing or older than the lockfile,
// and rebuilds dist/ when a source file is newer than the last build. Uses only Node itself,
// because it must run before any dependency is installed.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const installed = join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < mtime(join(root, 'package-lock.json'))) {
  console.error('invito setup: installing dependencies (npm ci)…');
  run('npm ci --no-audit --no-fund');
}
const built = join(root, 'dist', 'cli', 'main.js');
if (mtime(built) < Math.max(newest(join(root, 'src')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'tsconfig.build.json')))) {
  console.error('invito setup: building (tsc)…');
  run('npm run build --silent');
}
