/**
 * `invito import vaccinations FILE` (issue 12, item 3): the doses given, with the registry's
 * reject rules and report. A dose raises the citizen's dose count and last dose's date and marks
 * the appointment of its day `attended`; a past appointment without a dose becomes `no_show`,
 * and a step `send: { no_show_after }` invites that citizen again with a new slot. The import on
 * both dialects, and the command through the built CLI.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import type { Campaign } from '../src/campaigns/schema.js';
import { openReasons } from '../src/pacer/completion.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { scheduleSteps } from '../src/pacer/reminders.js';
import { SendCalendar } from '../src/pacer/windows.js';
import { importVaccinations } from '../src/registry/import.js';
import { KyselyStore } from '../src/store/index.js';
import { CENTER, citizens, releaseNow } from './support/dispatch.js';
import { built, runCli } from './support/cli.js';
import { scratch } from './support/files.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const AT = '2021-03-01T08:00:00.000Z';
/** A month later (Thursday 1 April, 09:00 in Rome): every appointment of the first release is past. */
const LATER = '2021-04-01T07:00:00.000Z';

const campaign = (id: string): Campaign =>
  parseCampaign(
    `id: ${id}\nname: ${id}\nreference_date: 2021-03-01\ncohort: { age: { min: 60 }, doses: { max: 0 } }
steps:
  - { id: invite, channels: [sms], template: invite }
  - { id: again, channels: [sms], template: invite, send: { no_show_after: { days: 2 } } }
pacing: { daily_target: 100000000 }\nwindows: { sms: "mon-sat 09:00-20:00" }\nholidays: none\nsms: { max_segments: 6 }\n`,
    `${id}.yaml`,
  ).campaign;

/** Three citizens invited at AT, each with a held appointment; returns the appointments' day. */
async function invited(store: KyselyStore, c: Campaign): Promise<string> {
  await store.registry.writeCenters('seed', [CENTER]);
  await store.registry.writeCitizens('seed', citizens(3, 3, 0, 'V'));
  await launchCampaign(store.dispatch, c, 100, AT);
  expect(await releaseNow(store, c, 10, (m) => `tok-${m}`, AT)).toHaveLength(3);
  const days = await store.db.selectFrom('appointments').select('day').distinct().execute();
  expect(days).toHaveLength(1); // one centre with room for all: the same day
  return days[0]!.day;
}

const dayBefore = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/**
 * V00000 came on the day (attended); V00001 was vaccinated the day before elsewhere (its
 * appointment is a no-show); V00002 had no dose (no-show). Four rows the registry's rules reject.
 */
const file = (day: string): string =>
  [
    'citizen_id,date,dose,center_id',
    `V00000,${day},1,LAZ-0001`,
    `V00001,${dayBefore(day)},1,`,
    `Z99999,${day},1,LAZ-0001`, // not in the registry
    `V00000,${day},1,LAZ-0001`, // the same dose twice
    'V00002,2021-02-30,1,', // not a real date
    `V00002,${day},0,`, // dose 0
  ].join('\n') + '\n';

async function appointmentStates(store: KyselyStore): Promise<Record<string, string>> {
  const rows = await store.db.selectFrom('appointments').select(['appointment_id', 'state']).orderBy('appointment_id').execute();
  return Object.fromEntries(rows.map((r) => [r.appointment_id, r.state]));
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`import vaccinations on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('records the doses, marks the day’s appointment attended and past ones without a dose no_show, rejects as the registry import does, and a second run changes nothing', async () => {
      const c = campaign('vx');
      const day = await invited(t.store, c);
      const files = scratch('vacc');
      const path = files.file('doses.csv', file(day));
      const s = await importVaccinations(t.store.registry, path, { today: '2021-04-01', worker: false });
      expect(s).toMatchObject({ imported: 2, rejected: 4, attended: 1, noShow: 2 });
      const reasons = readFileSync(s.rejectsFile!, 'utf8');
      expect(reasons).toMatch(/citizen_id is not in the registry/);
      expect(reasons).toMatch(/citizen_id and dose already seen at line 2/);
      expect(reasons).toMatch(/not a real calendar date/);
      expect(reasons).toMatch(/dose must be greater than 0/);
      expect(await appointmentStates(t.store)).toEqual({ 'vx.invite.V00000': 'attended', 'vx.invite.V00001': 'no_show', 'vx.invite.V00002': 'no_show' });
      const people = await t.store.db.selectFrom('citizens').select(['citizen_id', 'doses', 'last_dose_date']).orderBy('citizen_id').execute();
      expect(people.map((p) => [p.citizen_id, Number(p.doses), p.last_dose_date])).toEqual([['V00000', 1, day], ['V00001', 1, dayBefore(day)], ['V00002', 0, null]]);

      const again = await importVaccinations(t.store.registry, files.file('doses-again.csv', file(day)), { today: '2021-04-01', worker: false });
      expect(again).toMatchObject({ imported: 2, attended: 0, noShow: 0 });
      expect(Number((await t.store.db.selectFrom('vaccinations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(2);
    });

    it('a step send: { no_show_after } invites a no-show again with a new slot; a no-show vaccinated elsewhere since is not invited', async () => {
      const c = campaign('vn');
      const day = await invited(t.store, c);
      // The campaign stays open while attendance is unknown: the three appointments have passed, nobody said who came.
      expect((await openReasons(t.store.dispatch, c, '2021-04-01')).attendance_unknown).toBe(3);
      await importVaccinations(t.store.registry, scratch('vacc').file('doses.csv', file(day)), { today: '2021-04-01', worker: false });
      // Two no-shows whose re-invitations are still to be made keep it open.
      expect((await openReasons(t.store.dispatch, c, '2021-04-01')).attendance_unknown).toBe(2);
      const calendar = new SendCalendar(c);
      const now = Date.parse(LATER);
      const ctx = { at: LATER, now, day: calendar.localDay(now), calendar, token: (m: string) => `tok-${m}` };
      expect(await scheduleSteps(t.store.dispatch, c, ctx)).toBe(2); // the two no-shows
      expect(await openReasons(t.store.dispatch, c, '2021-04-01')).toMatchObject({ attendance_unknown: 0, to_release: 2 });
      const released = await releaseNow(t.store, c, 10, (m) => `tok-${m}`, LATER);
      expect(released.map((r) => r.messageId)).toEqual(['vn.again.V00002']);
      const states = await appointmentStates(t.store);
      expect(states['vn.again.V00002']).toBe('held');
      const fresh = await t.store.db.selectFrom('appointments').select('day').where('appointment_id', '=', 'vn.again.V00002').executeTakeFirstOrThrow();
      expect(fresh.day > '2021-04-01').toBe(true);
      const v1 = await t.store.db.selectFrom('messages').select(['state', 'error_code']).where('message_id', '=', 'vn.again.V00001').executeTakeFirstOrThrow();
      expect(v1).toEqual({ state: 'cancelled', error_code: 'NO_LONGER_ELIGIBLE' });
      // Scheduling again adds nothing: one re-invitation per no-show and step.
      expect(await scheduleSteps(t.store.dispatch, c, ctx)).toBe(0);
    });
  });
}

describe.skipIf(!built)('invito import vaccinations (the built CLI)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'invito-vacc-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the counts and the appointments attended and no-show, writes the rejects file; run again (--json) it attends and marks nothing twice', async () => {
    const db = join(dir, 'invito.db');
    const store = await KyselyStore.open(db);
    let day: string;
    try {
      day = await invited(store, campaign('vc'));
    } finally {
      await store.close();
    }
    const path = scratch('vacc-cli').file('doses.csv', file(day));
    const r = await runCli(['--db', db, 'import', 'vaccinations', path]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imported 2 vaccinations, rejected 4, warnings 0$/m);
    expect(r.stdout).toMatch(/^rejected rows: .*doses\.csv\.rejects\.csv$/m);
    expect(r.stdout).toMatch(/^appointments: 1 attended, 2 no-show$/m);
    const j = await runCli(['--db', db, 'import', 'vaccinations', path, '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ imported: 2, rejected: 4, attended: 0, noShow: 0 });
  });
});
