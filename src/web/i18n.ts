/**
 * The pages' languages (issue 15, item 6) through i18next: Italian first, English, German for
 * Alto Adige (its missing keys fall back to Italian), chosen per user. Dates, times and numbers
 * are written in the user's locale and the campaign's time zone: 24-hour times, `03/12/2026`,
 * `1.234,5` in Italian.
 */
import i18next, { type TFunction } from 'i18next';
import { DateTime } from 'luxon';
import { de } from './locales/de.js';
import { en } from './locales/en.js';
import { it } from './locales/it.js';

type Widen<T> = { -readonly [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
/** The shape every language follows (Italian's keys). */
export type Messages = Widen<typeof it>;

export const PAGE_LOCALES = ['it', 'en', 'de'] as const;
export type PageLocale = (typeof PAGE_LOCALES)[number];

const i18n = i18next.createInstance();
void i18n.init({
  resources: { it: { translation: it }, en: { translation: en }, de: { translation: de } },
  lng: 'it',
  fallbackLng: 'it',
  // Resources are in memory: initialised before the first page is written.
  initAsync: false,
  // Pages escape every value themselves (web/markup.ts): i18next must not escape it again.
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** The language of a page for an account's setting (anything else: Italian). */
export const pageLocale = (s: string | null | undefined): PageLocale => ((PAGE_LOCALES as readonly string[]).includes(s ?? '') ? (s as PageLocale) : 'it');

/** BCP 47 tags for Intl: English as in Britain (day first, 24-hour clock). */
const TAG: Readonly<Record<PageLocale, string>> = { it: 'it-IT', en: 'en-GB', de: 'de-DE' };

export interface Translator {
  readonly locale: PageLocale;
  readonly t: TFunction;
  /** `03/12/2026` (it), `03/12/2026` (en), `03.12.2026` (de), in `zone`. */
  date(iso: string, zone: string): string;
  /** `03/12/2026 09:30`, 24-hour, in `zone`. */
  dateTime(iso: string, zone: string): string;
  /** `09:30`, 24-hour. */
  time(iso: string, zone: string): string;
  /** `1.234,5` (it, de), `1,234.5` (en). */
  number(n: number, digits?: number): string;
  /** `12,5 %`. */
  percent(share: number): string;
}

export function translator(locale: PageLocale): Translator {
  const t = i18n.getFixedT(locale);
  const tag = TAG[locale];
  const dt = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).setLocale(tag);
  return {
    locale,
    t,
    date: (iso, zone) => dt(iso, zone).toFormat(locale === 'de' ? 'dd.LL.yyyy' : 'dd/LL/yyyy'),
    dateTime: (iso, zone) => dt(iso, zone).toFormat(locale === 'de' ? 'dd.LL.yyyy HH:mm' : 'dd/LL/yyyy HH:mm'),
    time: (iso, zone) => dt(iso, zone).toFormat('HH:mm'),
    number: (n, digits = 0) => new Intl.NumberFormat(tag, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n),
    percent: (share) => new Intl.NumberFormat(tag, { style: 'percent', maximumFractionDigits: 1 }).format(share),
  };
}
