/**
 * The eligibility rule (cohort/eligibility.ts), pure: whether a citizen still belongs to a
 * campaign's cohort as the registry says now, and which rule they fail first.
 */
import { describe, expect, it } from 'vitest';
import type { CohortRules } from '../src/cohort/criteria.js';
import { type Eligibility, ineligibility } from '../src/cohort/eligibility.js';
import { cohortReasons } from '../src/cohort/standing.js';

const rules = (cohort: Record<string, unknown>): CohortRules => ({ reference_date: '2021-03-01', priority_groups: [], cohort } as CohortRules);
const citizen: Eligibility = { doses: 0, lastDoseDate: null, region: 'LAZ', deceased: false, optOut: false };

describe('ineligibility', () => {
  it('is null for a citizen the cohort still holds, and names the rule otherwise (opt-out, deceased, doses, region)', () => {
    const r = rules({ doses: { max: 0 }, regions: ['LAZ'] });
    expect(ineligibility(r, citizen, '2021-03-05')).toBeNull();
    expect(ineligibility(r, { ...citizen, doses: 1 }, '2021-03-05')).toBe('doses');
    expect(ineligibility(r, { ...citizen, region: 'LOM' }, '2021-03-05')).toBe('region');
    expect(ineligibility(r, { ...citizen, region: null }, '2021-03-05')).toBe('region');
    expect(ineligibility(r, { ...citizen, deceased: true, doses: 1 }, '2021-03-05')).toBe('deceased');
    expect(ineligibility(r, { ...citizen, optOut: true, deceased: true }, '2021-03-05')).toBe('opted_out');
    // Without doses or regions rules, a dose or a move changes nothing.
    expect(ineligibility(rules({}), { ...citizen, doses: 3, region: 'LOM' }, '2021-03-05')).toBeNull();
    expect(ineligibility(rules({ doses: { min: 1 } }), citizen, '2021-03-05')).toBe('doses');
  });

  it('reads last_dose (days since the last dose on the given day) when the cohort has it: both bounds inclusive, no dose is out', () => {
    const r = rules({ last_dose: { min_days: 21, max_days: 42 } });
    const dosed = (d: string): Eligibility => ({ ...citizen, doses: 1, lastDoseDate: d });
    expect(ineligibility(r, dosed('2021-03-01'), '2021-03-22')).toBeNull(); // 21 days
    expect(ineligibility(r, dosed('2021-03-01'), '2021-03-21')).toBe('last_dose'); // 20 days
    expect(ineligibility(r, dosed('2021-03-01'), '2021-04-12')).toBeNull(); // 42 days
    expect(ineligibility(r, dosed('2021-03-01'), '2021-04-13')).toBe('last_dose'); // 43 days
    expect(ineligibility(r, citizen, '2021-04-01')).toBe('last_dose');
  });

  it('the preview names a deceased citizen among the rules that keep them out', () => {
    const standing = { citizen_id: 'X1', birth_date: '1930-01-01', region: 'LAZ', doses: 0, groups: [], opt_out: false, opt_out_at: null, opt_out_source: null };
    expect(cohortReasons(rules({}), { ...standing, deceased: true })).toEqual(['recorded as deceased in the registry']);
    expect(cohortReasons(rules({}), standing)).toEqual([]);
  });
});
