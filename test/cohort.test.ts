import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { ageBand, ageOn, bornOnOrBefore } from '../src/cohort/age.js';
import { cohortQuery } from '../src/cohort/criteria.js';
import { planCampaign } from '../src/pacer/plan.js';
import type { CitizenRecord } from '../src/registry/store.js';
import { DIALECTS, type TestStore } from './support/stores.js';

describe('ages in completed years', () => {
  it('someone born on 29 February turns a year older on 1 March in non-leap years', () => {
    expect(ageOn('2004-02-29', '2021-02-28')).toBe(16);
    expect(ageOn('2004-02-29', '2021-03-01')).toBe(17);
    expect(ageOn('2004-02-29', '2024-02-29')).toBe(20);
    expect(bornOnOrBefore('2021-03-01', 17)).toBe('2004-03-01'); // includes 2004-02-29
    expect(bornOnOrBefore('2021-02-28', 17)).toBe('2004-02-28'); // excludes 2004-02-29
    expect(bornOnOrBefore('2024-02-29', 17)).toBe('2007-02-28'); // leap reference, non-leap birth year
  });

  it('a birthday on the reference date counts: the person is already that age', () => {
    expect(ageOn('1941-03-01', '2021-03-01')).toBe(80);
    expect(ageOn('1941-03-02', '2021-03-01')).toBe(79);
  });

  it('age bands follow the national open data', () => {
    expect([ageBand(4), ageBand(5), ageBand(11), ageBand(12), ageBand(79), ageBand(80), ageBand(104)]).toEqual(['00-04', '05-11', '05-11', '12-19', '70-79', '80+', '80+']);
  });
});

const REF = '2021-03-01';

function person(id: string, birth: string, extra: Partial<CitizenRecord> = {}): CitizenRecord {
  return {
    citizen_id: id, given_name: null, family_name: null, birth_date: birth, sex: null, phone: null, email: null,
    language: 'it', region: 'LAZ', asl: null, municipality: null, doses: 0, last_dose_date: null, opt_out: false,
    priority_groups: [], line: 1, ...extra,
  };
}

const campaign = (cohort: string, groups = '') =>
  parseCampaign(
    `id: t
name: test
reference_date: ${REF}
${groups}
cohort:
${cohort}
steps: [{ id: invite, channels: [sms, email, call], template: invite }]
pacing: { daily_target: 1000 }
`,
    'test.yaml',
  ).campaign;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`cohort selection on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
    });
    afterEach(async () => {
      await t.dispose();
    });
    const seed = (rows: CitizenRecord[]) => t.store.registry.writeCitizens('seed', rows);
    const ids = async (c: ReturnType<typeof campaign>) => {
      const out: string[] = [];
      for await (const m of t.store.cohort.members(cohortQuery(c))) out.push(m.citizen_id);
      return out;
    };

    it('min and max ages are inclusive, in completed years on the reference date', async () => {
      await seed([
        person('80today', '1941-03-01'), // 80 on the reference date
        person('79', '1941-03-02'),
        person('89', '1931-03-02'), // 89, still ≤ 89
        person('90', '1931-03-01'), // 90 today: above max
        person('leap17', '2004-02-29'), // 17 on 2021-03-01
      ]);
      expect((await ids(campaign('  age: { min: 80, max: 89 }'))).sort()).toEqual(['80today', '89']);
      expect(await ids(campaign('  age: { min: 17, max: 17 }'))).toEqual(['leap17']);
    });

    it('a leap-day birthday qualifies from 1 March in a non-leap year, not on 28 February', async () => {
      await seed([person('leap', '2004-02-29')]);
      const c = campaign('  age: { min: 17 }');
      expect(await ids(c)).toEqual(['leap']);
      expect(await ids({ ...c, reference_date: '2021-02-28' })).toEqual([]);
    });

    it('age and included groups are alternatives: over 80, plus health-care workers of any age', async () => {
      await seed([
        person('old', '1930-01-01'),
        person('hcw-young', '1990-01-01', { priority_groups: ['HCW'] }),
        person('young', '1990-01-01'),
        person('old-excluded', '1930-01-01', { priority_groups: ['RSA'] }),
        person('hcw-excluded', '1990-01-01', { priority_groups: ['HCW', 'RSA'] }),
      ]);
      const c = campaign('  age: { min: 80 }\n  priority_groups: { include: [HCW], exclude: [RSA] }');
      expect((await ids(c)).sort()).toEqual(['hcw-young', 'old']);
    });

    it('regions and doses restrict, and opted-out citizens are never selected', async () => {
      await seed([
        person('laz0', '1930-01-01'),
        person('lom0', '1930-01-01', { region: 'LOM' }),
        person('laz1', '1930-01-01', { doses: 1 }),
        person('optout', '1930-01-01', { opt_out: true }),
      ]);
      expect(await ids(campaign('  age: { min: 80 }\n  regions: [LAZ]\n  doses: { max: 0 }'))).toEqual(['laz0']);
    });

    it('orders by best group rank (none after all ranked), then older first, then citizen_id', async () => {
      await seed([
        person('n-old', '1920-01-01'),
        person('n-young', '1935-01-01'),
        person('vuln', '1950-01-01', { priority_groups: ['VULN'] }),
        person('hcw-b', '1960-01-01', { priority_groups: ['HCW'] }),
        person('hcw-a', '1960-01-01', { priority_groups: ['HCW'] }),
        person('both', '1970-01-01', { priority_groups: ['VULN', 'RSA'] }), // takes RSA's rank 1
        person('other', '1940-01-01', { priority_groups: ['SCHOOL'] }), // unranked group = none
      ]);
      const c = campaign(
        '  age: { min: 80 }\n  priority_groups: { include: [HCW, RSA, VULN, SCHOOL] }',
        'priority_groups: [{ code: HCW, rank: 1 }, { code: RSA, rank: 1 }, { code: VULN, rank: 2 }]',
      );
      expect(await ids(c)).toEqual(['hcw-a', 'hcw-b', 'both', 'vuln', 'n-old', 'n-young', 'other']);
    });

    it('plan counts the cohort by group, age band, region and reachable channel', async () => {
      await seed([
        person('a', '1930-01-01', { phone: '+393331234567', email: 'a@example.com', priority_groups: ['RSA', 'VULN'] }),
        person('b', '1935-06-01', { phone: '+393331234568', region: 'LOM' }),
        person('c', '1941-03-01', { email: 'c@example.com' }),
        person('d', '1990-01-01', { priority_groups: ['HCW'] }),
        person('e', '1930-01-01', { region: null }),
        person('young', '2000-01-01'),
      ]);
      const plan = await planCampaign(t.store, campaign('  age: { min: 80 }\n  priority_groups: { include: [HCW] }'));
      expect(plan.campaign).toBe('t');
      expect(plan.cohort.total).toBe(5);
      expect(plan.cohort.byGroup).toEqual({ HCW: 1, RSA: 1, VULN: 1, none: 3 });
      expect(plan.cohort.byAgeBand).toMatchObject({ '80+': 4, '30-39': 1, '20-29': 0 });
      expect(plan.cohort.byRegion).toEqual({ LAZ: 3, LOM: 1, unknown: 1 });
      expect(plan.cohort.reachable).toEqual({ sms: 2, email: 2, callOnly: 2 });
    });
  });
}
