import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planCampaign } from '../../src/pacer/plan.js';
import { campaignSchema, type Campaign } from '../../src/campaigns/schema.js';
import { cohortQuery, UNRANKED } from '../../src/cohort/criteria.js';
import { forecast, type CenterCapacity, type ServedGroup } from '../../src/pacer/forecast.js';
import { SendCalendar } from '../../src/pacer/windows.js';
import type { CenterRecord, CitizenRecord } from '../../src/registry/store.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

function campaign(extra: Record<string, unknown> = {}, pacing: Record<string, unknown> = {}): Campaign {
  return campaignSchema.parse({
    id: 'fc',
    name: 'Forecast',
    reference_date: '2021-03-01',
    priority_groups: [{ code: 'HCW', rank: 1 }],
    cohort: { age: { min: 80 }, priority_groups: { include: ['HCW'] } },
    steps: [{ id: 'invite', channels: ['sms', 'call'], template: 'invite' }],
    pacing: { daily_target: 25, ...pacing },
    ...extra,
  });
}

/** A small registry: catchment by ASL, by municipality, the region's centres, and a region with none. */
const PLACES = [
  { region: 'LAZ', asl: 'RM1', municipality: 'Roma', n: 120 },
  { region: 'LAZ', asl: 'RM2', municipality: 'Tivoli', n: 40 },
  { region: 'LAZ', asl: 'RM6', municipality: 'Frascati', n: 30 },
  { region: 'LAZ', asl: 'RM6', municipality: 'Velletri', n: 20 },
  { region: 'TOS', asl: 'FI', municipality: 'Firenze', n: 50 },
  { region: 'SIC', asl: 'PA', municipality: 'Palermo', n: 10 },
];
const HCW = 10; // the first ten of Roma are health-care workers (rank 1)

function citizens(): CitizenRecord[] {
  const out: CitizenRecord[] = [];
  let line = 1;
  for (const p of PLACES) {
    for (let i = 0; i < p.n; i++) {
      const id = `${p.municipality.slice(0, 3).toUpperCase()}${String(i).padStart(4, '0')}`;
      out.push({
        citizen_id: id, given_name: null, family_name: null, birth_date: `19${30 + (i % 10)}-05-0${1 + (i % 9)}`, sex: null,
        // A quarter of Tivoli has no phone: only an operator's call reaches them.
        phone: p.municipality === 'Tivoli' && i % 4 === 0 ? null : '+393331234567', email: null,
        language: 'it', region: p.region, asl: p.asl, municipality: p.municipality, doses: 0, last_dose_date: null, opt_out: false,
        priority_groups: p.municipality === 'Roma' && i < HCW ? ['HCW'] : [], line: line++,
      });
    }
  }
  // Younger and not a health-care worker: outside the cohort.
  out.push({ ...out[HCW]!, citizen_id: 'YOUNG', birth_date: '1990-01-01', line });
  return out;
}

const center = (id: string, region: string, capacity: number, opening: string, catchment: string[]): CenterRecord => ({
  center_id: id, name: id, region, asl: null, municipality: null, address: null, daily_capacity: capacity, opening, catchment, line: 1,
});

const CENTERS: CenterRecord[] = [
  center('L1', 'LAZ', 20, 'mon-sat 08:00-20:00', ['RM1']),
  center('L2', 'LAZ', 10, 'mon-fri 08:00-20:00', ['RM2']),
  center('L3', 'LAZ', 5, 'mon-sat 08:00-13:00', ['Frascati']),
  center('T1', 'TOS', 15, 'daily 07:00-22:00', []),
];

const COHORT = PLACES.reduce((a, p) => a + p.n, 0);
const UNSERVED = 10;

const bigCenter = (capacity: number, opening = 'mon-sat 08:00-20:00'): CenterCapacity[] => [{ centerId: 'C', dailyCapacity: capacity, opening }];
const oneGroup = (members: number, rank = UNRANKED): ServedGroup[] => [{ rank, centers: ['C'], members, unreachable: 0 }];
const row = (f: ReturnType<typeof forecast>, date: string) => f.schedule.find((r) => r.date === date)!;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`forecast counts on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
      await t.store.registry.writeCenters('seed', CENTERS);
      await t.store.registry.writeCitizens('seed', citizens());
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('members are grouped by rank and serving centres: catchment by ASL or municipality, else the region, else none', async () => {
      const groups = await t.store.forecast.servedGroups(cohortQuery(campaign()), ['sms', 'call']);
      expect(groups).toEqual([
        { rank: 1, centers: ['L1'], members: HCW, unreachable: 0 },
        { rank: UNRANKED, centers: [], members: 10, unreachable: 0 },
        { rank: UNRANKED, centers: ['L1'], members: 120 - HCW, unreachable: 0 },
        { rank: UNRANKED, centers: ['L1', 'L2', 'L3'], members: 20, unreachable: 0 },
        { rank: UNRANKED, centers: ['L2'], members: 40, unreachable: 0 },
        { rank: UNRANKED, centers: ['L3'], members: 30, unreachable: 0 },
        { rank: UNRANKED, centers: ['T1'], members: 50, unreachable: 0 },
      ]);
      // Without the call, the phoneless quarter of Tivoli is reached by nothing.
      const bySms = await t.store.forecast.servedGroups(cohortQuery(campaign()), ['sms']);
      expect(bySms.find((g) => g.centers.join() === 'L2')).toEqual({ rank: UNRANKED, centers: ['L2'], members: 30, unreachable: 10 });
      expect(bySms.reduce((a, g) => a + g.members + g.unreachable, 0)).toBe(COHORT);
      expect(await t.store.forecast.centerCapacities()).toEqual([
        { centerId: 'L1', dailyCapacity: 20, opening: 'mon-sat 08:00-20:00' },
        { centerId: 'L2', dailyCapacity: 10, opening: 'mon-fri 08:00-20:00' },
        { centerId: 'L3', dailyCapacity: 5, opening: 'mon-sat 08:00-13:00' },
        { centerId: 'T1', dailyCapacity: 15, opening: 'daily 07:00-22:00' },
      ]);
    });

    it('the plan\'s schedule invites every served member once, on open days only, and no centre-day goes past its capacity', async () => {
      const c = campaign({}, { daily_target: 60 });
      const plan = await planCampaign(t.store, c, undefined, { forecast: { ceilingPerSecond: 100, coverage: 0.5 } });
      const schedule = plan.schedule!;
      const invited = schedule.reduce((a, r) => a + r.invitations, 0);
      expect(plan.forecast!.unserved).toBe(UNSERVED);
      expect(invited).toBe(COHORT - UNSERVED);
      const cal = new SendCalendar(c);
      for (const r of schedule) if (r.invitations > 0) expect(cal.openMs('sms', r.date)).toBeGreaterThan(0);
      const last = schedule.filter((r) => r.invitations > 0).at(-1)!;
      expect(plan.completesOn).toBe(last.date);
      expect(plan.days).toBe(schedule.indexOf(last) + 1);
      for (const r of schedule) expect(r.appointments).toBeLessThanOrEqual(r.capacity);
      const daily = Object.fromEntries(CENTERS.map((k) => [k.center_id, k.daily_capacity]));
      for (const u of plan.utilisation!) {
        expect(u.peak).toBeLessThanOrEqual(daily[u.center]!);
        expect(u.used).toBeLessThanOrEqual(u.capacity);
      }
      // Capacity binds (60 a day for 50 slots a day at 0.7 acceptance would need 86): L1 is full on its busiest day.
      expect(plan.utilisation!.find((u) => u.center === 'L1')!.peak).toBe(20);
      // Appointments are the accepted share of the invitations, to the unit.
      const appointments = schedule.reduce((a, r) => a + r.appointments, 0);
      expect(appointments).toBe(schedule.reduce((a, r) => a + r.accepted, 0));
      expect(Math.abs(appointments - 0.7 * invited)).toBeLessThanOrEqual(7);
    });

    it('members no channel of the invitation reaches are not invited and do not hold up completion', async () => {
      const c = campaign({ steps: [{ id: 'invite', channels: ['sms'], template: 'invite' }] }, { daily_target: 60 });
      const plan = await planCampaign(t.store, c, undefined, { forecast: { ceilingPerSecond: null } });
      expect(plan.forecast).toMatchObject({ unserved: UNSERVED, unreachable: 10 });
      expect(plan.schedule!.reduce((a, r) => a + r.invitations, 0)).toBe(COHORT - UNSERVED - 10);
      expect(plan.completesOn).not.toBeNull();
    });

    it('health-care workers (rank 1) are all invited on the first day, before anyone unranked', async () => {
      const f = forecast(campaign({}, { daily_target: 10 }), await t.store.forecast.servedGroups(cohortQuery(campaign()), ['sms']), await t.store.forecast.centerCapacities(), { ceilingPerSecond: null });
      expect(row(f, '2021-03-01')).toMatchObject({ invitations: HCW, accepted: Math.round(HCW * 0.7) });
      // Only L1 serves them: their acceptances take its first slots, two days later (lead_days).
      expect(row(f, '2021-03-03').appointments).toBe(Math.round(HCW * 0.7));
    });
  });
}

describe('forecast model', () => {
  it('a shortfall is carried over a closed day to the next open day, and a closed day\'s own target is dropped', () => {
    // 600 s of window at 0.25/s: at most 150 invitations a day.
    const c = campaign(
      { windows: { sms: 'mon-sat 09:00-09:10' }, closed_dates: ['2021-03-02'] },
      { daily_target: 100, by_date: { '2021-03-01': 200, '2021-03-02': 500 } },
    );
    const f = forecast(c, oneGroup(100_000), bigCenter(100_000), { ceilingPerSecond: 0.25 });
    expect(row(f, '2021-03-01')).toMatchObject({ open: true, target: 200, invitations: 150 });
    expect(row(f, '2021-03-02')).toMatchObject({ open: false, target: 0, invitations: 0 });
    expect(row(f, '2021-03-03')).toMatchObject({ open: true, target: 150, invitations: 150 });
    expect(row(f, '2021-03-04')).toMatchObject({ target: 100, invitations: 100 });
    const off = forecast(campaignSchema.parse({ ...c, pacing: { ...c.pacing, carry_over: false } }), oneGroup(100_000), bigCenter(100_000), { ceilingPerSecond: 0.25 });
    expect(row(off, '2021-03-03')).toMatchObject({ target: 100, invitations: 100 });
  });

  it('Sundays and public holidays invite nobody (Easter Monday 2021-04-05)', () => {
    const c = campaign({ reference_date: '2021-04-01' }, { daily_target: 50 });
    const f = forecast(c, oneGroup(2_000), bigCenter(10_000, 'daily 08:00-20:00'), { ceilingPerSecond: null });
    expect(row(f, '2021-04-04').invitations).toBe(0); // Easter Sunday
    expect(row(f, '2021-04-05')).toMatchObject({ open: false, invitations: 0 });
    expect(row(f, '2021-04-06').invitations).toBe(50);
    expect(f.schedule.reduce((a, r) => a + r.invitations, 0)).toBe(2_000);
  });

  it('daily_target: capacity invites the target day\'s free slots over the expected acceptance', () => {
    const c = campaign({}, { daily_target: 'capacity', acceptance: { expected: 0.7 } });
    const f = forecast(c, oneGroup(10_000), bigCenter(70), { ceilingPerSecond: null });
    // Monday 03-01 → slots of Wednesday 03-03: 70 / 0.7 = 100 invitations, 70 appointments.
    expect(row(f, '2021-03-01')).toMatchObject({ target: 100, invitations: 100, accepted: 70 });
    expect(row(f, '2021-03-03')).toMatchObject({ appointments: 70, capacity: 70 });
    // Friday's target day is a Sunday, when the centre is closed: no slots, no invitations.
    // Saturday feeds Monday and Tuesday (Sunday sends nothing): 140 / 0.7 = 200.
    expect(row(f, '2021-03-05')).toMatchObject({ target: 0, invitations: 0 });
    expect(row(f, '2021-03-06')).toMatchObject({ target: 200, invitations: 200, accepted: 140 });
    expect(row(f, '2021-03-09')).toMatchObject({ capacity: 70, appointments: 70 });
    for (const r of f.schedule) expect(r.appointments).toBeLessThanOrEqual(r.capacity);
    expect(f.centers[0]!.peak).toBe(70);
    // Every other centre-day from the first target day on is full while invitations go on.
    const busy = f.schedule.filter((r) => r.date >= '2021-03-03' && r.date < '2021-04-01' && r.capacity > 0);
    for (const r of busy) expect(r.appointments).toBe(70);
  });

  it('a numeric target above capacity is cut to the slots the horizon still has, and the rest is carried', () => {
    const c = campaign({}, { daily_target: 5_000 });
    const f = forecast(c, oneGroup(10_000), bigCenter(70), { ceilingPerSecond: null });
    const first = row(f, '2021-03-01');
    // 28 days of horizon from 03-03: 24 open centre-days × 70 slots, at 0.7 acceptance.
    expect(first.invitations).toBe(Math.floor((24 * 70) / 0.7));
    expect(row(f, '2021-03-02').target).toBe(5_000 + 5_000 - first.invitations);
    // The next day reaches one more centre-day (03-31): 70 slots, 100 invitations.
    expect(row(f, '2021-03-02').invitations).toBe(100);
    for (const r of f.schedule) expect(r.appointments).toBeLessThanOrEqual(r.capacity);
    expect(f.schedule.reduce((a, r) => a + r.invitations, 0)).toBe(10_000);
  });

  it('coverage is reached on the first day the appointments so far reach the share of the cohort', () => {
    const f = forecast(campaign({}, { daily_target: 100 }), oneGroup(1_000), bigCenter(1_000), { ceilingPerSecond: null, coverage: 0.5 });
    const first = f.schedule.find((r) => r.coverage >= 0.5)!;
    expect(f.coverage).toEqual({ share: 0.5, reachedOn: first.date });
    let sum = 0;
    for (const r of f.schedule) {
      sum += r.appointments;
      if (r.date === first.date) break;
    }
    expect(sum).toBeGreaterThanOrEqual(500);
    expect(sum - row(f, first.date).appointments).toBeLessThan(500);
    expect(f.completesOn).toBe('2021-03-11'); // ten open days of 100 (Sunday 03-07 closed)
    expect(f.days).toBe(11);
  });

  it('without centres the schedule is pacing alone: invitations by the target, appointments lead_days later', () => {
    const f = forecast(campaign({}, { daily_target: 100 }), [{ rank: UNRANKED, centers: [], members: 250, unreachable: 0 }], [], { ceilingPerSecond: null });
    expect(f.capacityModelled).toBe(false);
    expect(f.unserved).toBe(0);
    expect(f.schedule.map((r) => r.invitations).slice(0, 3)).toEqual([100, 100, 50]);
    expect(row(f, '2021-03-03').appointments).toBe(70);
    expect(f.completesOn).toBe('2021-03-03');
  });

  it('the forecast stops at daysMax when the cohort cannot be invited', () => {
    const f = forecast(campaign({}, { daily_target: 1 }), oneGroup(1_000), bigCenter(10), { ceilingPerSecond: null, daysMax: 30 });
    expect(f.schedule).toHaveLength(30);
    expect(f.completesOn).toBeNull();
    expect(f.days).toBeNull();
  });
});

const ROOT = join(import.meta.dirname, '..', '..');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));

async function plan(...args: string[]): Promise<{ code: number; stdout: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'invito-plan-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'invito.js'), 'plan', join(ROOT, 'campaigns', 'over80-dose1.yaml'), '--json', ...args], { cwd, env: { ...process.env, INVITO_DB: '' } });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

describe.skipIf(!built)('invito plan (built): the forecast options', () => {
  it('--start and --days-max shape the schedule; --coverage is echoed with its day', async () => {
    const r = await plan('--start', '2021-03-06', '--days-max', '3', '--coverage', '0.5');
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.forecast.start).toBe('2021-03-06');
    expect(p.schedule[0].date).toBe('2021-03-06');
    expect(p.schedule.length).toBeLessThanOrEqual(3);
    expect(p.coverage.share).toBe(0.5);
    expect(p).toHaveProperty('completesOn');
    expect(p).toHaveProperty('days');
  });

  it('a bad option is a usage error naming it, before anything runs', async () => {
    for (const [args, name] of [[['--start', '2021-02-30'], '--start'], [['--coverage', '0'], '--coverage'], [['--days-max', '1.5'], '--days-max']] as const) {
      const r = await plan(...args);
      expect(r.code).toBe(2);
      const err = JSON.parse(r.stdout).error;
      expect(err.code).toBe('USAGE');
      expect(err.message).toContain(name);
    }
  });
});
