/**
 * Second doses, boosters and rolling cohorts (issue 12, item 4), through the real pipeline: the
 * store on both dialects, the releaser and BullMQ on Redis, the twilio SDK against the sandbox.
 * `last_dose: { min_days, max_days }` counts the days since the last dose on the day of release;
 * `rolling: true` selects the cohort again each open day and adds the newly eligible, never anyone
 * the campaign has already invited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { ManualClock } from '../src/core/clock.js';
import { cohortQuery } from '../src/cohort/criteria.js';
import { joinDay } from '../src/pacer/forecast.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { planCampaign } from '../src/pacer/plan.js';
import type { CitizenRecord } from '../src/registry/store.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { CENTER, citizens, startTestWorker, testPrefix, until } from './support/dispatch.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const campaignOf = (id: string, cohort: string, extra = '') =>
  parseCampaign(
    `id: ${id}
name: ${id}
reference_date: 2021-03-01
cohort: ${cohort}
steps:
  - id: invite
    channels: [sms]
    template: invite
pacing: { daily_target: 100000 }
windows: { sms: mon-sat 09:00-20:00 }
holidays: none
sms: { max_segments: 6 }
${extra}`,
    `${id}.yaml`,
  ).campaign;

/** 10:00 Rome on 2021-03-0N (Monday 1 March for N = 1). */
const romeTen = (day: number) => Date.parse(`2021-03-${String(day).padStart(2, '0')}T09:00:00Z`);

const person = (i: number, birth: string, lastDose: string | null = null, doses = 0): CitizenRecord => ({
  ...citizens(i + 1, i + 1, 0, 'R')[i]!,
  birth_date: birth,
  last_dose_date: lastDose,
  doses,
});

describe('the cohort query on a day', () => {
  it('a rolling member joins on the later of their 80th birthday and the end of their interval since the last dose; never past max_days', () => {
    const booster = campaignOf('b', '{ age: { min: 80 }, last_dose: { min_days: 120, max_days: 365 } }', 'rolling: true');
    expect(joinDay(booster, { birthDate: '1941-06-01', lastDoseDate: '2021-01-01' }, '2021-03-01', '2022-03-01')).toBe('2021-06-01');
    expect(joinDay(booster, { birthDate: '1930-06-01', lastDoseDate: '2021-01-01' }, '2021-03-01', '2022-03-01')).toBe('2021-05-01');
    expect(joinDay(booster, { birthDate: '1930-06-01', lastDoseDate: null }, '2021-03-01', '2022-03-01')).toBeNull();
    // Turns 80 after the interval's end: never eligible.
    expect(joinDay(booster, { birthDate: '1942-02-01', lastDoseDate: '2021-01-01' }, '2021-03-01', '2023-03-01')).toBeNull();
  });

  it('counts ages on reference_date, or on the day for a rolling campaign; the days since the last dose always on the day', () => {
    const fixed = campaignOf('f', '{ age: { min: 80 }, last_dose: { min_days: 21, max_days: 42 } }');
    const rolling = campaignOf('r', '{ age: { min: 80 } }', 'rolling: true');
    expect(cohortQuery(fixed, '2021-03-10')).toMatchObject({ age: { bornOnOrBefore: '1941-03-01' }, lastDose: { onOrBefore: '2021-02-17', onOrAfter: '2021-01-27' } });
    expect(cohortQuery(rolling, '2021-03-10')).toMatchObject({ age: { bornOnOrBefore: '1941-03-10' }, lastDose: null });
  });

  it('refuses a last_dose whose min_days is above max_days, at its path', () => {
    let err: unknown;
    try {
      campaignOf('bad', '{ last_dose: { min_days: 50, max_days: 42 } }');
    } catch (e) {
      err = e;
    }
    const issues = (err as { issues?: readonly { where: string; message: string }[] }).issues ?? [];
    expect(issues.map((i) => `${i.where} ${i.message}`).join('\n')).toMatch(/bad\.yaml:4:\d+ .*min_days must not be greater than max_days/);
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`rolling cohorts on ${dialect.name}`, () => {
    let t: TestStore;
    let sandbox: Sandbox;
    let redis: ReturnType<typeof testPrefix>;
    beforeEach(async () => {
      t = await dialect.open();
      sandbox = await startSandbox({ callbackDelayMs: 1 });
      redis = testPrefix();
      await t.store.registry.writeCenters('seed', [CENTER]);
    });
    afterEach(async () => {
      await sandbox.close();
      await redis.cleanup();
      await t.dispose();
    });

    const invited = (id: string) =>
      t.store.db.selectFrom('messages').select(['citizen_id', 'state', 'queued_at', 'seq']).where('campaign_id', '=', id).orderBy('seq').execute();

    it('a rolling campaign adds a member on the day they turn 80, and invites them that day; nobody is added twice', async () => {
      // R00000 is 80 on 1 March, R00001 on Wednesday 3 March, R00002 only on 20 March.
      await t.store.registry.writeCitizens('seed', [person(0, '1941-03-01'), person(1, '1941-03-03'), person(2, '1941-03-20')]);
      const c = campaignOf('over80', '{ age: { min: 80 } }', 'rolling: true');
      const clock = new ManualClock(romeTen(1));
      await launchCampaign(t.store.dispatch, c, 500, clock.now().toISOString());
      expect((await invited('over80')).map((r) => r.citizen_id)).toEqual(['R00000']);
      const worker = await startTestWorker(t.store, sandbox, redis.prefix, undefined, { clock });
      try {
        const sentOn = async (n: number) => (await invited('over80')).filter((r) => r.state === 'sent' || r.state === 'delivered').length >= n;
        await until('day 1: R00000 invited', async () => (clock.advance(60_000), sentOn(1)), 20_000);
        // Tuesday: nobody new turns 80.
        clock.set(romeTen(2));
        for (let i = 0; i < 10; i++) {
          clock.advance(10 * 60_000);
          await new Promise((r) => setTimeout(r, 40));
        }
        expect((await invited('over80')).map((r) => r.citizen_id)).toEqual(['R00000']);
        // Wednesday: R00001 turns 80, joins and is invited that day.
        clock.set(romeTen(3));
        await until('day 3: R00001 invited', async () => (clock.advance(60_000), sentOn(2)), 20_000);
      } finally {
        await worker.close();
      }
      const rows = await invited('over80');
      expect(rows.map((r) => r.citizen_id)).toEqual(['R00000', 'R00001']);
      expect(rows[1]!.queued_at!.slice(0, 10)).toBe('2021-03-03');
      expect(sandbox.outbox().messages.map((m) => m.to)).toEqual([person(0, '').phone, person(1, '').phone]);
      // The campaign stays open for those yet to turn 80.
      const status = await t.store.db.selectFrom('campaigns').select(['status', 'recipients']).where('campaign_id', '=', 'over80').executeTakeFirstOrThrow();
      expect(status).toEqual({ status: 'active', recipients: 2 });
      // Selecting again on the same day adds nobody: each member once.
      expect(await t.store.dispatch.campaignRecords.selectRecipients(c, cohortQuery(c, '2021-03-03'), new Date(romeTen(3)).toISOString())).toBe(2);
    });

    it('the forecast of a rolling campaign invites members on the days they turn 80, and completes after the last of them', async () => {
      // Two already 80 on Monday 1 March; one turns 80 on Wednesday 10 March, one on Saturday 20 March; one only in 2022.
      await t.store.registry.writeCitizens('seed', [person(0, '1930-05-05'), person(1, '1941-02-01'), person(2, '1941-03-10'), person(3, '1941-03-20'), person(4, '1942-01-10')]);
      const c = campaignOf('fc', '{ age: { min: 80 } }', 'rolling: true');
      const plan = await planCampaign(t.store, c, undefined, { forecast: { start: '2021-03-01', daysMax: 60, ceilingPerSecond: null } });
      const invited = plan.schedule!.filter((d) => d.invitations > 0).map((d) => [d.date, d.invitations]);
      expect(invited).toEqual([['2021-03-01', 2], ['2021-03-10', 1], ['2021-03-20', 1]]);
      expect(plan.completesOn).toBe('2021-03-20');
      // The same campaign not rolling: the first day's cohort alone.
      const fixed = campaignOf('fc2', '{ age: { min: 80 } }');
      const once = await planCampaign(t.store, fixed, undefined, { forecast: { start: '2021-03-01', daysMax: 60, ceilingPerSecond: null } });
      expect(once.schedule!.filter((d) => d.invitations > 0).map((d) => [d.date, d.invitations])).toEqual([['2021-03-01', 2]]);
    });

    it('last_dose selects by days since the last dose on the launch day; the plan counts the same; a dose past max_days at release is cancelled', async () => {
      // Doses on 1 Feb (28 days before 1 March), 15 Feb (14 days) and 1 Jan (59 days); one citizen without a dose.
      await t.store.registry.writeCitizens('seed', [
        person(0, '1950-01-01', '2021-02-01', 1),
        person(1, '1950-01-01', '2021-02-15', 1),
        person(2, '1950-01-01', '2021-01-01', 1),
        person(3, '1950-01-01', null, 0),
      ]);
      const c = campaignOf('second', '{ doses: { max: 1 }, last_dose: { min_days: 21, max_days: 42 } }');
      const plan = await planCampaign(t.store, c);
      expect(plan.cohort.total).toBe(1);
      const r = await launchCampaign(t.store.dispatch, c, 500, new Date(romeTen(1)).toISOString());
      expect(r.recipients).toBe(1);
      expect((await invited('second')).map((m) => m.citizen_id)).toEqual(['R00000']);
      // Released only on 16 March (43 days after the dose): past max_days, the invitation is cancelled.
      const clock = new ManualClock(Date.parse('2021-03-16T09:00:00Z'));
      const worker = await startTestWorker(t.store, sandbox, redis.prefix, undefined, { clock });
      try {
        await until('the invitation ended', async () => {
          clock.advance(60_000);
          const [m] = await invited('second');
          return m!.state !== 'pending' && m!.state !== 'queued';
        }, 20_000);
      } finally {
        await worker.close();
      }
      const m = await t.store.db.selectFrom('messages').select(['state', 'error_code', 'error_detail']).where('campaign_id', '=', 'second').executeTakeFirstOrThrow();
      expect(m).toMatchObject({ state: 'cancelled', error_code: 'NO_LONGER_ELIGIBLE' });
      expect(m.error_detail).toMatch(/last dose/);
      expect(sandbox.outbox().messages).toHaveLength(0);
    });
  });
}
