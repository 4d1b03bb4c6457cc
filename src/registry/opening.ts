/**
 * Opening hours of a vaccination centre, e.g. `mon-sat 08:00-20:00` or
 * `mon-fri 08:00-13:00 14:00-20:00; sat 08:00-13:00`. Rules are separated by `;`, each is a
 * day set (`mon-fri`, `mon,wed,fri`, `sat`, `daily`) followed by one or more time ranges.
 * Times are local to the campaign's time zone; slot allocation reads the parsed form.
 */
import type { Parsed } from './fields.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export interface OpeningRule {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  readonly days: readonly number[];
  /** Minutes after midnight, [start, end), sorted and not overlapping. */
  readonly ranges: readonly (readonly [number, number])[];
}

const dayIndex = (d: string): number => WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]) + 1;

function parseDays(text: string): number[] | null {
  if (text === 'daily') return [1, 2, 3, 4, 5, 6, 7];
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    const from = dayIndex(a ?? '');
    if (from === 0) return null;
    if (b === undefined) {
      days.add(from);
      continue;
    }
    const to = dayIndex(b);
    if (to === 0) return null;
    // A range may wrap the week: `sat-mon`.
    for (let d = from; ; d = (d % 7) + 1) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort((x, y) => x - y);
}

function parseTime(t: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(t);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return null;
  return h * 60 + min;
}

const fmt = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export function parseOpening(text: string): Parsed<OpeningRule[]> {
  const rules: OpeningRule[] = [];
  const source = text.trim().toLowerCase();
  if (source === '') return { ok: false, reason: 'opening is missing' };
  for (const chunk of source.split(';')) {
    const words = chunk.trim().split(/\s+/);
    const days = parseDays(words[0] ?? '');
    if (!days) return { ok: false, reason: `opening: "${words[0]}" is not a day set such as mon-sat, mon,wed,fri or daily` };
    if (words.length < 2) return { ok: false, reason: `opening: "${chunk.trim()}" has no hours such as 08:00-20:00` };
    const ranges: [number, number][] = [];
    for (const w of words.slice(1)) {
      const [a, b] = w.split('-');
      const start = parseTime(a ?? '');
      const end = parseTime(b ?? '');
      if (start === null || end === null || end <= start) {
        return { ok: false, reason: `opening: "${w}" is not a time range such as 08:00-20:00` };
      }
      ranges.push([start, end]);
    }
    ranges.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < ranges.length; i++) {
      if (ranges[i]![0] < ranges[i - 1]![1]) return { ok: false, reason: `opening: hours overlap in "${chunk.trim()}"` };
    }
    rules.push({ days, ranges });
  }
  const seen = new Set<number>();
  for (const r of rules) {
    for (const d of r.days) {
      if (seen.has(d)) return { ok: false, reason: `opening: ${WEEKDAYS[d - 1]} is listed twice` };
      seen.add(d);
    }
  }
  return { ok: true, value: rules };
}

/** The canonical text of parsed opening hours (what the store keeps). */
export function formatOpening(rules: readonly OpeningRule[]): string {
  return rules
    .map((r) => {
      const days = r.days.map((d) => WEEKDAYS[d - 1]);
      const contiguous = r.days.length > 1 && r.days.every((d, i) => i === 0 || d === r.days[i - 1]! + 1);
      const dayText = r.days.length === 7 ? 'daily' : contiguous ? `${days[0]}-${days[days.length - 1]}` : days.join(',');
      return `${dayText} ${r.ranges.map(([a, b]) => `${fmt(a)}-${fmt(b)}`).join(' ')}`;
    })
    .join('; ');
}
