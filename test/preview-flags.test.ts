/**
 * `preview` of someone invito would not message — opted out, or outside the campaign's cohort —
 * says so before the message, names the rule by its codes and numbers (never a name), and
 * `--json` carries the same flags. The library on both dialects, the built CLI on SQLite.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { templateLibrary } from '../src/campaigns/messages.js';
import { preview } from '../src/campaigns/preview.js';
import { cohortQuery } from '../src/cohort/criteria.js';
import type { CitizenRecord } from '../src/registry/store.js';
import { DIALECTS, type TestStore } from './support/stores.js';
import { built, runCli } from './support/cli.js';

const ROOT = join(import.meta.dirname, '..');
const TEMPLATES = join(ROOT, 'templates');

const CAMPAIGN = `id: c1
name: "Prima dose"
reference_date: 2021-03-01
priority_groups:
  - { code: HCW, rank: 1 }
cohort:
  age: { min: 80, max: 95 }
  priority_groups: { include: [HCW], exclude: [RSA] }
  regions: [LAZ, LOM]
  doses: { max: 0 }
steps:
  - id: invite
    channels: [sms, call]
    template: invite
pacing: { daily_target: 1000 }
`;

function person(id: string, extra: Partial<CitizenRecord> = {}): CitizenRecord {
  return {
    citizen_id: id, given_name: 'Anna', family_name: 'Rossi', birth_date: '1935-04-02', sex: 'F', phone: '+393331234567', email: null,
    language: 'it', region: 'LAZ', asl: 'RM1', municipality: 'Roma', doses: 0, last_dose_date: null, opt_out: false,
    priority_groups: [], line: 1, ...extra,
  };
}

const CENTERS = [
  { center_id: 'LAZ-0001', name: 'Nuvola', region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: 'Viale Asia 40', daily_capacity: 375, opening: 'mon-sat 08:00-20:00', catchment: ['RM1'], line: 2 },
  { center_id: 'LOM-0001', name: 'Fiera', region: 'LOM', asl: 'MI', municipality: 'Milano', address: null, daily_capacity: 375, opening: 'mon-sat 08:00-20:00', catchment: ['MI'], line: 3 },
  { center_id: 'CAM-0001', name: 'Mostra', region: 'CAM', asl: 'NA1', municipality: 'Napoli', address: null, daily_capacity: 375, opening: 'mon-sat 08:00-20:00', catchment: ['NA1'], line: 4 },
];

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`preview flags on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
      await t.store.registry.writeCenters('seed', CENTERS);
    });
    afterEach(async () => {
      await t.dispose();
    });

    const look = async (id: string) =>
      preview({ campaign: parseCampaign(CAMPAIGN, 'c1.yaml').campaign, library: await templateLibrary(TEMPLATES), store: t.store.campaigns, citizenId: id });

    it('a citizen in the cohort who never said stop is flagged neither way', async () => {
      await t.store.registry.writeCitizens('seed', [person('in1')]);
      const p = await look('in1');
      expect(p).toMatchObject({ optedOut: false, optOut: null, inCohort: true, notInCohort: [] });
      expect(p.messages.length).toBe(2);
    });

    it('a citizen who replied STOP is flagged opted out with when and how, and the message is still rendered', async () => {
      await t.store.registry.writeCitizens('seed', [person('stop1')]);
      await t.store.feedback.optOutCitizen('stop1', 'sms:STOP', '2026-05-01T10:00:00.000Z');
      const p = await look('stop1');
      expect(p.optedOut).toBe(true);
      expect(p.optOut).toEqual({ at: '2026-05-01T10:00:00.000Z', source: 'sms:STOP' });
      expect(p.messages.length).toBe(2);
    });

    it('a citizen outside the cohort is flagged with each rule that keeps them out, by code and number, never by name', async () => {
      await t.store.registry.writeCitizens('seed', [
        person('young1', { birth_date: '1976-06-01' }),
        person('old1', { birth_date: '1920-01-01', region: 'CAM', asl: 'NA1', municipality: 'Napoli', doses: 2, priority_groups: ['RSA'] }),
      ]);
      const young = await look('young1');
      expect(young.inCohort).toBe(false);
      expect(young.notInCohort).toEqual(['age 44 on 2021-03-01 below 80, and in none of the groups HCW']);
      const old = await look('old1');
      expect(old.inCohort).toBe(false);
      expect(old.notInCohort).toEqual([
        'age 101 on 2021-03-01 above 95, and in none of the groups HCW',
        'in the excluded group RSA',
        'region CAM, not one of LAZ, LOM',
        '2 doses, more than 0',
      ]);
      expect(JSON.stringify(old.notInCohort)).not.toMatch(/Anna|Rossi|Napoli|1920/);
    });

    it("the preview's cohort verdict agrees with the store's cohort selection for every citizen", async () => {
      const births = ['1930-03-01', '1941-03-01', '1941-03-02', '1925-03-02', '1925-03-01', '1960-01-01'];
      const regions = ['LAZ', 'LOM', 'CAM', null];
      const groups = [[], ['HCW'], ['RSA'], ['HCW', 'RSA'], ['VULN']];
      const people: CitizenRecord[] = [];
      let n = 0;
      for (const birth_date of births)
        for (const region of regions)
          for (const priority_groups of groups)
            people.push(person(`p${n}`, { birth_date, region, priority_groups, doses: n % 3 === 0 ? 1 : 0, opt_out: n++ % 7 === 0, asl: 'RM1' }));
      await t.store.registry.writeCitizens('seed', people);
      const { campaign } = parseCampaign(CAMPAIGN, 'c1.yaml');
      const selected = new Set<string>();
      for await (const m of t.store.cohort.members(cohortQuery(campaign))) selected.add(m.citizen_id);
      expect(selected.size).toBeGreaterThan(0);
      for (const c of people) {
        const p = await look(c.citizen_id);
        expect({ id: c.citizen_id, selected: p.inCohort && !p.optedOut }).toEqual({ id: c.citizen_id, selected: selected.has(c.citizen_id) });
      }
    });
  });
}

const invito = (cwd: string, ...args: string[]) => runCli(args, { cwd });

describe.skipIf(!built)('invito preview (built CLI, SQLite)', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'invito-preview-'));
    writeFileSync(join(cwd, 'c1.yaml'), CAMPAIGN);
    writeFileSync(
      join(cwd, 'c.csv'),
      'citizen_id,given_name,family_name,birth_date,phone,region,asl,opt_out\n' +
        'IN1,Anna,Rossi,1935-01-01,3331234567,LAZ,RM1,false\n' +
        'OUT1,Bruno,Verdi,1935-01-01,3331234568,LAZ,RM1,true\n' +
        'YOUNG1,Carla,Bianchi,1976-06-01,3331234569,LAZ,RM1,false\n',
    );
    writeFileSync(join(cwd, 'k.csv'), 'center_id,name,region,asl,daily_capacity,opening,catchment\nLAZ-0001,Nuvola,LAZ,RM1,375,mon-sat 08:00-20:00,RM1\n');
    expect((await invito(cwd, 'import', 'citizens', 'c.csv')).code).toBe(0);
    expect((await invito(cwd, 'import', 'centers', 'k.csv')).code).toBe(0);
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('text preview of an opted-out citizen says so on its first line, by id only', async () => {
    const r = await invito(cwd, 'preview', 'c1.yaml', '--citizen', 'OUT1');
    expect(r.code).toBe(0);
    const first = r.stdout.split('\n')[0]!;
    expect(first).toMatch(/^note: citizen OUT1 opted out.* — invito would not send this$/);
    expect(first).not.toMatch(/Bruno|Verdi/);
    expect(r.stdout).toContain('── sms');
  });

  it('text preview of a citizen outside the cohort says so on its first line with the rule', async () => {
    const r = await invito(cwd, 'preview', 'c1.yaml', '--citizen', 'YOUNG1');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('note: citizen YOUNG1 is not in the cohort of c1 (age 44 on 2021-03-01 below 80, and in none of the groups HCW) — invito would not send this');
    const ok = await invito(cwd, 'preview', 'c1.yaml', '--citizen', 'IN1');
    expect(ok.stdout).not.toContain('note:');
    expect(ok.stdout.split('\n')[0]).toMatch(/^Citizen IN1, step invite/);
  });

  it('preview --json carries optedOut, inCohort and the reasons on every line', async () => {
    const out = (await invito(cwd, 'preview', 'c1.yaml', '--citizen', 'OUT1', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((i) => i.channel)).toEqual(['sms', 'call']);
    for (const i of out) expect(i).toMatchObject({ citizen: 'OUT1', optedOut: true, inCohort: true, notInCohort: [] });
    const young = (await invito(cwd, 'preview', 'c1.yaml', '--citizen', 'YOUNG1', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    for (const i of young) expect(i).toMatchObject({ optedOut: false, optOut: null, inCohort: false, notInCohort: ['age 44 on 2021-03-01 below 80, and in none of the groups HCW'] });
  });
});
