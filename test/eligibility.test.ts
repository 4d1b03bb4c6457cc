/**
 * Only those who still need it (issue 12, item 3): a citizen who no longer belongs to the
 * campaign's cohort as the registry says now — a dose recorded since launch, deceased — is not
 * messaged. Checked at release, in the worker right before the provider call, and by the pacer's
 * sweep after a registry import; the message ends `cancelled` (NO_LONGER_ELIGIBLE), its slot is
 * freed. Through the real pipeline: the registry import, the store on both dialects, BullMQ on
 * Redis, the worker's releaser, the twilio SDK against the sandbox.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { templateLibrary } from '../src/campaigns/messages.js';
import { openApp, startWorker } from '../src/app/index.js';
import { CHANNELS } from '../src/core/channels.js';
import { scaledClock } from '../src/core/clock.js';
import { newSweep, sweepEligibility } from '../src/pacer/eligibility.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { scheduleSteps } from '../src/pacer/reminders.js';
import { SendCalendar } from '../src/pacer/windows.js';
import { makeProcessor } from '../src/queues/process.js';
import { importCitizens, importVaccinations } from '../src/registry/import.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { KyselyStore } from '../src/store/index.js';
import { CENTER, citizens, REDIS_URL, releaseNow, sandboxChannels, sandboxProviders, settings, testPrefix, until } from './support/dispatch.js';
import { scratch } from './support/files.js';
import { DIALECTS, type TestStore } from './support/stores.js';

/** Monday 1 March 2021, 09:00 in Rome: the SMS window is open. */
const AT = '2021-03-01T08:00:00.000Z';
/** The same morning at 07:00 in Rome: the window is closed, so the releaser releases nothing. */
const BEFORE_WINDOW = '2021-03-01T06:00:00.000Z';

/** First doses only: a citizen with a dose recorded is out of the cohort. */
const firstDose = (id: string) =>
  parseCampaign(
    `id: ${id}\nname: ${id}\nreference_date: 2021-03-01\ncohort: { age: { min: 60 }, doses: { max: 0 } }\nsteps: [{ id: invite, channels: [sms], template: invite }]\npacing: { daily_target: 100000000 }\nwindows: { sms: "mon-sat 09:00-20:00" }\nholidays: none\nsms: { max_segments: 6 }\n`,
    `${id}.yaml`,
  ).campaign;

const id = (i: number) => `E${String(i).padStart(3, '0')}`;

/** The registry as a file: `n` citizens over 60 with mobiles, `doses[i]` doses each (0 unless given), `deceased` ids marked. */
function registry(n: number, doses: Record<string, number> = {}, deceased: readonly string[] = []): string {
  const rows = Array.from({ length: n }, (_, i) =>
    [id(i), `19${30 + i}-05-1${i % 10}`, `+39333${String(2000000 + i)}`, 'LAZ', 'RM1', 'Roma', String(doses[id(i)] ?? 0), deceased.includes(id(i)) ? 'true' : ''].join(','),
  );
  return ['citizen_id,birth_date,phone,region,asl,municipality,doses,deceased', ...rows].join('\n') + '\n';
}

async function messages(store: KyselyStore, campaignId: string) {
  const rows = await store.db.selectFrom('messages').select(['citizen_id', 'state', 'error_code']).where('campaign_id', '=', campaignId).orderBy('citizen_id').execute();
  return new Map(rows.map((r) => [r.citizen_id, r]));
}

async function appointments(store: KyselyStore, campaignId: string) {
  const rows = await store.db.selectFrom('appointments').select(['citizen_id', 'state', 'state_reason']).where('campaign_id', '=', campaignId).execute();
  return new Map(rows.map((r) => [r.citizen_id, r]));
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`eligibility on ${dialect.name}`, () => {
    let t: TestStore;
    let sandbox: Sandbox;
    let redis: ReturnType<typeof testPrefix>;
    const files = scratch('eligibility');
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

    it('a registry re-import that records doses cancels exactly those members: their pending and queued invitations, and the slot of one already sent; nobody else is touched', async () => {
      await importCitizens(t.store.registry, files.file('registry.csv', registry(12)), { today: '2021-03-01' });
      const c = firstDose('rx');
      expect((await launchCampaign(t.store.dispatch, c, 100, AT)).recipients).toBe(12);
      // The six oldest are released (E000…E005: queued, each with a slot); two of them are sent.
      const released = await releaseNow(t.store, c, 6, (m) => `tok-${m}`, AT);
      expect(released).toHaveLength(6);
      const process = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library: await templateLibrary() });
      const byCitizen = new Map(released.map((r) => [r.messageId.split('.')[2]!, r.messageId]));
      for (const sent of [id(0), id(1)]) expect(await process({ messageId: byCitizen.get(sent)!, attemptsMade: 0, maxAttempts: 3 })).toBe('sent');
      const before = await messages(t.store, 'rx');

      // Doses recorded for one sent (E000), one queued (E002) and two pending members (E008, E010).
      const vaccinated = [id(0), id(2), id(8), id(10)];
      await importCitizens(t.store.registry, files.file('registry-2.csv', registry(12, Object.fromEntries(vaccinated.map((v) => [v, 1])))), { today: '2021-03-01' });

      // A worker whose clock stands before the window: the releaser releases nothing, its sweep runs.
      const app = await openApp({ db: undefined, templates: undefined, redisUrl: REDIS_URL }, { store: t.store, redis: true });
      const worker = await startWorker(app, {
        config: { queues: settings(redis.prefix), providers: sandboxProviders(sandbox), timings: { releaser: { tickMs: 20 } } },
        channels: CHANNELS,
        owner: 'eligibility-test',
        clock: scaledClock(1, Date.parse(BEFORE_WINDOW)),
      });
      try {
        await until('the sweep ended the vaccinated members’ work', async () => {
          const now = await messages(t.store, 'rx');
          return [id(2), id(8), id(10)].every((v) => now.get(v)?.state === 'cancelled');
        }, 20_000);
      } finally {
        await worker.close();
        await app.close();
      }
      const after = await messages(t.store, 'rx');
      const slots = await appointments(t.store, 'rx');
      for (const v of [id(2), id(8), id(10)]) expect(after.get(v)).toMatchObject({ state: 'cancelled', error_code: 'NO_LONGER_ELIGIBLE' });
      // E000 was sent before its dose was recorded: the message stays sent, its slot goes back.
      expect(after.get(id(0))?.state).toBe(before.get(id(0))?.state);
      expect(slots.get(id(0))).toMatchObject({ state: 'released', state_reason: 'no_longer_eligible' });
      expect(slots.get(id(2))).toMatchObject({ state: 'released', state_reason: 'no_longer_eligible' });
      // Exactly those members: every other message and slot is as it was.
      for (const [citizen, m] of after) {
        if (vaccinated.includes(citizen)) continue;
        expect(m.state, citizen).toBe(before.get(citizen)!.state);
        if (slots.has(citizen)) expect(slots.get(citizen)!.state, citizen).toBe('held');
      }
      const centre = await t.store.db.selectFrom('center_days').select((eb) => eb.fn.sum<number>('booked').as('booked')).executeTakeFirstOrThrow();
      expect(Number(centre.booked)).toBe(4); // six slots taken, two given back
      expect(sandbox.outbox().messages).toHaveLength(2);
    });

    it('the worker refuses to send to a citizen whose dose was recorded after the release, and the release cancels a pending one', async () => {
      await importCitizens(t.store.registry, files.file('registry.csv', registry(4)), { today: '2021-03-01' });
      const c = firstDose('rw');
      await launchCampaign(t.store.dispatch, c, 100, AT);
      const released = await releaseNow(t.store, c, 2, (m) => `tok-${m}`, AT);
      expect(released).toHaveLength(2);
      // The registry now says E000 (queued) and E003 (pending) have had a dose; no sweep runs here.
      await t.store.db.updateTable('citizens').set({ doses: 1 }).where('citizen_id', 'in', [id(0), id(3)]).execute();
      const process = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library: await templateLibrary(), now: () => new Date(AT) });
      const outcomes = [];
      for (const r of released) outcomes.push(await process({ messageId: r.messageId, attemptsMade: 0, maxAttempts: 3 }));
      expect(outcomes).toEqual(['cancelled', 'sent']);
      expect(sandbox.outbox().messages.map((m) => m.to)).toEqual(['+393332000001']);
      // The rest is released: E003 is cancelled at release, E002 goes.
      await releaseNow(t.store, c, 10, (m) => `tok-${m}`, AT);
      const m = await messages(t.store, 'rw');
      expect(m.get(id(0))).toMatchObject({ state: 'cancelled', error_code: 'NO_LONGER_ELIGIBLE' });
      expect(m.get(id(3))).toMatchObject({ state: 'cancelled', error_code: 'NO_LONGER_ELIGIBLE' });
      expect(m.get(id(2))?.state).toBe('queued');
      const slots = await appointments(t.store, 'rw');
      expect(slots.get(id(0))).toMatchObject({ state: 'released', state_reason: 'no_longer_eligible' });
      expect(slots.has(id(3))).toBe(false);
    });

    it('a BullMQ worker (no releaser, so no sweep) refuses the job of a citizen whose dose was recorded after the release, and sends the others', async () => {
      await t.store.registry.writeCitizens('seed', citizens(3, 3, 0, 'Q'));
      const c = parseCampaign(
        'id: rq\nname: rq\nreference_date: 2021-03-01\ncohort: { age: { min: 60 }, doses: { max: 0 } }\nsteps: [{ id: invite, channels: [sms], template: invite }]\npacing: { daily_target: 100000000 }\nwindows: { sms: daily 00:00-24:00 }\nholidays: none\nsms: { max_segments: 6 }\n',
        'rq.yaml',
      ).campaign;
      await launchCampaign(t.store.dispatch, c, 100, new Date().toISOString());
      const released = await releaseNow(t.store, c, 10, (m) => `tok-${m}`, new Date().toISOString());
      expect(released).toHaveLength(3);
      await t.store.db.updateTable('citizens').set({ doses: 1 }).where('citizen_id', '=', 'Q00001').execute();
      const app = await openApp({ db: undefined, templates: undefined, redisUrl: REDIS_URL }, { store: t.store, redis: true });
      const worker = await startWorker(app, { config: { queues: settings(redis.prefix), providers: sandboxProviders(sandbox), timings: { releaser: {} } }, channels: CHANNELS, owner: 'eligibility-q', release: false });
      try {
        await worker.queues.add(released);
        await until('every job done', async () => (await t.store.dispatch.unfinished('rq')).queued + (await t.store.dispatch.unfinished('rq')).sending === 0, 20_000);
      } finally {
        await worker.close();
        await app.close();
      }
      const m = await messages(t.store, 'rq');
      expect(m.get('Q00001')).toMatchObject({ state: 'cancelled', error_code: 'NO_LONGER_ELIGIBLE' });
      expect([m.get('Q00000')?.state, m.get('Q00002')?.state].every((s) => s === 'sent' || s === 'delivered')).toBe(true);
      expect((await appointments(t.store, 'rq')).get('Q00001')).toMatchObject({ state: 'released', state_reason: 'no_longer_eligible' });
      expect(sandbox.outbox().messages.map((x) => x.to).sort()).toEqual(['+393331000000', '+393331000002']);
    });

    it('after a vaccinations import the sweep closes a vaccinated member’s call task and cancels their reminder; the others keep theirs', async () => {
      await t.store.registry.writeCitizens('seed', citizens(4, 2, 0, 'K')); // K00000, K00001 by SMS; K00002, K00003 call-only
      const c = parseCampaign(
        `id: rk\nname: rk\nreference_date: 2021-03-01\ncohort: { age: { min: 60 }, doses: { max: 0 } }
steps:
  - { id: invite, channels: [sms, call], template: invite }
  - { id: remind, channels: [sms, call], template: invite, send: { before_appointment: { days: 1 } } }
pacing: { daily_target: 100000000 }\nwindows: { sms: "mon-sat 09:00-20:00", call: "mon-sat 09:00-20:00" }\nholidays: none\nsms: { max_segments: 6 }\n`,
        'rk.yaml',
      ).campaign;
      await launchCampaign(t.store.dispatch, c, 100, AT);
      const released = await releaseNow(t.store, c, 10, (m) => `tok-${m}`, AT);
      const process = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library: await templateLibrary(), now: () => new Date(AT) });
      for (const r of released) expect(await process({ messageId: r.messageId, attemptsMade: 0, maxAttempts: 3 })).toBe('sent');
      const calendar = new SendCalendar(c);
      const ctx = { at: AT, now: Date.parse(AT), day: calendar.localDay(Date.parse(AT)), calendar, token: (m: string) => `tok-${m}` };
      expect(await scheduleSteps(t.store.dispatch, c, ctx)).toBe(4);
      // A dose for K00000 (SMS) and K00002 (call-only), given today elsewhere.
      await importVaccinations(t.store.registry, files.file('doses.csv', 'citizen_id,date,dose,center_id\nK00000,2021-03-01,1,\nK00002,2021-03-01,1,\n'), { today: '2021-03-01', worker: false });
      const st = newSweep();
      expect(await sweepEligibility(t.store.dispatch, c, ctx, st)).toBe(2); // the two reminders
      expect(st.after).toBeNull(); // one page: done
      const tasks = await t.store.db.selectFrom('call_tasks').select(['citizen_id', 'state', 'closed_reason']).orderBy('citizen_id').execute();
      expect(tasks).toEqual([
        { citizen_id: 'K00002', state: 'closed', closed_reason: 'no_longer_eligible' },
        { citizen_id: 'K00003', state: 'open', closed_reason: null },
      ]);
      const reminders = await t.store.db.selectFrom('messages').select(['citizen_id', 'state', 'error_code']).where('step_id', '=', 'remind').orderBy('citizen_id').execute();
      expect(reminders.map((r) => [r.citizen_id, r.state, r.error_code])).toEqual([
        ['K00000', 'cancelled', 'NO_LONGER_ELIGIBLE'], ['K00001', 'pending', null], ['K00002', 'cancelled', 'NO_LONGER_ELIGIBLE'], ['K00003', 'pending', null],
      ]);
      const slots = await appointments(t.store, 'rk');
      expect([...slots.values()].filter((a) => a.state === 'released').map((a) => a.citizen_id).sort()).toEqual(['K00000', 'K00002']);
      // Nothing newer imported: the next call sweeps nothing.
      expect(await sweepEligibility(t.store.dispatch, c, ctx, st)).toBe(0);
      expect(st.after).toBeNull();
    });

    it('the registry’s deceased column keeps a citizen out of every cohort, and a later deceased mark cancels their invitation', async () => {
      const s = await importCitizens(t.store.registry, files.file('registry.csv', registry(3, {}, [id(1)])), { today: '2021-03-01' });
      expect(s).toMatchObject({ imported: 3, rejected: 0 });
      const c = firstDose('rd');
      expect((await launchCampaign(t.store.dispatch, c, 100, AT)).recipients).toBe(2);
      await importCitizens(t.store.registry, files.file('registry-2.csv', registry(3, {}, [id(1), id(2)])), { today: '2021-03-01' });
      await releaseNow(t.store, c, 10, (m) => `tok-${m}`, AT);
      const m = await messages(t.store, 'rd');
      expect(m.get(id(0))?.state).toBe('queued');
      expect(m.get(id(2))).toMatchObject({ state: 'cancelled', error_code: 'NO_LONGER_ELIGIBLE' });
      expect(m.has(id(1))).toBe(false);
    });
  });
}

describe('the deceased column', () => {
  it('is read as true/false (1/0), blank is false, anything else rejects the row (guessing could invite someone who has died)', async () => {
    const t = await DIALECTS[0]!.open();
    try {
      const files = scratch('deceased');
      const path = files.file('r.csv', 'citizen_id,birth_date,deceased\nA1,1940-01-01,1\nA2,1940-01-01,\nA3,1940-01-01,perhaps\nA4,1940-01-01,FALSE\n');
      const s = await importCitizens(t.store.registry, path, { today: '2021-03-01' });
      expect(s).toMatchObject({ imported: 3, rejected: 1 });
      const rows = await t.store.db.selectFrom('citizens').select(['citizen_id', 'deceased']).orderBy('citizen_id').execute();
      expect(rows.map((r) => [r.citizen_id, Number(r.deceased)])).toEqual([['A1', 1], ['A2', 0], ['A4', 0]]);
    } finally {
      await t.dispose();
    }
  });
});
