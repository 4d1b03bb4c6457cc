/**
 * Ages in completed years on a reference date, turned into birth-date cut-offs so the database
 * can select by age with plain date comparisons (and an index).
 *
 * "Aged at least N on R" means "born on or before R minus N years". Luxon clamps 29 February
 * to 28 February in a non-leap year, which gives exactly the civil rule: someone born on
 * 29 February is N on 1 March in non-leap years (born 2004-02-29: 16 on 2021-02-28, 17 on
 * 2021-03-01), and on a leap reference date R = 29 February, R − N years is 28 February.
 */
import { DateTime } from 'luxon';

/** The latest birth date of someone aged at least `years` on `reference` (YYYY-MM-DD). */
export function bornOnOrBefore(reference: string, years: number): string {
  const d = DateTime.fromISO(reference, { zone: 'utc' });
  if (!d.isValid) throw new Error(`invalid reference date ${reference}`);
  return d.minus({ years }).toISODate()!;
}

export { ageOn } from '../core/calendar.js';

/** The age bands of the national open data (platea.csv), youngest first. */
export const AGE_BANDS = [
  { band: '00-04', min: 0 },
  { band: '05-11', min: 5 },
  { band: '12-19', min: 12 },
  { band: '20-29', min: 20 },
  { band: '30-39', min: 30 },
  { band: '40-49', min: 40 },
  { band: '50-59', min: 50 },
  { band: '60-69', min: 60 },
  { band: '70-79', min: 70 },
  { band: '80+', min: 80 },
] as const;

export type AgeBand = (typeof AGE_BANDS)[number]['band'];

export function ageBand(age: number): AgeBand {
  let band: AgeBand = AGE_BANDS[0].band;
  for (const b of AGE_BANDS) if (age >= b.min) band = b.band;
  return band;
}
