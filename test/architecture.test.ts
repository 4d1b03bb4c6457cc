/**
 * The folders of src/ are layers whose dependencies point one way (docs/ARCHITECTURE.md):
 * scripts/check-cycles.mjs, run by `npm test`, says so, and it must catch a cycle made of the
 * imports that are easiest to miss (type-only, `import('…')` types, re-exports).
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scratch } from './support/files.js';

const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'check-cycles.mjs');

async function check(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, ...args]);
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '' };
  }
}

describe('folder dependencies', () => {
  it('no import cycle between the folders of src, type-only imports included', async () => {
    const { code, stdout } = await check();
    expect(stdout).toMatch(/^no folder cycle \(\d+ folders, \d+ edges\)$/m);
    expect(code).toBe(0);
  });

  it('a cycle through a type-only import, an import() type or a re-export is reported with an import per edge, exit 1', async () => {
    const s = scratch('cycles');
    const put = (name: string, text: string): void => {
      mkdirSync(dirname(join(s.dir, name)), { recursive: true });
      s.file(name, text);
    };
    // a ↔ b: the way back is a type-only import
    put('a/x.ts', "import { y } from '../b/y.js';\nexport interface X { readonly y: typeof y }\n");
    put('b/y.ts', "import type { X } from '../a/x.js';\nexport const y = 1;\nexport type Y = X;\n");
    // c ↔ d: an import() type one way, a re-export the other
    put('c/deep/z.ts', "export type Z = import('../../d/w.js').W;\n");
    put('d/w.ts', "export type W = number;\nexport * from '../c/deep/z.js';\n");
    // e only mentions a, in a comment and a string: neither is an import
    put('e/v.ts', "// import { y } from '../a/x.js';\nexport const text = \"import '../a/x.js'\";\n");
    put('e/u.ts', "import { text } from './v.js';\nexport const u = text;\n");

    const { code, stdout } = await check('--root', s.dir);
    expect(code).toBe(1);
    expect(stdout).toContain('folders in a cycle: a, b');
    expect(stdout).toContain('cycle: a → b → a');
    expect(stdout).toContain('a → b: a/x.ts → b/y.ts');
    expect(stdout).toContain('b → a: b/y.ts → a/x.ts');
    expect(stdout).toContain('folders in a cycle: c, d');
    expect(stdout).toContain('c → d: c/deep/z.ts → d/w.ts');
    expect(stdout).toContain('d → c: d/w.ts → c/deep/z.ts');
    expect(stdout).not.toMatch(/\be\b/);
  });

  it('the same tree without the way back has no cycle', async () => {
    const s = scratch('cycles');
    mkdirSync(join(s.dir, 'a'));
    mkdirSync(join(s.dir, 'b'));
    s.file('a/x.ts', "import { y } from '../b/y.js';\nexport const x = y;\n");
    s.file('b/y.ts', 'export const y = 1;\n');
    const { code, stdout } = await check('--root', s.dir);
    expect(stdout.trim()).toBe('no folder cycle (2 folders, 1 edges)');
    expect(code).toBe(0);
  });
});
