#!/usr/bin/env node
// Brings a fresh clone (or a stale one) up to date before the demo or the tests run:
// installs the locked dependencies when node_modules is missing or older than the lockfile,
// and rebuilds dist/ when a source file is newer than the last build. Uses only Node itself,
// because it must run before any dependency is installed.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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
// better-sqlite3 for this Node: the lockfile's 12.x is Node 20's (13 does not run there); on
// Node 22 and later it is 13.x (Node-API), because 12.x aborts at exit on Node 24.19+
// (node::ObjectWrap's cleanup hook, "Assertion failed: (env) != nullptr").
const nodeMajor = Number(process.versions.node.split('.')[0]);
const sqlitePkg = join(root, 'node_modules', 'better-sqlite3', 'package.json');
const sqliteMajor = existsSync(sqlitePkg) ? Number(JSON.parse(readFileSync(sqlitePkg, 'utf8')).version.split('.')[0]) : 0;
const wanted = nodeMajor >= 22 ? 13 : 12;
if (sqliteMajor !== wanted) {
  const spec = wanted === 13 ? 'better-sqlite3@^13.2.0' : `better-sqlite3@${JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages['node_modules/better-sqlite3'].version}`;
  console.error(`invito setup: installing ${spec} for Node ${process.version}…`);
  run(`npm install --no-save --no-audit --no-fund ${spec}`);
}
const built = join(root, 'dist', 'cli', 'main.js');
if (mtime(built) < Math.max(newest(join(root, 'src')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'tsconfig.build.json')))) {
  console.error('invito setup: building (tsc)…');
  run('npm run build --silent');
}
// `--chromium` (npm test): the console's browser test drives Debian's Chromium through
// playwright-core, which never downloads a browser, so the machine must have one.
const CHROMIUM = '/usr/bin/chromium';
if (process.argv.includes('--chromium') && !existsSync(CHROMIUM)) {
  const install = 'apt-get install -y --no-install-recommends chromium';
  if (process.getuid?.() !== 0) {
    console.error(`invito setup: ${CHROMIUM} is missing and installing it needs root: run \`sudo ${install}\``);
    process.exit(1);
  }
  console.error('invito setup: installing chromium (apt-get)…');
  const apt = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt(install);
  } catch {
    // A fresh machine has no package lists yet.
    try {
      apt('apt-get update');
      apt(install);
    } catch {
      // reported below
    }
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`invito setup: could not install chromium (${install}); the browser tests need ${CHROMIUM}`);
    process.exit(1);
  }
}
