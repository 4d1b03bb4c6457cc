import { describe, expect, it } from 'vitest';
import { campaignSchema, type Campaign } from '../../src/campaigns/schema.js';
import { InvitoError } from '../../src/core/errors.js';
import { SendCalendar } from '../../src/pacer/windows.js';

const H = 3_600_000;
const utc = (iso: string): number => Date.parse(iso);

function campaign(extra: Record<string, unknown> = {}): Campaign {
  return campaignSchema.parse({
    id: 'cal',
    name: 'Calendar',
    timezone: 'Europe/Rome',
    reference_date: '2021-03-01',
    steps: [{ id: 'invite', channels: ['sms', 'call'], template: 'invite' }],
    pacing: { daily_target: 1000 },
    ...extra,
  });
}

describe('send calendar', () => {
  const cal = new SendCalendar(campaign());

  it('the pacing channel is the first step\'s first channel', () => {
    expect(cal.pacingChannel).toBe('sms');
    expect(new SendCalendar(campaign({ steps: [{ id: 'invite', channels: ['email', 'sms'], template: 'invite' }] })).pacingChannel).toBe('email');
  });

  it('an ordinary day: the default SMS window is 09:00–20:00 local (UTC+1 in winter)', () => {
    expect(cal.openIntervals('sms', '2021-03-01')).toEqual([{ start: utc('2021-03-01T08:00:00Z'), end: utc('2021-03-01T19:00:00Z') }]);
    expect(cal.openIntervals('call', '2021-03-01')).toEqual([{ start: utc('2021-03-01T08:00:00Z'), end: utc('2021-03-01T18:00:00Z') }]);
    expect(cal.openMs('sms', '2021-03-01')).toBe(11 * H);
  });

  it('openFor: open at a time and for a margin after it without a break; a window to 24:00 goes on into the next day from 00:00', () => {
    const M = 60_000;
    expect(cal.openFor('sms', utc('2021-03-01T18:58:00Z'), M)).toBe(true); // 19:58 in Rome, closes 20:00
    expect(cal.openFor('sms', utc('2021-03-01T18:59:30Z'), M)).toBe(false);
    expect(cal.openFor('sms', utc('2021-03-01T07:59:00Z'), M)).toBe(false); // 08:59: not open yet
    const always = new SendCalendar(campaign({ windows: { sms: 'daily 00:00-24:00' }, holidays: 'none' }));
    expect(always.openFor('sms', utc('2021-03-01T22:59:30Z'), M)).toBe(true); // 23:59:30 into Tuesday
    const sunday = new SendCalendar(campaign({ windows: { sms: 'mon-sat 00:00-24:00' }, holidays: 'none' }));
    expect(sunday.openFor('sms', utc('2021-03-06T22:59:30Z'), M)).toBe(false); // Saturday 23:59:30: Sunday is closed
  });

  it('the spring-forward day lasts 23 hours and its window is still 09:00–20:00 local, 11 hours', () => {
    const day = '2021-03-28';
    expect(cal.dayStart(cal.addDays(day, 1)) - cal.dayStart(day)).toBe(23 * H);
    // Sunday is closed by default; open Sundays to look at the window itself.
    const open = new SendCalendar(campaign({ windows: { sms: 'daily 09:00-20:00' } }));
    expect(open.openIntervals('sms', day)).toEqual([{ start: utc('2021-03-28T07:00:00Z'), end: utc('2021-03-28T18:00:00Z') }]);
    expect(open.openMs('sms', day)).toBe(11 * H);
  });

  it('the fall-back day lasts 25 hours and its window is still 09:00–20:00 local, 11 hours', () => {
    const day = '2021-10-31';
    expect(cal.dayStart(cal.addDays(day, 1)) - cal.dayStart(day)).toBe(25 * H);
    const open = new SendCalendar(campaign({ windows: { sms: 'daily 09:00-20:00' } }));
    expect(open.openIntervals('sms', day)).toEqual([{ start: utc('2021-10-31T08:00:00Z'), end: utc('2021-10-31T19:00:00Z') }]);
    expect(open.openMs('sms', day)).toBe(11 * H);
  });

  it('a window across the skipped hour keeps its wall-clock ends: 01:00–04:00 on the spring day lasts 2 hours', () => {
    const night = new SendCalendar(campaign({ windows: { sms: 'daily 01:00-04:00' } }));
    expect(night.openIntervals('sms', '2021-03-28')).toEqual([{ start: utc('2021-03-28T00:00:00Z'), end: utc('2021-03-28T02:00:00Z') }]);
    // A nonexistent local time is moved forward by the gap, like the wall clock.
    expect(night.at('2021-03-28', '02:30')).toBe(utc('2021-03-28T01:30:00Z'));
    expect(night.at('2021-03-28', '10:00')).toBe(utc('2021-03-28T08:00:00Z'));
  });

  it('local days are reckoned in the campaign\'s zone, not UTC', () => {
    expect(cal.localDay(utc('2021-03-01T23:30:00Z'))).toBe('2021-03-02');
    expect(cal.localDay(new Date('2021-03-01T22:59:59Z'))).toBe('2021-03-01');
    expect(cal.localDay(utc('2021-03-27T23:00:00Z'))).toBe('2021-03-28');
    expect(cal.dayStart('2021-03-28')).toBe(utc('2021-03-27T23:00:00Z'));
    expect(cal.dayStart('2021-03-29')).toBe(utc('2021-03-28T22:00:00Z'));
    expect(cal.addDays('2021-02-27', 2)).toBe('2021-03-01');
    expect(cal.addDays('2021-03-01', -1)).toBe('2021-02-28');
  });

  it('public holidays close every channel: Easter Monday and 2 June 2021 in Italy', () => {
    for (const day of ['2021-04-05', '2021-06-02', '2021-01-06', '2021-12-25']) {
      expect(cal.isClosedDay(day)).toBe(true);
      expect(cal.openIntervals('sms', day)).toEqual([]);
      expect(cal.openMs('call', day)).toBe(0);
    }
    expect(cal.isClosedDay('2021-04-06')).toBe(false);
    // Observances (Mother's Day) are not closed.
    expect(cal.isClosedDay('2021-05-09')).toBe(false);
  });

  it('a closed_dates day is closed; holidays: none opens the public holidays', () => {
    const c = new SendCalendar(campaign({ closed_dates: ['2021-03-03'] }));
    expect(c.isClosedDay('2021-03-03')).toBe(true);
    expect(c.openIntervals('sms', '2021-03-03')).toEqual([]);
    const none = new SendCalendar(campaign({ holidays: 'none' }));
    expect(none.isClosedDay('2021-04-05')).toBe(false);
    expect(none.openMs('sms', '2021-04-05')).toBe(11 * H);
  });

  it('an unknown holiday country is a campaign error: the schema refuses it, and so does the calendar', () => {
    expect(() => campaign({ holidays: 'QQ' })).toThrow(/date-holidays/);
    // A definition stored before the schema checked the code still cannot build a calendar.
    expect(() => new SendCalendar({ ...campaign(), holidays: 'QQ' })).toThrow(InvitoError);
  });

  it('nextOpen skips the Sunday and the Easter Monday after a Saturday evening', () => {
    const satEvening = utc('2021-04-03T18:30:00Z'); // 20:30 local, after the window
    expect(cal.isOpen('sms', satEvening)).toBe(false);
    expect(cal.nextOpen('sms', satEvening)).toBe(utc('2021-04-06T07:00:00Z')); // Tuesday 09:00 CEST
    const inside = utc('2021-04-06T10:00:00Z');
    expect(cal.isOpen('sms', inside)).toBe(true);
    expect(cal.nextOpen('sms', inside)).toBe(inside);
    // Before the window on an open day: its start.
    expect(cal.nextOpen('sms', utc('2021-04-06T05:00:00Z'))).toBe(utc('2021-04-06T07:00:00Z'));
  });

  it('the window end is exclusive', () => {
    const end = utc('2021-03-01T19:00:00Z');
    expect(cal.isOpen('sms', end - 1)).toBe(true);
    expect(cal.isOpen('sms', end)).toBe(false);
    expect(cal.nextOpen('sms', end)).toBe(utc('2021-03-02T08:00:00Z'));
  });

  it('nextOpen is null when a channel never opens again within 400 days', () => {
    const days: string[] = [];
    for (let d = '2021-03-01'; days.length < 420; d = cal.addDays(d, 1)) days.push(d);
    const shut = new SendCalendar(campaign({ closed_dates: days }));
    expect(shut.nextOpen('sms', utc('2021-03-01T10:00:00Z'))).toBeNull();
  });

  it('remainingOpenMs counts what is left of the day\'s windows after an instant', () => {
    expect(cal.remainingOpenMs('sms', utc('2021-03-01T06:00:00Z'))).toBe(11 * H);
    expect(cal.remainingOpenMs('sms', utc('2021-03-01T17:30:00Z'))).toBe(1.5 * H);
    expect(cal.remainingOpenMs('sms', utc('2021-03-01T20:00:00Z'))).toBe(0);
    const split = new SendCalendar(campaign({ windows: { sms: 'mon-fri 09:00-13:00 14:00-18:00' } }));
    expect(split.remainingOpenMs('sms', utc('2021-03-01T11:00:00Z'))).toBe(1 * H + 4 * H); // 12:00 local
    expect(split.remainingOpenMs('sms', utc('2021-03-06T11:00:00Z'))).toBe(0); // Saturday
  });

  it('at() gives local wall-clock times, DST-correct on both sides of the change', () => {
    expect(cal.at('2021-03-27', '10:00')).toBe(utc('2021-03-27T09:00:00Z'));
    expect(cal.at('2021-03-29', '10:00')).toBe(utc('2021-03-29T08:00:00Z'));
    expect(cal.at('2021-03-01', '24:00')).toBe(cal.dayStart('2021-03-02'));
    expect(() => cal.at('2021-03-01', '9:00')).toThrow(RangeError);
  });
});
