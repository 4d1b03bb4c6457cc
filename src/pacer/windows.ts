/**
 * The send calendar of a campaign: when each channel may send, in the campaign's time zone.
 * Windows are wall-clock hours (`mon-sat 09:00-20:00`), so on a DST change day the local day
 * lasts 23 or 25 hours while a 09:00–20:00 window still lasts 11. Public holidays (from
 * `date-holidays`, type `public` only) and the campaign's `closed_dates` close every channel.
 *
 * Pure and cached: the pacer asks it on every tick, the forecast for every day of a campaign.
 */
import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import { DEFAULT_WINDOWS, type Campaign } from '../campaigns/schema.js';
import type { Channel } from '../core/channels.js';
import { InvitoError } from '../core/errors.js';
import { parseOpening, type OpeningRule } from '../registry/opening.js';

/** A span of time, epoch ms, `[start, end)`. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

const DAY_MS = 86_400_000;
/** How far `nextOpen` looks before deciding a channel never opens again. */
const LOOKAHEAD_DAYS = 400;
/** Bound of the per-calendar day caches (a campaign of a few years, four channels). */
const CACHE_LIMIT = 8192;

/** Weekday → minute ranges; index 1..7 (ISO weekdays), index 0 unused. */
type WeekHours = readonly (readonly (readonly [number, number])[])[];

const parsedWindows = new Map<string, WeekHours>();

/** Parsed hours, shared by every calendar that uses the same text. */
function weekHours(text: string): WeekHours {
  const cached = parsedWindows.get(text);
  if (cached) return cached;
  const parsed = parseOpening(text);
  if (!parsed.ok) throw new InvitoError('CAMPAIGN_INVALID', `windows: ${parsed.reason}`);
  const week: (readonly (readonly [number, number])[])[] = Array.from({ length: 8 }, () => []);
  for (const rule of parsed.value as OpeningRule[]) for (const d of rule.days) week[d] = rule.ranges;
  parsedWindows.set(text, week);
  return week;
}

const holidayYears = new Map<string, ReadonlySet<string>>();

/** Local dates of the public holidays of `code` (`IT`, `IT-32`) in `year`, cached per code and year. */
function publicHolidays(code: string, year: number): ReadonlySet<string> {
  const key = `${code}:${year}`;
  const cached = holidayYears.get(key);
  if (cached) return cached;
  const [country, state] = code.split('-') as [string, string | undefined];
  const hd = new Holidays();
  const countries = hd.getCountries() ?? {};
  if (!(country in countries)) throw new InvitoError('CAMPAIGN_INVALID', `holidays: ${country} is not a country known to date-holidays`);
  if (state !== undefined) {
    const states = hd.getStates(country) ?? {};
    if (!(state in states)) {
      throw new InvitoError('CAMPAIGN_INVALID', `holidays: ${code} is not a subdivision known to date-holidays (${country} has ${Object.keys(states).map((s) => `${country}-${s}`).join(', ') || 'none'})`);
    }
    hd.init(country, state);
  } else {
    hd.init(country);
  }
  const days = new Set<string>();
  for (const h of hd.getHolidays(year)) {
    if (h.type !== 'public') continue;
    // A holiday may span several days; `date` is its first local day.
    const first = h.date.slice(0, 10);
    const span = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / DAY_MS));
    for (let i = 0; i < span; i++) days.add(addIsoDays(first, i));
  }
  holidayYears.set(key, days);
  return days;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `day` + `n` calendar days, by UTC arithmetic (calendar days have no time zone). */
function addIsoDays(day: string, n: number): string {
  const d = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)) + n));
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** ISO weekday (1 = Monday) of a calendar date. */
function isoWeekday(day: string): number {
  const w = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)))).getUTCDay();
  return w === 0 ? 7 : w;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-4]):([0-5]\d)$/;

/**
 * When a campaign may send, per channel. Build one per campaign and keep it: it caches the
 * parsed windows, the holidays of each year and the open intervals of each day.
 */
export class SendCalendar {
  readonly timezone: string;
  /** The channel that paces invitations: the first step's first channel. */
  readonly pacingChannel: Channel;
  private readonly windows: Record<Channel, WeekHours>;
  private readonly holidays: string;
  private readonly closed: ReadonlySet<string>;
  private readonly starts = new Map<string, number>();
  private readonly intervals = new Map<string, readonly Interval[]>();
  /** The last day `localDay` resolved, so the hot path skips luxon within a day. */
  private lastDay: { day: string; start: number; end: number } | null = null;

  constructor(campaign: Campaign) {
    this.timezone = campaign.timezone;
    this.pacingChannel = campaign.steps[0]!.channels[0]!;
    const w = campaign.windows;
    this.windows = {
      sms: weekHours(w.sms ?? DEFAULT_WINDOWS.sms),
      email: weekHours(w.email ?? DEFAULT_WINDOWS.email),
      voice: weekHours(w.voice ?? DEFAULT_WINDOWS.voice),
      call: weekHours(w.call ?? DEFAULT_WINDOWS.call),
      whatsapp: weekHours(w.whatsapp ?? DEFAULT_WINDOWS.whatsapp),
    };
    this.holidays = campaign.holidays;
    this.closed = new Set(campaign.closed_dates);
    // An unknown country is a campaign error now, not on the first tick of the first day.
    if (this.holidays !== 'none') publicHolidays(this.holidays, Number(campaign.reference_date.slice(0, 4)));
  }

  /** The local calendar day (`YYYY-MM-DD`) of an instant. */
  localDay(at: number | Date): string {
    const t = typeof at === 'number' ? at : at.getTime();
    const last = this.lastDay;
    if (last && t >= last.start && t < last.end) return last.day;
    const day = DateTime.fromMillis(t, { zone: this.timezone }).toISODate()!;
    this.lastDay = { day, start: this.dayStart(day), end: this.dayStart(addIsoDays(day, 1)) };
    return day;
  }

  /** Epoch ms of the local midnight starting `day` (the first instant of the day where midnight is skipped). */
  dayStart(day: string): number {
    const cached = this.starts.get(day);
    if (cached !== undefined) return cached;
    if (!ISO_DAY.test(day)) throw new RangeError(`not a date YYYY-MM-DD: ${day}`);
    const ms = DateTime.fromISO(day, { zone: this.timezone }).startOf('day').toMillis();
    if (this.starts.size >= CACHE_LIMIT) this.starts.clear();
    this.starts.set(day, ms);
    return ms;
  }

  addDays(day: string, n: number): string {
    return addIsoDays(day, n);
  }

  /** A public holiday of the campaign's country, or one of its `closed_dates`. */
  isClosedDay(day: string): boolean {
    if (this.closed.has(day)) return true;
    if (this.holidays === 'none') return false;
    return publicHolidays(this.holidays, Number(day.slice(0, 4))).has(day);
  }

  /** The channel's open intervals on a local day, in time order; none on a closed day. */
  openIntervals(channel: Channel, day: string): Interval[] {
    const key = `${channel}|${day}`;
    const cached = this.intervals.get(key);
    if (cached) return cached as Interval[];
    const out: Interval[] = [];
    if (!this.isClosedDay(day)) {
      for (const [from, to] of this.windows[channel][isoWeekday(day)] ?? []) {
        const start = this.minuteOf(day, from);
        const end = this.minuteOf(day, to);
        // Both ends inside a spring-forward gap: the wall clock never shows that window.
        if (end > start) out.push({ start, end });
      }
    }
    Object.freeze(out);
    if (this.intervals.size >= CACHE_LIMIT) this.intervals.clear();
    this.intervals.set(key, out);
    return out;
  }

  /** Open milliseconds of the channel on a local day. */
  openMs(channel: Channel, day: string): number {
    let ms = 0;
    for (const iv of this.openIntervals(channel, day)) ms += iv.end - iv.start;
    return ms;
  }

  isOpen(channel: Channel, at: number): boolean {
    for (const iv of this.openIntervals(channel, this.localDay(at))) if (at >= iv.start && at < iv.end) return true;
    return false;
  }

  /**
   * Whether the channel is open at `at` and stays open, without a break, for `ms` after it. An
   * interval that ends where the next begins (a window to 24:00 and the next day's from 00:00)
   * goes on into it.
   */
  openFor(channel: Channel, at: number, ms: number): boolean {
    let from = at;
    for (let step = 0; step < 4; step++) {
      const iv = this.openIntervals(channel, this.localDay(from)).find((i) => from >= i.start && from < i.end);
      if (!iv) return false;
      if (at + ms <= iv.end) return true;
      from = iv.end;
    }
    return false;
  }

  /** `at` when the channel is open then; else the start of its next open interval; null if none within 400 days. */
  nextOpen(channel: Channel, at: number): number | null {
    let day = this.localDay(at);
    for (let i = 0; i <= LOOKAHEAD_DAYS; i++, day = addIsoDays(day, 1)) {
      for (const iv of this.openIntervals(channel, day)) if (at < iv.end) return Math.max(at, iv.start);
    }
    return null;
  }

  /** Open milliseconds left in `at`'s local day after `at`. */
  remainingOpenMs(channel: Channel, at: number): number {
    let ms = 0;
    for (const iv of this.openIntervals(channel, this.localDay(at))) if (iv.end > at) ms += iv.end - Math.max(iv.start, at);
    return ms;
  }

  /** Local wall-clock time `hh:mm` on `day` as epoch ms (for "the day before at 10:00"). */
  at(day: string, time: string): number {
    const m = TIME.exec(time);
    if (!m || !ISO_DAY.test(day)) throw new RangeError(`not a local day and time: ${day} ${time}`);
    return this.minuteOf(day, Number(m[1]) * 60 + Number(m[2]));
  }

  /**
   * Epoch ms of the wall-clock minute `minute` (0–1440) of `day`, computed from the wall clock
   * rather than as midnight + minutes, so 09:00 stays 09:00 on a 23- or 25-hour day. A time
   * skipped by a spring-forward change moves forward by the gap (02:30 → 03:30, as luxon does);
   * 24:00 is the next day's midnight.
   */
  private minuteOf(day: string, minute: number): number {
    if (minute >= 1440) return this.dayStart(addIsoDays(day, 1));
    const y = Number(day.slice(0, 4));
    const mo = Number(day.slice(5, 7));
    const d = Number(day.slice(8, 10));
    return DateTime.fromObject({ year: y, month: mo, day: d, hour: Math.floor(minute / 60), minute: minute % 60 }, { zone: this.timezone }).toMillis();
  }
}

const calendars = new WeakMap<Campaign, SendCalendar>();

/**
 * The calendar of a campaign definition, built once per definition object (stores hand out one
 * parsed object per stored definition, so every tick and every job of a campaign shares it).
 */
export function calendarOf(campaign: Campaign): SendCalendar {
  let cal = calendars.get(campaign);
  if (!cal) calendars.set(campaign, (cal = new SendCalendar(campaign)));
  return cal;
}
