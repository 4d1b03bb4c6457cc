/**
 * The first hour of a new user, with the built CLI in a scratch folder: the demo leaves its
 * store where the next commands look, the README's "Next steps" block runs as printed (down to
 * signing in to the console), the demo never writes into a registry it did not make, and every
 * command that reads the registry says so when the store has no citizens or no centres.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyStore } from '../src/store/index.js';
import { BIN, built, runCli } from './support/cli.js';

const ROOT = join(import.meta.dirname, '..');
const run = promisify(execFile);
// The user's environment, without a store or log level of the machine running the tests.
const ENV = { ...process.env, INVITO_DB: '', INVITO_LOG_LEVEL: '' };

const invito = (cwd: string, ...args: string[]) => runCli(args, { cwd, env: { INVITO_LOG_LEVEL: '' } });

/** A README line as typed, with `npx invito` standing for the built CLI. */
const SHELL_PRELUDE = `npx() { shift; "${process.execPath}" "${BIN}" "$@"; }\n`;
async function shell(cwd: string, line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('bash', ['-c', SHELL_PRELUDE + line], { cwd, env: ENV, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The command lines of the README's `n`th sh block of "Next steps" (0: the commands after the demo; 1: answering by text). */
function nextSteps(n = 0): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Next steps'), readme.indexOf('\n## ', readme.indexOf('### Next steps')));
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)][n]?.[1];
  if (!block) throw new Error(`README has no sh block ${n} in "Next steps"`);
  return block.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

const EMPTY_CITIZENS = /invito: note: the store at \S*invito\.db has no citizens: import them with `invito import citizens FILE`/;
const EMPTY_CENTRES = /invito: note: the store at \S*invito\.db has no vaccination centres: import them with `invito import centers FILE`/;

describe.skipIf(!built)('the first hour (built CLI)', () => {
  let cwd: string;
  let serve: ChildProcess | undefined;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'invito-first-hour-'));
    // The README's lines name the sample campaign relative to the clone's root.
    cpSync(join(ROOT, 'campaigns'), join(cwd, 'campaigns'), { recursive: true });
  });
  afterEach(() => {
    serve?.kill('SIGKILL');
    serve = undefined;
    rmSync(cwd, { recursive: true, force: true });
  });

  it("after the demo, the README's next steps run as printed on the demo's store, down to signing in to the console and answering an invitation by text", { timeout: 300_000 }, async () => {
    // What a reader may do first: look at a store before there is one. It says so …
    const before = await invito(cwd, 'status');
    expect(before.code).toBe(0);
    expect(before.stderr).toMatch(EMPTY_CITIZENS);
    // … and the empty store it opened does not stop the demo from using it.
    // The README's demo, with its 4,000 citizens (so the README's ids exist), one day played fast.
    const demo = await invito(cwd, 'demo', '--days', '1', '--time-scale', '50000');
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toContain('the store: .invito/invito.db');

    const lines = nextSteps();
    const commands = lines.map((l) => l.replace(/\s+#.*$/, '').trim());
    for (const step of ['status', 'plan', 'preview', 'simulate', 'operators add', 'serve']) expect(commands.some((c) => c.includes(`npx invito ${step}`))).toBe(true);
    // The demo prints the same lines, with the same citizen id, for its own store.
    for (const c of commands.filter((c) => /npx invito (status|plan|preview|citizens show|simulate)/.test(c))) expect(demo.stdout).toContain(c);

    for (const c of commands.filter((c) => !c.includes('npx invito serve'))) {
      const r = await shell(cwd, c);
      expect({ line: c, code: r.code, stderr: r.stderr }).toEqual({ line: c, code: 0, stderr: expect.not.stringMatching(/note: the store|Error|INTERNAL/) });
      if (c.includes(' status')) expect(r.stdout).toMatch(/^Campaign over80-dose1: active · [1-9][\d,]* recipients/);
      if (c.includes(' plan ')) expect(r.stdout).toMatch(/Cohort: [1-9][\d,]* citizens/);
      if (c.includes(' preview ')) expect(r.stdout).toMatch(/^Citizen C\d+, step invite, provisional appointment at LAZ-/);
      if (c.includes(' simulate ')) expect(r.stdout).toMatch(/total: [1-9]\d* invited/);
      if (c.includes(' operators add ')) expect(r.stdout).toMatch(/^added op1\t/i);
    }

    // serve as printed (on a free port, the one thing a test cannot share), then the console.
    const serveLine = commands.find((c) => c.includes('npx invito serve'))!;
    expect(serveLine).toMatch(/TWILIO_AUTH_TOKEN=\S+ npx invito serve/);
    // `exec` in the stand-in for npx, so the server is the process the test stops.
    const execPrelude = SHELL_PRELUDE.replace('{ shift; ', '{ shift; exec ');
    serve = spawn('bash', ['-c', execPrelude + serveLine.replace('npx invito serve', 'npx invito serve --port 0')], { cwd, env: ENV });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
      serve!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /web console\s+(\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      serve!.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const signIn = await fetch(`${url}/sign-in`);
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await signIn.text())?.[1];
    expect(csrf).toBeDefined();
    const password = /printf '%s\\n' '([^']+)' \| npx invito operators add/.exec(lines.join('\n'))?.[1];
    expect(password).toBeDefined();
    const res = await fetch(`${url}/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ operator: 'op1', password: password!, _csrf: csrf! }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).not.toMatch(/sign-in/);

    // The README's next block: a citizen invited by SMS answers by text, signed as Twilio signs it.
    const base = url.replace(/\/console\/?$/, '');
    const reply = nextSteps(1).map((c) => c.replaceAll('http://127.0.0.1:8080', base));
    expect(reply.join('\n')).toMatch(/sandbox reply --to-webhook/);
    const r = await shell(cwd, ['set -e', ...reply].join('\n'));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/Error|INTERNAL/) });
    expect(r.stdout).toMatch(/the webhook answered 200/);
    expect(r.stdout).toMatch(/confirmed · over80-dose1/);
    expect(r.stdout).toContain('confirm by sms → confirmed');
  });

  it('the demo starts afresh on a store it made, and refuses one holding data it did not write, leaving it untouched', { timeout: 240_000 }, async () => {
    const short = ['demo', '--citizens', '60', '--days', '1', '--time-scale', '50000'];
    expect((await invito(cwd, ...short)).code).toBe(0);
    const again = await invito(cwd, ...short);
    expect(again.code, again.stderr).toBe(0);
    const count = async (): Promise<number> => {
      const store = await KyselyStore.open(join(cwd, '.invito', 'invito.db'));
      try {
        return Number((await store.db.selectFrom('citizens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      } finally {
        await store.close();
      }
    };
    const demoCitizens = await count();
    expect(demoCitizens).toBeGreaterThan(50);
    expect(demoCitizens).toBeLessThanOrEqual(60); // the second run replaced the first, not added to it

    writeFileSync(join(cwd, 'real.csv'), 'citizen_id,birth_date\nREAL1,1931-05-06\n');
    expect((await invito(cwd, 'import', 'citizens', 'real.csv')).code).toBe(0);
    const refused = await invito(cwd, ...short);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the store at \.invito\/invito\.db already holds data the demo did not write.*invito demo --db/);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack
    expect(await count()).toBe(demoCitizens + 1);
  });

  it('every command that reads the registry says so on stderr when the store has no citizens or no centres, and --json stays parseable', { timeout: 240_000 }, async () => {
    const campaign = 'campaigns/over80-dose1.yaml';
    const readers: string[][] = [
      ['status'],
      ['status', '--json'],
      ['plan', campaign],
      ['plan', campaign, '--json'],
      ['preview', campaign, '--citizen', 'C1'],
      ['simulate', campaign, '--days', '1'],
      ['simulate', campaign, '--days', '1', '--json'],
      ['validate', campaign],
      ['launch', campaign, '--json'],
      ['calls', 'next', '--operator', 'op1'],
    ];
    for (const args of readers) {
      const r = await invito(cwd, ...args);
      expect({ args, stderr: r.stderr }).toEqual({ args, stderr: expect.stringMatching(EMPTY_CITIZENS) });
      expect({ args, stderr: r.stderr }).toEqual({ args, stderr: expect.stringMatching(EMPTY_CENTRES) });
      if (args.includes('--json')) expect(() => JSON.parse(r.stdout)).not.toThrow();
    }
    // With citizens but still no centres, only the centres are missing.
    writeFileSync(join(cwd, 'c.csv'), 'citizen_id,birth_date,region\nC1,1931-05-06,LAZ\n');
    expect((await invito(cwd, 'import', 'citizens', 'c.csv')).code).toBe(0);
    const plan = await invito(cwd, 'plan', campaign);
    expect(plan.code).toBe(0);
    expect(plan.stderr).not.toMatch(EMPTY_CITIZENS);
    expect(plan.stderr).toMatch(EMPTY_CENTRES);
    // And with both, nothing is said.
    writeFileSync(join(cwd, 'k.csv'), 'center_id,name,region,daily_capacity,opening,catchment\nK1,Centro,LAZ,375,mon-sat 08:00-20:00,\n');
    expect((await invito(cwd, 'import', 'centers', 'k.csv')).code).toBe(0);
    const quiet = await invito(cwd, 'preview', campaign, '--citizen', 'C1');
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('note:');
  });
});
