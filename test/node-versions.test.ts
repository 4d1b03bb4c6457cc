/**
 * A clean install on every Node version the README names: no package of the lockfile declares
 * an engine those versions fail (npm ci would warn EBADENGINE), package.json's own engines admit
 * them, and the better-sqlite3 that scripts/setup.mjs installs for Node 22+ admits Node 24.
 * `.ci/run` installs on both for real; this catches a lockfile change before CI does.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; dependencies: Record<string, string> };
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

// The oldest release of each line the README names.
const NAMED = ['20.19.0', '24.0.0'];

describe('supported Node versions', () => {
  it('the README names Node 20 and 24, and package.json engines admit exactly those lines', () => {
    expect(readme).toMatch(/\*\*Node\.js versions\*\*: 20 \(20\.19 or later[^)]*\) and\s+24 LTS/);
    for (const v of NAMED) expect(semver.satisfies(v, pkg.engines.node)).toBe(true);
    expect(semver.satisfies('22.12.0', pkg.engines.node)).toBe(false);
  });

  it('no locked package declares a Node engine that a named version fails (npm ci would warn EBADENGINE)', () => {
    const conflicts: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      const range = p.engines && !Array.isArray(p.engines) ? p.engines.node : undefined;
      if (!range || path === '') continue;
      for (const v of NAMED) if (!semver.satisfies(v, range)) conflicts.push(`${path}@${p.version} needs node ${range}, not ${v}`);
    }
    expect(conflicts).toEqual([]);
  });

  it('better-sqlite3: the locked 12.x runs on Node 20, and the 13.x setup installs on Node 24 is within package.json', () => {
    const locked = lock.packages['node_modules/better-sqlite3']!;
    expect(semver.major(locked.version!)).toBe(12);
    const range = pkg.dependencies['better-sqlite3']!;
    expect(semver.satisfies(locked.version!, range)).toBe(true);
    expect(semver.satisfies('13.2.0', range)).toBe(true);
    const setup = readFileSync(join(ROOT, 'scripts', 'setup.mjs'), 'utf8');
    expect(setup).toContain("'better-sqlite3@^13.2.0'");
    expect(semver.subset('^13.2.0', range)).toBe(true);
  });

  it('the installed better-sqlite3 is the one this Node needs, and loads', () => {
    const major = semver.major(process.version);
    const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')).version as string;
    expect(semver.major(installed)).toBe(major >= 22 ? 13 : 12);
    // In a child, so an abort at exit (12.x on Node 24.19+) shows as a failed status.
    const out = execFileSync(process.execPath, ['-e', "const D = require('better-sqlite3'); const d = new D(':memory:'); for (let i = 0; i < 1000; i++) d.prepare('select ' + i).get(); console.log('ok')"], { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim()).toBe('ok');
  });
});
