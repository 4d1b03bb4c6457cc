/**
 * The pacer's calendar and its later steps, on a manual clock with the real releaser, store
 * (both dialects) and Redis lock: holidays and Sundays send nothing, a DST day keeps its
 * 09:00–20:00 window, reminders go the day before at 10:00 (or the last open day before),
 * follow-ups reach only those who did not answer.
 */
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../../src/campaigns/load.js';
import type { Campaign } from '../../src/campaigns/schema.js';
import { callRoomFor, Desk } from '../../src/desk/desk.js';
import { settleFallbacks } from '../../src/pacer/fallback.js';
import { launchCampaign } from '../../src/pacer/launch.js';
import { SendCalendar } from '../../src/pacer/windows.js';
import type { CenterRecord } from '../../src/registry/store.js';
import { citizens, releaseNow, testPrefix } from '../support/dispatch.js';
import { countsBy, runDays } from '../support/pacing.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

const ZONE = 'Europe/Rome';
const local = (day: string, hm: string): number => DateTime.fromISO(`${day}T${hm}`, { zone: ZONE }).toMillis();
const dayOf = (ms: number): string => DateTime.fromMillis(ms, { zone: ZONE }).toISODate()!;
const hm = (ms: number): string => DateTime.fromMillis(ms, { zone: ZONE }).toFormat('HH:mm');

const CENTER: CenterRecord = {
  center_id: 'LAZ-0001', name: 'Nuvola', region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: 'Viale Asia 40',
  daily_capacity: 50, opening: 'mon-sat 08:00-20:00', catchment: ['RM1'], line: 2,
};

function campaign(extra: string, target = 20, lead = 1): Campaign {
  return parseCampaign(
    `id: cal
name: Calendar
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - { id: invite, channels: [sms], template: invite }
  - { id: reminder, channels: [sms], template: reminder, send: { before_appointment: { days: 1, at: "10:00" } } }
pacing: { daily_target: ${target} }
appointments: { lead_days: ${lead}, horizon_days: 14 }
sms: { max_segments: 6 }
${extra}`,
    'cal.yaml',
  ).campaign;
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`pacing calendar and steps on ${dialect.name}`, () => {
    let t: TestStore;
    let redis: ReturnType<typeof testPrefix>;
    beforeEach(async () => {
      t = await dialect.open();
      redis = testPrefix();
      await t.store.registry.writeCenters('seed', [CENTER]);
    });
    afterEach(async () => {
      await redis.cleanup();
      await t.dispose();
    });

    const play = (c: Campaign, from: string, to: string, before?: (at: number) => Promise<void>) =>
      runDays({ store: t.store, prefix: redis.prefix, ceilings: { sms: 10 }, window: [local(from, "00:00"), local(to, "00:00")], tickMs: 300_000, from: local(from, '00:00'), to: local(to, '00:00'), ...(before ? { before } : {}) });

    it('sends nothing on Sundays and public holidays, and a closed day does not add its target to the next', async () => {
      await t.store.registry.writeCitizens('seed', citizens(200, 200, 0));
      const c = campaign('windows: { sms: "mon-sat 09:00-20:00" }\nholidays: IT');
      await launchCampaign(t.store.dispatch, c, 0, new Date(local('2021-04-02', '00:00')).toISOString());
      // Friday 2 April … Tuesday 6 April 2021: Easter Sunday, then Easter Monday (a holiday).
      await play(c, '2021-04-02', '2021-04-07');
      const perDay = new Map<string, number>();
      for (const [at, n] of await countsBy(t.store, 'cal', 'queued_at')) perDay.set(dayOf(at), (perDay.get(dayOf(at)) ?? 0) + n);
      const invites = await t.store.db.selectFrom('messages').select(['queued_at']).where('step_id', '=', 'invite').where('queued_at', 'is not', null).execute();
      const byDay = new Map<string, number>();
      for (const m of invites) byDay.set(dayOf(Date.parse(m.queued_at!)), (byDay.get(dayOf(Date.parse(m.queued_at!))) ?? 0) + 1);
      expect(Object.fromEntries(byDay)).toEqual({ '2021-04-02': 20, '2021-04-03': 20, '2021-04-06': 20 });
      expect(await t.store.pacing.day('cal', '2021-04-06')).toMatchObject({ target: 20, released: 20 });
      // No appointment on the holiday either.
      const onHoliday = await t.store.db.selectFrom('appointments').select('appointment_id').where('day', 'in', ['2021-04-04', '2021-04-05']).execute();
      expect(onHoliday).toEqual([]);
    });

    it('with daily_target: capacity invites the open slots of the target day over the expected acceptance', async () => {
      await t.store.registry.writeCitizens('seed', citizens(300, 300, 0));
      const c = parseCampaign(
        `id: cap
name: Capacity
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps: [{ id: invite, channels: [sms], template: invite }]
pacing: { daily_target: capacity, acceptance: { expected: 0.5, min: 0.3, max: 0.9 } }
windows: { sms: "mon-sat 09:00-20:00" }
holidays: none
appointments: { lead_days: 2, horizon_days: 14 }
sms: { max_segments: 6 }`,
        'cap.yaml',
      ).campaign;
      await launchCampaign(t.store.dispatch, c, 0, new Date(local('2021-03-01', '00:00')).toISOString());
      await play(c, '2021-03-01', '2021-03-02');
      // Wednesday's 50 places at the one centre, over an expected acceptance of 0.5.
      expect(await t.store.pacing.day('cap', '2021-03-01')).toMatchObject({ target: 100, released: 100 });
      const days = await t.store.db.selectFrom('appointments').select(['day', (eb) => eb.fn.countAll().as('n')]).groupBy('day').orderBy('day').execute();
      expect(days.map((d) => [d.day, Number(d.n)])).toEqual([['2021-03-03', 50], ['2021-03-04', 50]]);
      // Saturday also feeds Tuesday (no invitations go out on Sunday): Monday's and Tuesday's 100 places.
      await play(c, '2021-03-06', '2021-03-07');
      expect(await t.store.pacing.day('cap', '2021-03-06')).toMatchObject({ target: 200 });
    });

    it('frees the slot of an invitation whose undelivered receipt overtook the record of its send, when its chain ends (its step has no other channel)', async () => {
      await t.store.registry.writeCitizens('seed', citizens(2, 2, 0));
      const c = campaign('windows: { sms: "daily 00:00-24:00" }\nholidays: none');
      const at = new Date(local('2021-03-01', '10:00')).toISOString();
      await launchCampaign(t.store.dispatch, c, 0, at);
      const [m] = await releaseNow(t.store, c, 1, (id) => `tok-${id}`, at);
      expect(await t.store.dispatch.claim(m!.messageId, 'claim-1', at)).toBe(true);
      // The provider's "undelivered" arrives before the worker records the send…
      await t.store.feedback.applyReceipt('SM-overtaken', 'undelivered', '30003', at);
      await t.store.dispatch.recordSent(m!.messageId, 'claim-1', 'SM-overtaken', at);
      const msg = await t.store.db.selectFrom('messages').select('state').where('message_id', '=', m!.messageId).executeTakeFirstOrThrow();
      expect(msg.state).toBe('undelivered');
      // …so the pacer decides its fallback like any other: no other channel, the chain ends and the slot goes to the next citizen.
      expect(await t.store.appointments.appointment(m!.messageId)).toMatchObject({ state: 'held' });
      const calendar = new SendCalendar(c);
      const now = Date.parse(at);
      expect(await settleFallbacks(t.store.dispatch, c, 10, { at, now, day: calendar.localDay(now), calendar, token: (id) => `tok-${id}` })).toEqual({ made: 0, ended: 1 });
      expect(await t.store.appointments.appointment(m!.messageId)).toMatchObject({ state: 'released' });
      expect(await t.store.appointments.releaseSlotsOfFailedInvitations(at)).toBe(0);
    });

    it('releases call tasks only while the desk’s hopper has room, unless the installation has no operators', async () => {
      // Two citizens with a phone, three with neither: those three are call tasks.
      await t.store.registry.writeCitizens('seed', citizens(5, 2, 0));
      const c = parseCampaign(
        'id: hop\nname: Hopper\nreference_date: 2021-03-01\ncohort: { age: { min: 60 } }\nsteps: [{ id: invite, channels: [sms, call], template: invite }]\npacing: { daily_target: 100 }\nwindows: { sms: "daily 00:00-24:00", call: "daily 00:00-24:00" }\nholidays: none\nsms: { max_segments: 6 }\n',
        'hop.yaml',
      ).campaign;
      const at = new Date(local('2021-03-01', '10:00')).toISOString();
      await launchCampaign(t.store.dispatch, c, 0, at);
      const room = callRoomFor(t.store.desk);
      // No operator accounts: the list is read outside, nothing holds the calls back.
      expect(await room('hop', new Date(at))).toBe(Number.POSITIVE_INFINITY);
      // With one room on the list, one call task goes out; the other two keep their place.
      const released = await releaseNow(t.store, c, 10, (id) => `tok-${id}`, at, 1);
      expect(released.map((r) => r.channel).sort()).toEqual(['call', 'sms', 'sms']);
      const pending = await t.store.db.selectFrom('messages').select('message_id').where('state', '=', 'pending').execute();
      expect(pending).toHaveLength(2);
      // An operator account that nobody works under: the hopper is empty.
      await new Desk({ store: t.store.desk }).addOperator({ operatorId: 'giulia', name: 'Giulia', languages: ['it'] });
      expect(await callRoomFor(t.store.desk)('hop', new Date(at))).toBe(0);
    });

    it('keeps a DST day’s window at 09:00–20:00 local (23-hour and 25-hour days)', async () => {
      await t.store.registry.writeCitizens('seed', citizens(100, 100, 0));
      const c = campaign('windows: { sms: "daily 09:00-20:00" }\nholidays: none', 44);
      await launchCampaign(t.store.dispatch, c, 0, new Date(local('2021-03-28', '00:00')).toISOString());
      await play(c, '2021-03-28', '2021-03-29');
      const times = [...(await countsBy(t.store, 'cal', 'queued_at')).keys()];
      const invites = await t.store.db.selectFrom('messages').select(['queued_at']).where('step_id', '=', 'invite').where('queued_at', 'is not', null).execute();
      expect(invites).toHaveLength(44);
      for (const at of times) expect(hm(at) >= '09:00' && hm(at) < '20:00', hm(at)).toBe(true);
      // 09:00–20:00 in Rome is 07:00–18:00 UTC after the spring change (08:00–19:00 before it).
      expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.parse('2021-03-28T07:00:00Z'));
      expect(Math.max(...times)).toBeLessThan(Date.parse('2021-03-28T18:00:00Z'));
    });

    it('sends each reminder the day before the appointment at 10:00, or the last open day before it', async () => {
      await t.store.registry.writeCitizens('seed', citizens(60, 60, 0));
      const c = campaign('windows: { sms: "mon-sat 09:00-20:00" }\nholidays: none', 20, 2);
      await launchCampaign(t.store.dispatch, c, 0, new Date(local('2021-03-03', '00:00')).toISOString());
      // Wednesday 3 … Tuesday 9 March: Friday's invitations have Monday appointments (Sunday closed),
      // whose reminders go on Saturday.
      await play(c, '2021-03-03', '2021-03-10');
      const rows = await t.store.db
        .selectFrom('messages as m')
        .innerJoin('appointments as a', 'a.appointment_id', 'm.appointment_id')
        .select(['m.sent_at', 'a.start_at', 'a.day'])
        .where('m.step_id', '=', 'reminder')
        .execute();
      expect(rows.length).toBe(60);
      for (const r of rows) {
        const sent = Date.parse(r.sent_at!);
        expect(sent).toBeLessThan(Date.parse(r.start_at));
        const expected = DateTime.fromISO(r.day, { zone: ZONE }).minus({ days: DateTime.fromISO(r.day).weekday === 1 ? 2 : 1 }).toISODate();
        expect(`${dayOf(sent)} ${hm(sent)}`, r.day).toBe(`${expected} 10:00`);
      }
    });

    it('a reminder nobody can receive (an SMS reminder to a citizen invited by call) is skipped with its reason, not failed, and does not feed the error brake', async () => {
      // Four citizens with a phone, four with neither: those four are invited by an operator's call.
      await t.store.registry.writeCitizens('seed', citizens(8, 4, 0));
      const c = parseCampaign(
        `id: skip
name: Skip
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - { id: invite, channels: [sms, call], template: invite }
  - { id: reminder, channels: [sms], template: reminder, send: { before_appointment: { days: 1, at: "10:00" } } }
pacing: { daily_target: 100 }
appointments: { lead_days: 2, horizon_days: 14 }
windows: { sms: "mon-sat 09:00-20:00", call: "mon-sat 09:00-20:00" }
holidays: none
sms: { max_segments: 6 }
`,
        'skip.yaml',
      ).campaign;
      await launchCampaign(t.store.dispatch, c, 0, new Date(local('2021-03-01', '00:00')).toISOString());
      await play(c, '2021-03-01', '2021-03-06');
      const reminders = await t.store.db.selectFrom('messages').select(['state', 'error_code', 'citizen_id']).where('step_id', '=', 'reminder').orderBy('citizen_id').execute();
      expect(reminders).toHaveLength(8);
      const skipped = reminders.filter((r) => r.state === 'skipped');
      expect(skipped.map((r) => r.citizen_id)).toEqual(['P00004', 'P00005', 'P00006', 'P00007']);
      expect(skipped.every((r) => r.error_code === 'NO_CHANNEL')).toBe(true);
      expect(reminders.filter((r) => r.state === 'failed')).toHaveLength(0);
      expect(reminders.filter((r) => r.state === 'sent' || r.state === 'delivered')).toHaveLength(4);
      expect((await t.store.dispatch.outcomes('skip')).failed).toBe(0);
    });

    it('sends the follow-up only to citizens who neither confirmed nor declined within the days given', async () => {
      await t.store.registry.writeCitizens('seed', citizens(6, 6, 0));
      const c = parseCampaign(
        `id: fup
name: Follow-up
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - { id: invite, channels: [sms], template: invite }
  - { id: follow-up, channels: [call], template: followup, send: { no_answer_after: { days: 2 } } }
pacing: { daily_target: 6 }
windows: { sms: "mon-sat 09:00-20:00", call: "mon-sat 09:00-19:00" }
holidays: none
appointments: { lead_days: 3, horizon_days: 14 }
sms: { max_segments: 6 }`,
        'fup.yaml',
      ).campaign;
      await launchCampaign(t.store.dispatch, c, 0, new Date(local('2021-03-01', '00:00')).toISOString());
      await play(c, '2021-03-01', '2021-03-02', async (at) => {
        // On Monday at 15:00 two citizens answer: one confirms, one declines.
        if (at !== local('2021-03-01', '15:00')) return;
        await t.store.appointments.confirm('fup.invite.P00000', new Date(at).toISOString());
        await t.store.appointments.release('fup.invite.P00001', 'declined', new Date(at).toISOString());
      });
      await play(c, '2021-03-02', '2021-03-05');
      const followUps = await t.store.db.selectFrom('messages').select(['citizen_id', 'sent_at', 'state']).where('step_id', '=', 'follow-up').orderBy('citizen_id').execute();
      expect(followUps.map((f) => f.citizen_id)).toEqual(['P00002', 'P00003', 'P00004', 'P00005']);
      const invited = await t.store.db.selectFrom('messages').select(['citizen_id', 'sent_at']).where('step_id', '=', 'invite').execute();
      const sentAt = new Map(invited.map((i) => [i.citizen_id, Date.parse(i.sent_at!)]));
      for (const f of followUps) {
        expect(f.state).toBe('sent');
        // Two days after the invitation — but P00005, invited at 19:00, would then meet a closed call
        // window until Thursday, its appointment's day: it moves to Wednesday 10:00, before it.
        if (f.citizen_id === 'P00005') expect(`${dayOf(Date.parse(f.sent_at!))} ${hm(Date.parse(f.sent_at!))}`).toBe('2021-03-03 10:00');
        else expect(Date.parse(f.sent_at!) - sentAt.get(f.citizen_id)!).toBeGreaterThanOrEqual(2 * 86_400_000);
      }
      // The call channel put them on the operators' list.
      expect(await t.store.db.selectFrom('call_tasks').select('task_id').execute()).toHaveLength(4);
    });

    const followUpCampaign = (lead: number) =>
      parseCampaign(
        `id: late
name: Late follow-up
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - { id: invite, channels: [sms], template: invite }
  - { id: follow-up, channels: [call], template: followup, send: { no_answer_after: { days: 3 } } }
pacing: { daily_target: 6 }
windows: { sms: "mon-sat 09:00-20:00", call: "mon-sat 09:00-19:00" }
holidays: none
appointments: { lead_days: ${lead}, horizon_days: 14 }
sms: { max_segments: 6 }`,
        'late.yaml',
      ).campaign;

    it('a follow-up that would fall after the appointment moves before the appointment\'s day (its script says the appointment is still reserved)', async () => {
      await t.store.registry.writeCitizens('seed', citizens(6, 6, 0));
      const c = followUpCampaign(2);
      await launchCampaign(t.store.dispatch, c, 0, new Date(local('2021-03-01', '00:00')).toISOString());
      await play(c, '2021-03-01', '2021-03-06');
      const rows = await t.store.db
        .selectFrom('messages as m')
        .innerJoin('appointments as a', 'a.appointment_id', 'm.appointment_id')
        .innerJoin('messages as i', 'i.message_id', 'a.appointment_id')
        .select(['m.state', 'm.sent_at', 'a.day', 'i.sent_at as invited_at'])
        .where('m.step_id', '=', 'follow-up')
        .execute();
      expect(rows).toHaveLength(6);
      for (const r of rows) {
        expect(r.state).toBe('sent');
        const sent = Date.parse(r.sent_at!);
        // Before the appointment's day (3 days after the invitation would be after it), at least 12 hours after the invitation.
        expect(dayOf(sent) < r.day, `${dayOf(sent)} before ${r.day}`).toBe(true);
        expect(sent - Date.parse(r.invited_at!)).toBeGreaterThanOrEqual(12 * 3_600_000);
      }
    });

    it('a follow-up with no time left before the appointment is dropped, with the reason, and no call is made', async () => {
      await t.store.registry.writeCitizens('seed', citizens(6, 6, 0));
      const c = followUpCampaign(1);
      await launchCampaign(t.store.dispatch, c, 0, new Date(local('2021-03-01', '00:00')).toISOString());
      await play(c, '2021-03-01', '2021-03-06');
      const rows = await t.store.db.selectFrom('messages').select(['state', 'error_detail', 'sent_at']).where('step_id', '=', 'follow-up').execute();
      expect(rows).toHaveLength(6);
      expect(rows.every((r) => r.state === 'cancelled' && r.error_detail === 'no time for a follow-up before the appointment' && r.sent_at === null)).toBe(true);
      expect(await t.store.db.selectFrom('call_tasks').select('task_id').execute()).toHaveLength(0);
    });
  });
}
