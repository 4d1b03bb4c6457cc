/**
 * Every number read from a file, a campaign or a flag has both bounds, and is refused with its
 * field named: the pacer lays out one slot row per place and loops per day, so an unchecked
 * `daily_capacity: 99999999999` once killed every worker (V8 "invalid size").
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { forecast } from '../src/pacer/forecast.js';
import { slotStarts } from '../src/pacer/slots.js';
import { MAX_DAILY_CAPACITY, validateCenter } from '../src/registry/centers.js';
import { parseOpening } from '../src/registry/opening.js';
import { issuesOf } from './support/campaigns.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'invito.js');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
const run = promisify(execFile);

const BASE = `id: c1
name: "Prima dose"
reference_date: 2021-03-01
steps:
  - id: invite
    channels: [sms]
    template: invite
  - id: reminder
    channels: [sms]
    template: reminder
    send: { before_appointment: { days: 1 } }
  - id: follow-up
    channels: [call]
    template: follow-up
    send: { no_answer_after: { days: 5 } }
pacing:
  daily_target: 1000
`;


describe('campaign numbers have both bounds, refused at their line with the field named', () => {
  const cases: [string, string, RegExp][] = [
    ['appointments.slot_minutes', BASE + 'appointments: { slot_minutes: 100000 }\n', /^appointments\.slot_minutes: 100000 must be at most 240$/],
    ['appointments.slot_minutes', BASE + 'appointments: { slot_minutes: 0 }\n', /^appointments\.slot_minutes: 0 must be at least 5$/],
    ['appointments.lead_days', BASE + 'appointments: { lead_days: 365000 }\n', /^appointments\.lead_days: 365000 must be at most 60$/],
    ['appointments.horizon_days', BASE + 'appointments: { horizon_days: 99999999999 }\n', /^appointments\.horizon_days: 99999999999 must be at most 120$/],
    ['pacing.daily_target', BASE.replace('daily_target: 1000', 'daily_target: 99999999999'), /^pacing\.daily_target: 99999999999 must be at most 100,000,000$/],
    ['pacing.by_date', BASE.replace('daily_target: 1000', 'daily_target: 1000\n  by_date: { 2021-03-02: 1e12 }'), /^pacing\.by_date\.2021-03-02: 1e12 must be at most 100,000,000$/],
    ['pacing.acceptance.prior_weight', BASE.replace('daily_target: 1000', 'daily_target: 1000\n  acceptance: { prior_weight: 1e15 }'), /^pacing\.acceptance\.prior_weight: 1e15 must be at most 1,000,000$/],
    ['pacing.acceptance.expected', BASE.replace('daily_target: 1000', 'daily_target: 1000\n  acceptance: { expected: 7 }'), /^pacing\.acceptance\.expected: 7 must be at most 1$/],
    ['sms.max_segments', BASE + 'sms: { max_segments: 1000 }\n', /^sms\.max_segments: 1000 must be at most 10$/],
    ['sms.price_per_segment', BASE + 'sms: { price_per_segment: 1e300 }\n', /^sms\.price_per_segment: 1e300 must be at most 100$/],
    ['steps[1].send.before_appointment.days', BASE.replace('days: 1 }', 'days: 400 }'), /^steps\[1\]\.send\.before_appointment\.days: 400 must be at most 14$/],
    ['steps[2].send.no_answer_after.days', BASE.replace('days: 5 }', 'days: 0 }'), /^steps\[2\]\.send\.no_answer_after\.days: 0 must be at least 1$/],
    ['calls.lease_minutes', BASE + 'calls: { lease_minutes: 100000 }\n', /^calls\.lease_minutes: 100000 /],
    ['calls.recycle.busy.max_attempts', BASE + 'calls: { recycle: { busy: { after_minutes: 15, max_attempts: 1000000 } } }\n', /^calls\.recycle\.busy\.max_attempts: 1000000 /],
    ['errors.min_finished', BASE + 'errors: { min_finished: 1e12 }\n', /^errors\.min_finished: 1e12 must be at most 10,000,000$/],
    ['cohort.doses.max', BASE + 'cohort: { doses: { max: 1000000 } }\n', /^cohort\.doses\.max: 1000000 must be at most 20$/],
    ['priority_groups[0].rank', BASE + 'priority_groups: [{ code: HCW, rank: 99999999 }]\n', /^priority_groups\[0\]\.rank: 99999999 must be at most 1,000$/],
    ['pacing.daily_target (.inf)', BASE.replace('daily_target: 1000', 'daily_target: .inf'), /^pacing\.daily_target: \.inf /],
  ];
  for (const [field, text, message] of cases) {
    it(`${field} out of bounds is CAMPAIGN_INVALID naming the field at its line:column`, () => {
      const issues = issuesOf(text);
      expect(issues.length).toBeGreaterThan(0);
      for (const i of issues) expect(i.where).toMatch(/^c\.yaml:\d+:\d+$/);
      expect(issues.map((i) => i.message)).toContainEqual(expect.stringMatching(message));
    });
  }

  it('the largest values inside the bounds are accepted', () => {
    const text = BASE.replace('daily_target: 1000', 'daily_target: 100000000') + 'appointments: { slot_minutes: 240, lead_days: 60, horizon_days: 120 }\nsms: { max_segments: 10 }\n';
    expect(issuesOf(text)).toEqual([]);
  });

  it('closed_dates longer than ten years of days is refused, not kept in memory per tick', () => {
    const dates = Array.from({ length: 3661 }, (_, i) => new Date(Date.UTC(2021, 0, 1 + i)).toISOString().slice(0, 10));
    const issues = issuesOf(BASE + `closed_dates: [${dates.join(', ')}]\n`);
    expect(issues.map((i) => i.message)).toEqual(['closed_dates lists more than 3,660 days']);
  });
});

describe("a centre's daily_capacity is at most 100,000", () => {
  const row = (capacity: string) => ({ center_id: 'LAZ-0001', name: 'Nuvola', region: 'LAZ', daily_capacity: capacity, opening: 'mon-sat 08:00-20:00' });

  it('an import rejects 99999999999 with the field named, and takes 100,000', () => {
    const bad = validateCenter(row('99999999999'), 2);
    expect(bad).toMatchObject({ reject: 'daily_capacity must be at most 100,000 a day' });
    expect(validateCenter(row(String(MAX_DAILY_CAPACITY)), 2)).toMatchObject({ row: { daily_capacity: 100_000 } });
  });

  it('a centre-day is never laid out for a capacity above the bound (a row an import would refuse)', () => {
    const rules = parseOpening('mon-sat 08:00-20:00');
    if (!rules.ok) throw new Error('opening');
    expect(() => slotStarts(rules.value, 99_999_999_999, '2021-03-01', 'Europe/Rome', 15)).toThrow(expect.objectContaining({ code: 'CENTER_INVALID' }));
    expect(slotStarts(rules.value, MAX_DAILY_CAPACITY, '2021-03-01', 'Europe/Rome', 15)).toHaveLength(MAX_DAILY_CAPACITY);
  });

  it('the forecast refuses such a centre by id instead of overflowing its 32-bit slot counts', () => {
    const { campaign } = parseCampaign(BASE, 'c.yaml');
    const run = () => forecast(campaign, [{ rank: 1, members: 10, unreachable: 0, centers: ['LAZ-0001'] }] as never, [{ centerId: 'LAZ-0001', dailyCapacity: 99_999_999_999, opening: 'mon-sat 08:00-20:00' }], { daysMax: 30, ceilingPerSecond: null });
    expect(run).toThrow(expect.objectContaining({ code: 'CENTER_INVALID', message: expect.stringContaining('LAZ-0001') }));
  });
});

describe.skipIf(!built)('numeric flags of the built CLI have both bounds (usage error, exit 2)', () => {
  async function invito(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, INVITO_DB: '' }, timeout: 20_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }
  const cwd = mkdtempSync(join(tmpdir(), 'invito-bounds-'));
  writeFileSync(join(cwd, 'c.yaml'), readFileSync(join(ROOT, 'campaigns', 'over80-dose1.yaml'), 'utf8'));
  const cases: [string, string[], string][] = [
    ['launch --rate', ['launch', 'c.yaml', '--rate', '1e12', '--json'], '--rate'],
    ['worker --concurrency', ['worker', '--concurrency', '100000000'], '--concurrency'],
    ['worker --concurrency (fraction)', ['worker', '--concurrency', '2.5'], '--concurrency'],
    ['worker --time-scale', ['worker', '--time-scale', '1e300'], '--time-scale'],
    ['status --watch', ['status', '--watch', '1e12', '--json'], '--watch'],
    ['generate centers --capacity', ['generate', 'centers', '--out', 'k.csv', '--capacity', '99999999999'], '--capacity'],
    ['calls list --limit', ['calls', 'list', '--limit', '1e9', '--json'], '--limit'],
    ['plan --days-max', ['plan', 'c.yaml', '--days-max', '99999999', '--json'], '--days-max'],
    ['simulate --days', ['simulate', 'c.yaml', '--days', '99999999', '--json'], '--days'],
    ['generate citizens --count', ['generate', 'citizens', '--out', 'c.csv', '--count', '99999999999'], '--count'],
  ];
  for (const [name, args, flag] of cases) {
    it(`${name} out of bounds is USAGE naming the flag`, async () => {
      const r = await invito(cwd, ...args);
      expect(r.code).toBe(2);
      if (args.includes('--json')) {
        const error = JSON.parse(r.stdout).error;
        expect(error.code).toBe('USAGE');
        expect(error.message).toContain(flag);
      } else {
        expect(r.stderr).toContain('[USAGE]');
        expect(r.stderr).toContain(flag);
      }
    });
  }
});
