/**
 * The command line as a user runs it: the built `bin/invito.js` in a scratch directory, on the
 * default SQLite store. `npm test` builds dist/ first, so these exercise the import worker too.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { built, runCli } from './support/cli.js';

const CAMPAIGN = join(import.meta.dirname, '..', 'campaigns', 'over80-dose1.yaml');
const invito = (cwd: string, ...args: string[]) => runCli(args, { cwd });

describe.skipIf(!built)('invito CLI (built)', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'invito-cli-'));
  });

  it('generate → import → plan gives the same cohort the store computes, as one stable JSON object', async () => {
    expect((await invito(cwd, 'generate', 'citizens', '--count', '3000', '--seed', '7', '--dirty', '--out', 'c.csv')).code).toBe(0);
    const imp = await invito(cwd, 'import', 'citizens', 'c.csv', '--json');
    expect(imp.code).toBe(0);
    const summary = JSON.parse(imp.stdout);
    expect(Object.keys(summary).sort()).toEqual(['imported', 'rejected', 'rejectsFile', 'run', 'warnings', 'warningsFile']);
    expect(summary.rejected).toBeGreaterThan(0);
    expect(summary.imported + summary.rejected).toBe(3000);
    expect(summary.rejectsFile).toBe('c.csv.rejects.csv');
    expect(existsSync(join(cwd, '.invito', 'invito.db'))).toBe(true);

    const plan = await invito(cwd, 'plan', CAMPAIGN, '--json');
    expect(plan.code).toBe(0);
    const p = JSON.parse(plan.stdout);
    expect(p.campaign).toBe('over80-dose1');
    expect(Object.keys(p.cohort).sort()).toEqual(['byAgeBand', 'byGroup', 'byRegion', 'reachable', 'total']);
    expect(Object.keys(p.cohort.reachable).sort()).toEqual(['callOnly', 'email', 'sms']);
    const bandSum = Object.values(p.cohort.byAgeBand as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(bandSum).toBe(p.cohort.total);
    expect(p.cohort.total).toBeGreaterThan(0);
  });

  it('the worker-thread import rejects the same rows, at the same lines, as the reference rules', async () => {
    writeFileSync(
      join(cwd, 'c.csv'),
      'citizen_id,birth_date,doses\nA,1950-01-01,0\nB,1950-02-30,0\nA,1951-01-01,0\nC,1950-01-01,-2\n',
    );
    const r = await invito(cwd, 'import', 'citizens', 'c.csv', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ imported: 1, rejected: 3 });
    const rejects = readFileSync(join(cwd, 'c.csv.rejects.csv'), 'utf8');
    expect(rejects).toContain('3,birth_date is not a real calendar date');
    expect(rejects).toContain('4,citizen_id already seen at line 2');
    expect(rejects).toContain('5,doses is negative');
  });

  it('a header with an unknown column stops the import with a non-zero status and names the column', async () => {
    writeFileSync(join(cwd, 'bad.csv'), 'citizen_id,birth_date,colour\nA,1950-01-01,red\n');
    const r = await invito(cwd, 'import', 'citizens', 'bad.csv');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('"colour"');
    expect(r.stderr).toContain('IMPORT_UNKNOWN_COLUMN');
  });

  it('an unreadable file is a clear error with a non-zero status', async () => {
    const r = await invito(cwd, 'import', 'citizens', 'missing.csv', '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error.code).toBe('FILE_UNREADABLE');
  });

  it('validate prints ok for a good campaign and every error with line:column for a bad one', async () => {
    const ok = await invito(cwd, 'validate', CAMPAIGN);
    expect(ok).toMatchObject({ code: 0, stdout: 'ok\n' });
    writeFileSync(
      join(cwd, 'bad.yaml'),
      readFileSync(CAMPAIGN, 'utf8').replace('channels: [sms, email, call]', 'channels: [sms, pigeon]').replace('daily_target: 110000', 'daily_target: many').replace('cohort:', 'cohort:\n  regoins: [LAZ]'),
    );
    const bad = await invito(cwd, 'validate', 'bad.yaml');
    expect(bad.code).toBe(4);
    const lines = bad.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^bad\.yaml:\d+:\d+: unknown key "cohort\.regoins" — did you mean "regions"\?$/);
    expect(lines[1]).toMatch(/^bad\.yaml:\d+:\d+: steps\[0\]\.channels\[1\]: "pigeon" is not a channel \(sms, email, voice, call, whatsapp\)$/);
    expect(lines[2]).toMatch(/^bad\.yaml:\d+:\d+: pacing\.daily_target: "many" must be a whole number/);
  });

  it('preview --json prints one object per channel with the SMS accounting and the email parts', async () => {
    writeFileSync(join(cwd, 'c.csv'), 'citizen_id,given_name,family_name,birth_date,sex,phone,email,language,region\nP1,ANNA,D\'ANGELO,1935-01-01,F,3331234567,anna@example.com,en,LAZ\n');
    writeFileSync(join(cwd, 'k.csv'), 'center_id,name,region,daily_capacity,opening,catchment\nK1,Centro Sant\'Anna,LAZ,375,mon-sat 08:00-20:00,\n');
    await invito(cwd, 'import', 'citizens', 'c.csv');
    await invito(cwd, 'import', 'centers', 'k.csv');
    const r = await invito(cwd, 'preview', CAMPAIGN, '--citizen', 'P1', '--json');
    expect(r.code).toBe(0);
    const items = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(items.map((i) => i.channel)).toEqual(['sms', 'email', 'call']);
    expect(items[0]).toMatchObject({ channel: 'sms', language: 'en', encoding: 'GSM-7' });
    expect(items[0].text).toContain("Centro Sant'Anna");
    expect(items[0].text).not.toContain('&#x27;'); // SMS is never HTML-escaped
    expect(items[0].segments).toBeGreaterThanOrEqual(1);
    expect(items[1]).toMatchObject({ channel: 'email', language: 'en' });
    expect(items[1].html).toContain('D&#x27;Angelo'); // the HTML part is
    expect(Object.keys(items[1]).sort()).toEqual(['channel', 'citizen', 'html', 'inCohort', 'language', 'notInCohort', 'optOut', 'optedOut', 'subject', 'text']);
  });

  it('launch, status, pause, resume and cancel work from the command line, and launching twice adds nobody', async () => {
    expect((await invito(cwd, 'generate', 'citizens', '--count', '2000', '--seed', '3', '--regions', 'LAZ', '--out', 'c.csv')).code).toBe(0);
    expect((await invito(cwd, 'generate', 'centers', '--regions', 'LAZ', '--count', '5', '--out', 'k.csv')).code).toBe(0);
    await invito(cwd, 'import', 'citizens', 'c.csv');
    await invito(cwd, 'import', 'centers', 'k.csv');
    const first = await invito(cwd, 'launch', CAMPAIGN, '--rate', '50', '--json');
    expect(first.code).toBe(0);
    const l1 = JSON.parse(first.stdout);
    expect(l1).toMatchObject({ campaign: 'over80-dose1', created: true });
    expect(l1.recipients).toBeGreaterThan(0);
    const again = JSON.parse((await invito(cwd, 'launch', CAMPAIGN, '--rate', '50', '--json')).stdout);
    expect(again).toMatchObject({ created: false, recipients: l1.recipients, added: 0 });

    const status = JSON.parse((await invito(cwd, 'status', '--json')).stdout);
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ campaign: 'over80-dose1', status: 'active', recipients: l1.recipients });
    expect(status[0].totals.pending).toBe(l1.recipients);

    expect((await invito(cwd, 'pause', 'over80-dose1', '--reason', 'centre closed')).code).toBe(0);
    expect(JSON.parse((await invito(cwd, 'status', 'over80-dose1', '--json')).stdout)[0]).toMatchObject({ status: 'paused', reason: 'centre closed' });
    expect((await invito(cwd, 'resume', 'over80-dose1')).code).toBe(0);
    expect((await invito(cwd, 'cancel', 'over80-dose1')).code).toBe(0);
    const cancelled = JSON.parse((await invito(cwd, 'status', 'over80-dose1', '--json')).stdout)[0];
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.totals.cancelled).toBe(l1.recipients);
    const relaunch = await invito(cwd, 'launch', CAMPAIGN, '--json');
    expect(relaunch.code).toBe(4);
    expect(JSON.parse(relaunch.stdout).error.code).toBe('CAMPAIGN_STATE');
    expect((await invito(cwd, 'status', 'nope')).code).toBe(4);
  });

  it('npx invito --help lists the commands', async () => {
    const r = await invito(cwd, '--help');
    expect(r.code).toBe(0);
    for (const c of ['import', 'generate', 'validate', 'plan', 'preview', 'demo']) expect(r.stdout).toContain(c);
  });
});
