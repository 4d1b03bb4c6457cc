/**
 * Scratch files for tests that feed invito a file (a registry, a campaign): a fresh folder per
 * test, and the error a call must end with.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvitoError } from '../../src/core/errors.js';

export interface Scratch {
  readonly dir: string;
  /** Writes `content` to `name` in the scratch folder and returns its path. */
  file(name: string, content: string | Buffer): string;
}

export function scratch(prefix: string): Scratch {
  const dir = mkdtempSync(join(tmpdir(), `invito-${prefix}-`));
  return {
    dir,
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
  };
}

/** The InvitoError `p` rejects with; anything else (or success) fails the test. */
export async function failure(p: Promise<unknown>): Promise<InvitoError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InvitoError) return e;
    throw e;
  }
  throw new Error('the call did not fail');
}
