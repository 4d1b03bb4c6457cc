/**
 * Hostile YAML is a campaign error at a position, never a stack: an alias bomb ("billion
 * laughs") once ended `validate` with an uncaught ReferenceError (exit 1, the stack in --json
 * too), and deep nesting with `1:1: Maximum call stack size exceeded`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MAX_CAMPAIGN_BYTES, MAX_DEPTH } from '../src/campaigns/load.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'invito.js');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
const run = promisify(execFile);

const BOMB = `id: bomb
name: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

async function validate(file: string, text: string | Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'invito-yaml-'));
  writeFileSync(join(cwd, file), text);
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'validate', file, '--json'], { cwd, env: { ...process.env, INVITO_DB: '' }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** What every hostile file must give: exit 4, CAMPAIGN_INVALID, a position, a reason, no stack anywhere. */
function expectCampaignInvalid(r: { code: number; stdout: string; stderr: string }, file: string, reason: RegExp): void {
  expect(r.code).toBe(4);
  const out = JSON.parse(r.stdout) as { ok: boolean; code: string; errors: { where: string; message: string }[] };
  expect(out).toMatchObject({ ok: false, code: 'CAMPAIGN_INVALID' });
  expect(out.errors.length).toBeGreaterThan(0);
  expect(out.errors[0]!.where).toMatch(new RegExp(`^${file.replace('.', '\\.')}:\\d+:\\d+$`));
  expect(out.errors[0]!.message).toMatch(reason);
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toMatch(/^\s+at /m);
    expect(text).not.toMatch(/ReferenceError|RangeError|Maximum call stack/);
  }
}

describe.skipIf(!built)('hostile campaign YAML through the built CLI', () => {
  it('an alias bomb is CAMPAIGN_INVALID (exit 4) at the first alias, with a reason and no stack', async () => {
    const r = await validate('bomb.yaml', BOMB);
    expectCampaignInvalid(r, 'bomb.yaml', /aliases expand to too much data/);
    expect(JSON.parse(r.stdout).errors[0].where).toBe('bomb.yaml:3:8');
  });

  it('flow collections nested thousands deep are CAMPAIGN_INVALID at a real position, not "1:1: Maximum call stack size exceeded"', async () => {
    const r = await validate('deep.yaml', `id: deep\nname: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    expectCampaignInvalid(r, 'deep.yaml', /nested too deeply/);
    expect(JSON.parse(r.stdout).errors[0].where).not.toBe('deep.yaml:1:1');
  });

  it(`nesting past ${MAX_DEPTH} levels that yaml can still parse is refused at the deepest node's line:column`, async () => {
    const r = await validate('nested.yaml', `id: deep\nname: ${'['.repeat(200)}${']'.repeat(200)}\n`);
    expectCampaignInvalid(r, 'nested.yaml', new RegExp(`nested more than ${MAX_DEPTH} levels`));
    expect(JSON.parse(r.stdout).errors[0].where).toBe(`nested.yaml:2:${7 + MAX_DEPTH - 1}`);
  });

  it('block mappings nested thousands deep are CAMPAIGN_INVALID too', async () => {
    let text = '';
    for (let i = 0; i < 1200; i++) text += `${' '.repeat(i)}k:\n`;
    expectCampaignInvalid(await validate('block.yaml', text), 'block.yaml', /nested/);
  });

  it(`a file over ${MAX_CAMPAIGN_BYTES / 1024} KB is refused before it is read`, async () => {
    const r = await validate('huge.yaml', `id: huge\nname: "${'x'.repeat(MAX_CAMPAIGN_BYTES)}"\n`);
    expectCampaignInvalid(r, 'huge.yaml', /at most 1024 KB/);
  });

  it('launch refuses the bomb the same way (the stack never reached --json)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'invito-yaml-'));
    writeFileSync(join(cwd, 'bomb.yaml'), BOMB);
    const r = await run(process.execPath, [BIN, 'launch', 'bomb.yaml', '--json'], { cwd, env: { ...process.env, INVITO_DB: '' } }).then(
      (x) => ({ code: 0, ...x }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(r.code).toBe(4);
    const error = JSON.parse(r.stdout).error;
    expect(error.code).toBe('CAMPAIGN_INVALID');
    expect(error.issues[0].where).toMatch(/^bomb\.yaml:\d+:\d+$/);
    expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
  });
});
