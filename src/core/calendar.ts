/**
 * Calendar arithmetic on ISO `YYYY-MM-DD` dates, shared by every layer. Hand-written rather
 * than through luxon because it runs for every row of a 10-million-row import.
 */

export const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `[year, month, day]` of a `YYYY-MM-DD` text, or null when it is not one (not checked for reality). */
export function dateParts(iso: string): [number, number, number] | null {
  const m = ISO_DATE.exec(iso);
  return m === null ? null : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * Completed years on `asOf` of someone born on `birth` (both `YYYY-MM-DD`), or null when either
 * is not a date. Someone born on 29 February completes a year on 1 March in common years.
 */
export function ageOn(birth: string, asOf: string): number | null {
  const b = dateParts(birth);
  const d = dateParts(asOf);
  if (b === null || d === null) return null;
  const beforeBirthday = d[1] < b[1] || (d[1] === b[1] && d[2] < b[2]);
  return d[0] - b[0] - (beforeBirthday ? 1 : 0);
}
