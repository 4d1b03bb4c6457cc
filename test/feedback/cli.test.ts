/** `invito serve`'s configuration checks, run in-process: a bad setting stops it before the store is opened. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/commands/serve.js';
import type { InvitoError } from '../../src/core/errors.js';

describe('invito serve configuration', () => {
  let dir: string;
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'invito-serve-'));
    saved = { TWILIO_AUTH_TOKEN: process.env.TWILIO_AUTH_TOKEN, INVITO_PUBLIC_URL: process.env.INVITO_PUBLIC_URL };
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(...args: string[]): Promise<InvitoError> {
    const program = new Command('invito').option('--db <url>').exitOverride();
    register(program);
    return program.parseAsync(['node', 'invito', '--db', join(dir, 'invito.db'), 'serve', ...args]).then(
      () => { throw new Error('serve returned without an error'); },
      (e: InvitoError) => e,
    );
  }

  it('without TWILIO_AUTH_TOKEN it refuses to start (CONFIG_INVALID) and creates no store', async () => {
    delete process.env.TWILIO_AUTH_TOKEN;
    expect((await serve('--port', '0')).code).toBe('CONFIG_INVALID');
    expect(existsSync(join(dir, 'invito.db'))).toBe(false);
  });

  it('an INVITO_PUBLIC_URL that is not an http(s) URL is CONFIG_INVALID, before the store opens', async () => {
    process.env.TWILIO_AUTH_TOKEN = 'token';
    for (const url of ['ftp://invito.example.org', 'not a url', 'https://invito.example.org/?x=1']) {
      process.env.INVITO_PUBLIC_URL = url;
      expect((await serve('--port', '0')).code, url).toBe('CONFIG_INVALID');
    }
    expect(existsSync(join(dir, 'invito.db'))).toBe(false);
  });

  it('a port outside 0–65535 is a USAGE error', async () => {
    process.env.TWILIO_AUTH_TOKEN = 'token';
    delete process.env.INVITO_PUBLIC_URL;
    expect((await serve('--port', '70000')).code).toBe('USAGE');
  });
});
