/**
 * Contact limits across campaigns (issue 12, item 5), through the real pipeline: the store on
 * both dialects, the releaser and BullMQ on Redis, the twilio SDK against the sandbox over HTTP.
 * A citizen gets at most `max_per_day` messages a day (default 1) and `max_per_week` in seven
 * days (default 3) from all campaigns together; a release over the limit waits, in its place,
 * for the day it is allowed, and those behind it go.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { ManualClock } from '../src/core/clock.js';
import { campaignLimits, contactLimits, contactWindow, DEFAULT_CONTACT_LIMITS } from '../src/pacer/contact.js';
import { releaseInvitations } from '../src/pacer/invitations.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { SendCalendar } from '../src/pacer/windows.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { CENTER, citizens, startTestWorker, testPrefix, until } from './support/dispatch.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const campaignOf = (id: string, extra = '') =>
  parseCampaign(
    `id: ${id}
name: ${id}
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - id: invite
    channels: [sms]
    template: invite
pacing: { daily_target: 100000 }
windows: { sms: daily 00:00-24:00 }
holidays: none
sms: { max_segments: 6 }
${extra}`,
    `${id}.yaml`,
  ).campaign;

/** 10:00 Rome on 2021-03-0N (a Monday for N = 1). */
const romeTen = (day: number) => Date.parse(`2021-03-${String(day).padStart(2, '0')}T09:00:00Z`);

describe('contact limits from the environment', () => {
  it('default to 1 a day and 3 a week; bad values are refused with the variable named', () => {
    expect(contactLimits({})).toEqual(DEFAULT_CONTACT_LIMITS);
    expect(contactLimits({ INVITO_MAX_PER_DAY: '2', INVITO_MAX_PER_WEEK: '5' })).toEqual({ perDay: 2, perWeek: 5 });
    expect(() => contactLimits({ INVITO_MAX_PER_DAY: 'two' })).toThrow(/INVITO_MAX_PER_DAY must be a whole number/);
    expect(() => contactLimits({ INVITO_MAX_PER_DAY: '0' })).toThrow(/INVITO_MAX_PER_DAY/);
    expect(() => contactLimits({ INVITO_MAX_PER_DAY: '3', INVITO_MAX_PER_WEEK: '2' })).toThrow(/must not be below INVITO_MAX_PER_DAY/);
  });

  it('a campaign can lower the installation limits, never raise them', () => {
    expect(campaignLimits({ perDay: 2, perWeek: 5 }, campaignOf('low', 'contact: { max_per_day: 1, max_per_week: 9 }'))).toEqual({ perDay: 1, perWeek: 5 });
    expect(campaignLimits({ perDay: 2, perWeek: 5 }, campaignOf('none'))).toEqual({ perDay: 2, perWeek: 5 });
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`contact limits on ${dialect.name}`, () => {
    let t: TestStore;
    let sandbox: Sandbox;
    let redis: ReturnType<typeof testPrefix>;
    beforeEach(async () => {
      t = await dialect.open();
      sandbox = await startSandbox({ callbackDelayMs: 1 });
      redis = testPrefix();
      await t.store.registry.writeCitizens('seed', citizens(4, 4, 0, 'C'));
      await t.store.registry.writeCenters('seed', [CENTER]);
    });
    afterEach(async () => {
      await sandbox.close();
      await redis.cleanup();
      await t.dispose();
    });

    const sentBy = (campaigns: readonly string[]) =>
      t.store.db.selectFrom('messages').select(['campaign_id', 'citizen_id', 'queued_at']).where('campaign_id', 'in', campaigns).where('state', 'in', ['sent', 'delivered']).execute();

    it('a citizen in three campaigns gets one message a day: one campaign a day each, over three days', async () => {
      const ids = ['tri-a', 'tri-b', 'tri-c'];
      const clock = new ManualClock(romeTen(1));
      for (const id of ids) await launchCampaign(t.store.dispatch, campaignOf(id), 500, clock.now().toISOString());
      const worker = await startTestWorker(t.store, sandbox, redis.prefix, undefined, { clock });
      try {
        for (const day of [1, 2, 3]) {
          clock.set(romeTen(day));
          // The manual clock moves a minute a poll: the pacer releases by the clock time that passes.
          await until(`day ${day}: four more SMS`, async () => {
            clock.advance(60_000);
            return (await sentBy(ids)).length >= 4 * day;
          }, 20_000);
          // The rest of the day (until 20:00, many release ticks) releases nothing more.
          for (let i = 0; i < 20; i++) {
            clock.advance(15 * 60_000);
            await new Promise((r) => setTimeout(r, 40));
          }
          expect(sandbox.outbox().messages).toHaveLength(4 * day);
          const rows = await sentBy(ids);
          expect(rows).toHaveLength(4 * day);
          for (const citizen of ['C00000', 'C00001', 'C00002', 'C00003']) {
            const mine = rows.filter((r) => r.citizen_id === citizen);
            // One a day, each from a different campaign.
            expect(mine).toHaveLength(day);
            expect(new Set(mine.map((r) => r.campaign_id)).size).toBe(day);
            expect(new Set(mine.map((r) => r.queued_at!.slice(0, 10))).size).toBe(day);
          }
        }
      } finally {
        await worker.close();
      }
      const pending = await t.store.db.selectFrom('messages').select('message_id').where('state', '=', 'pending').execute();
      expect(pending).toHaveLength(0);
    });

    it('the weekly limit holds a fourth campaign until seven days after the first message; a campaign key lowers the limits', async () => {
      const ids = ['wk-a', 'wk-b', 'wk-c', 'wk-d'];
      const cs = ids.map((id) => campaignOf(id));
      for (const c of cs) await launchCampaign(t.store.dispatch, c, 500, new Date(romeTen(1)).toISOString());
      const calendar = new SendCalendar(cs[0]!);
      const releaseOn = async (day: number, c = cs) => {
        let n = 0;
        for (const campaign of c) {
          const now = romeTen(day);
          const at = new Date(now).toISOString();
          const today = calendar.localDay(now);
          await t.store.dispatch.pacing.open(campaign.id, today, 1_000_000, at);
          const contact = contactWindow(campaignLimits(DEFAULT_CONTACT_LIMITS, campaign), calendar, today);
          const r = await releaseInvitations(t.store.dispatch, campaign, 100, { at, now, day: today, calendar, token: (id) => `tok-${id}`, contact });
          // Released messages count as contacts at once (queued), sent or not.
          n += r.released.length;
        }
        return n;
      };
      expect(await releaseOn(1)).toBe(4);
      expect(await releaseOn(2)).toBe(4);
      expect(await releaseOn(3)).toBe(4);
      // Three this week: the fourth campaign waits, day after day, until the first message is seven days old.
      for (const day of [4, 5, 6, 7]) expect(await releaseOn(day)).toBe(0);
      expect(await releaseOn(8)).toBe(4);
      // A message that did not reach the citizen does not count: its fallback (or another campaign) may go.
      const lowered = campaignOf('wk-e', 'contact: { max_per_day: 1, max_per_week: 1 }');
      await launchCampaign(t.store.dispatch, lowered, 500, new Date(romeTen(10)).toISOString());
      // wk-e allows one a week: on day 10 the message of day 8 is the only one of the week, and it holds wk-e back.
      expect(await releaseOn(10, [lowered])).toBe(0);
      await t.store.db.updateTable('messages').set({ state: 'undelivered' }).where('campaign_id', '=', 'wk-d').where('citizen_id', '=', 'C00001').execute();
      expect(await releaseOn(10, [lowered])).toBe(1);
      const e = await t.store.db.selectFrom('messages').select(['citizen_id', 'state']).where('campaign_id', '=', 'wk-e').where('state', '=', 'queued').execute();
      expect(e.map((r) => r.citizen_id)).toEqual(['C00001']);
    });
  });
}
