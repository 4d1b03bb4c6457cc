/**
 * The forecast against reality: Italy's real national doses per day, February–June 2021
 * (data/italy/doses-2021.csv, derived from the government's open data, CC BY 4.0), replayed as
 * `pacing.by_date`. See docs/PLAN-VS-REALITY.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignSchema } from '../../src/campaigns/schema.js';
import { forecast, type CenterCapacity } from '../../src/pacer/forecast.js';
import { SendCalendar } from '../../src/pacer/windows.js';

const DATA = join(import.meta.dirname, '..', '..', 'data', 'italy', 'doses-2021.csv');
const SOURCE = '/work/shared/data/italy/somministrazioni-vaccini-summary-latest.csv';

const real = readFileSync(DATA, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [date, doses] = line.split(',') as [string, string];
    return { date, doses: Number(doses) };
  });

const replay = (extra: Record<string, unknown> = {}) =>
  campaignSchema.parse({
    id: 'italy-replay',
    name: 'Italy 2021 replay',
    reference_date: '2021-02-01',
    steps: [{ id: 'invite', channels: ['sms'], template: 'invite' }],
    pacing: { daily_target: 1, by_date: Object.fromEntries(real.map((r) => [r.date, r.doses])) },
    ...extra,
  });

// Capacity that never binds: 5,000,000 places a day, as 50 centres at the 100,000 an import accepts.
const AMPLE: CenterCapacity[] = Array.from({ length: 50 }, (_, i) => ({ centerId: `ALL-${i + 1}`, dailyCapacity: 100_000, opening: 'daily 07:00-22:00' }));
const COHORT = [{ rank: 1, centers: AMPLE.map((c) => c.centerId), members: 60_000_000, unreachable: 0 }];

describe('plan vs reality: Italy, February–June 2021', () => {
  it('the project copy holds every day from 1 February to 30 June 2021', () => {
    expect(real).toHaveLength(150);
    expect(real[0]).toEqual({ date: '2021-02-01', doses: 86_503 });
    expect(real.at(-1)!.date).toBe('2021-06-30');
    expect(real.reduce((a, r) => a + r.doses, 0)).toBe(50_144_440);
  });

  it.skipIf(!existsSync(SOURCE))('the project copy is the national sum of the regional open-data file, day by day', () => {
    const [header, ...rows] = readFileSync(SOURCE, 'utf8').trim().split(/\r?\n/);
    const cols = header!.split(',');
    const sums = new Map<string, number>();
    for (const line of rows) {
      const f = line.split(',');
      const day = f[cols.indexOf('data')]!;
      if (day >= '2021-02-01' && day <= '2021-06-30') sums.set(day, (sums.get(day) ?? 0) + Number(f[cols.indexOf('totale')]));
    }
    expect(Object.fromEntries(real.map((r) => [r.date, r.doses]))).toEqual(Object.fromEntries(sums));
  });

  it('invitations equal the real figure on every open day when neither capacity nor ceilings bind; closed days send nothing', () => {
    const campaign = replay();
    const f = forecast(campaign, COHORT, AMPLE, { ceilingPerSecond: 100, daysMax: real.length });
    const cal = new SendCalendar(campaign);
    expect(f.schedule).toHaveLength(real.length);
    let open = 0;
    f.schedule.forEach((row, i) => {
      expect(row.date).toBe(real[i]!.date);
      if (cal.openMs('sms', row.date) > 0) {
        open++;
        expect(row.invitations).toBe(real[i]!.doses);
      } else {
        expect(row.invitations).toBe(0);
      }
    });
    expect(open).toBe(126); // 150 days less 21 Sundays, Easter Monday, 1 May and 2 June
  });

  it('with every day open the plan is the real curve, day for day', () => {
    const f = forecast(replay({ windows: { sms: 'daily 09:00-20:00' }, holidays: 'none' }), COHORT, AMPLE, { ceilingPerSecond: 100, daysMax: real.length });
    expect(f.schedule.map((r) => r.invitations)).toEqual(real.map((r) => r.doses));
  });

  it('under a binding ceiling (10/s over 11 h = 396,000 a day) a day sends the ceiling and carries the rest; unbound days still follow reality', () => {
    const f = forecast(replay(), COHORT, AMPLE, { ceilingPerSecond: 10, daysMax: real.length });
    const cap = 396_000;
    let bound = 0;
    let previousShortfall = 0;
    f.schedule.forEach((row, i) => {
      if (!row.open) return;
      expect(row.target).toBe(real[i]!.doses + previousShortfall);
      expect(row.invitations).toBe(Math.min(row.target, cap));
      if (previousShortfall === 0 && real[i]!.doses <= cap) expect(row.invitations).toBe(real[i]!.doses);
      if (row.target > cap) bound++;
      previousShortfall = row.target - row.invitations;
    });
    expect(bound).toBeGreaterThan(0);
  });
});
