/**
 * Dates and times as a citizen reads or hears them: in the message's language and the
 * campaign's time zone (an appointment at 09:30 in Rome is 09:30 whatever the server's zone).
 */
import { DateTime } from 'luxon';

/**
 * `full`: weekday, day, month, year · `long`: day, month, year · `weekday`: weekday, day,
 * month (no year: an appointment weeks ahead needs none, and an SMS saves five characters) ·
 * `short`: digits · `spoken`: weekday, day, month, as said aloud.
 */
export type DateStyle = 'full' | 'long' | 'weekday' | 'short' | 'brief' | 'spoken';
/** `short`: 24-hour `09:30` · `spoken`: as said aloud (`9 e 30`, `9 Uhr 30`, `9:30 am`). */
export type TimeStyle = 'short' | 'spoken';

export const DATE_STYLES: readonly DateStyle[] = ['full', 'long', 'weekday', 'short', 'brief', 'spoken'];
export const TIME_STYLES: readonly TimeStyle[] = ['short', 'spoken'];

// British English: day-month order and 24-hour clock, as an Italian authority writes to English readers.
// Arabic with Latin digits, as Arabic speakers in Italy read dates and times in Italian texts.
const LOCALES: Readonly<Record<string, string>> = { it: 'it-IT', de: 'de-DE', en: 'en-GB', ro: 'ro-RO', ar: 'ar-u-nu-latn' };

/** The `brief` date, for one-segment texts: abbreviated weekday, day/month (`mar 2/3`, `Tue 2/3`, `Di 2.3.`). */
const BRIEF: Readonly<Record<string, string>> = { de: 'ccc d.M.', ar: 'cccc d/M' };

const localeOf = (language: string): string => LOCALES[language] ?? language;

/**
 * Parses an ISO-8601 datetime that carries its offset (`Z` or `+01:00`) into the zone.
 * A datetime without an offset is refused: it would be read in the server's zone.
 *
 * @returns null when the text is not such a datetime.
 */
export function parseInstant(iso: string, timezone: string): DateTime | null {
  if (!/(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/.test(iso)) return null;
  const dt = DateTime.fromISO(iso, { zone: timezone });
  return dt.isValid ? dt : null;
}

const knownZones = new Map<string, boolean>();

/** Whether luxon knows the IANA time zone (remembered: a campaign asks for every message). */
export function isValidTimezone(timezone: string): boolean {
  let known = knownZones.get(timezone);
  if (known === undefined) {
    known = DateTime.local().setZone(timezone).isValid;
    if (knownZones.size < 1000) knownZones.set(timezone, known);
  }
  return known;
}

const WEEKDAY_DAY_MONTH = { weekday: 'long', day: 'numeric', month: 'long' } as const;

function spokenDate(dt: DateTime, language: string): string {
  const weekday = dt.toFormat('cccc');
  const month = dt.toFormat('LLLL');
  switch (language) {
    case 'it':
      // Italian says "primo" for the first day of the month and cardinals after it.
      return `${weekday} ${dt.day === 1 ? 'primo' : dt.day} ${month}`;
    case 'de':
      return `${weekday}, den ${dt.day}. ${month}`;
    case 'en':
      return `${weekday} the ${dt.day}${englishOrdinalSuffix(dt.day)} of ${month}`;
    default:
      return dt.toLocaleString(WEEKDAY_DAY_MONTH);
  }
}

function englishOrdinalSuffix(day: number): string {
  if (day >= 11 && day <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][day % 10] ?? 'th';
}

function spokenTime(dt: DateTime, language: string): string {
  const { hour, minute } = dt;
  switch (language) {
    case 'it':
      return minute === 0 ? `${hour}` : `${hour} e ${minute}`;
    case 'de':
      return minute === 0 ? `${hour} Uhr` : `${hour} Uhr ${minute}`;
    case 'en': {
      const h12 = hour % 12 === 0 ? 12 : hour % 12;
      const half = hour < 12 ? 'am' : 'pm';
      return minute === 0 ? `${h12} ${half}` : `${h12}:${String(minute).padStart(2, '0')} ${half}`;
    }
    default:
      return dt.toLocaleString(DateTime.TIME_SIMPLE);
  }
}

/** A date in the language's words, e.g. `lunedì 1 marzo 2021` (it, full), `Montag, 1. März 2021` (de, full). */
export function formatDate(instant: DateTime, language: string, style: DateStyle): string {
  const dt = instant.setLocale(localeOf(language));
  switch (style) {
    case 'full':
      return dt.toLocaleString(DateTime.DATE_HUGE);
    case 'long':
      return dt.toLocaleString(DateTime.DATE_FULL);
    case 'weekday':
      return dt.toLocaleString(WEEKDAY_DAY_MONTH);
    case 'short':
      return dt.toLocaleString(DateTime.DATE_SHORT);
    case 'brief':
      return dt.toFormat(BRIEF[language] ?? 'ccc d/M').replace(/\.(?= )/u, '');
    case 'spoken':
      return spokenDate(dt, language);
  }
}

/** A time of day, e.g. `09:30` (short) or `9 e 30` (it, spoken). */
export function formatTime(instant: DateTime, language: string, style: TimeStyle): string {
  const dt = instant.setLocale(localeOf(language));
  return style === 'short' ? dt.toFormat('HH:mm') : spokenTime(dt, language);
}

// How a date and a time join in a sentence; German puts "Uhr" after a written time.
const DATETIME_JOIN: Readonly<Record<string, (date: string, time: string, spoken: boolean) => string>> = {
  it: (d, t) => `${d} alle ${t}`,
  de: (d, t, spoken) => (spoken ? `${d} um ${t}` : `${d} um ${t} Uhr`),
  en: (d, t) => `${d} at ${t}`,
};

/** Date and time in one phrase, e.g. `lunedì 1 marzo 2021 alle 09:30`, `Montag, 1. März 2021 um 09:30 Uhr`. */
export function formatDateTime(instant: DateTime, language: string, style: DateStyle): string {
  const spoken = style === 'spoken';
  const date = formatDate(instant, language, style);
  const time = formatTime(instant, language, spoken ? 'spoken' : 'short');
  const join = DATETIME_JOIN[language];
  return join === undefined ? `${date} ${time}` : join(date, time, spoken);
}

/** What a date helper prints. */
export type InstantKind = 'date' | 'time' | 'datetime';

// Citizens invited in one batch share a few hundred slot start times, and luxon's zone
// arithmetic costs more than the rest of a render; so each formatted value is kept. The
// bound keeps memory flat over a long run (clearing is crude but a refill costs little).
const formatted = new Map<string, string | null>();
const FORMAT_CACHE_LIMIT = 20_000;

// One parse serves the date and the time of the same appointment in a template.
let lastParsed: { iso: string; timezone: string; dt: DateTime | null } = { iso: '', timezone: '', dt: null };
function parsedInstant(iso: string, timezone: string): DateTime | null {
  if (lastParsed.iso !== iso || lastParsed.timezone !== timezone) lastParsed = { iso, timezone, dt: parseInstant(iso, timezone) };
  return lastParsed.dt;
}

/**
 * Formats an ISO-8601 datetime with offset, as the date/time/datetime helpers print it;
 * results are memoised.
 *
 * @returns null when `iso` is not a datetime with offset.
 */
export function formatInstant(kind: InstantKind, iso: string, timezone: string, language: string, style: DateStyle | TimeStyle): string | null {
  const key = `${kind}\u0000${style}\u0000${language}\u0000${timezone}\u0000${iso}`;
  let out = formatted.get(key);
  if (out === undefined) {
    const dt = parsedInstant(iso, timezone);
    out =
      dt === null
        ? null
        : kind === 'date'
          ? formatDate(dt, language, style as DateStyle)
          : kind === 'time'
            ? formatTime(dt, language, style as TimeStyle)
            : formatDateTime(dt, language, style as DateStyle);
    if (formatted.size >= FORMAT_CACHE_LIMIT) formatted.clear();
    formatted.set(key, out);
  }
  return out;
}
