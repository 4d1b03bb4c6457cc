/**
 * The shape of a centre-day and the acceptance estimate: pure arithmetic, no store.
 *
 * A centre-day has exactly `daily_capacity` places. They are spread evenly over the day's
 * opening ranges in buckets of `slot_minutes`; a bucket holds several people when the capacity
 * exceeds the buckets (375 a day over 44 quarter-hours is 8 or 9 per quarter-hour). Buckets run
 * in real elapsed time from each range's local start, so on a DST change day a range crossing
 * the change has one bucket-hour fewer or more, and every start carries that moment's offset.
 */
import { DateTime } from 'luxon';
import { InvitoError } from '../core/errors.js';
import { MAX_DAILY_CAPACITY } from '../registry/centers.js';
import type { OpeningRule } from '../registry/opening.js';

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The `capacity` local start times (ISO with offset, in time order) of a centre-day: one per
 * place, seq = index. The first buckets of the day take the remainder when the capacity does
 * not divide evenly. `[]` when the centre is closed that weekday or has no capacity. A range
 * shorter than one slot still counts as one bucket (a centre open 08:00–08:10 sees people at 08:00).
 *
 * Throws `USAGE` for a day that is not `YYYY-MM-DD`, an unknown time zone, a negative or
 * fractional capacity, or a slot length under a minute; `CENTER_INVALID` for a capacity above
 * `MAX_DAILY_CAPACITY`.
 *
 * @example
 * slotStarts(parseOpening('mon-fri 08:00-09:00').value, 5, '2021-03-01', 'Europe/Rome', 30)
 * // 08:00 ×3, 08:30 ×2, each '2021-03-01T08:00:00.000+01:00' …
 */
export function slotStarts(rules: readonly OpeningRule[], capacity: number, day: string, timezone: string, slotMinutes: number): string[] {
  if (!Number.isInteger(capacity) || capacity < 0) throw new InvitoError('USAGE', `a centre's daily capacity must be a whole number ≥ 0, not ${capacity}`);
  // The result has one entry per place: a capacity the registry would refuse is never laid out.
  if (capacity > MAX_DAILY_CAPACITY) throw new InvitoError('CENTER_INVALID', `a centre's daily_capacity must be at most ${MAX_DAILY_CAPACITY.toLocaleString('en')}, not ${capacity}`);
  if (!Number.isInteger(slotMinutes) || slotMinutes < 1) throw new InvitoError('USAGE', `slot length must be a whole number of minutes ≥ 1, not ${slotMinutes}`);
  const midnight = ISO_DAY.test(day) ? DateTime.fromISO(day, { zone: timezone }) : null;
  if (midnight === null || !midnight.isValid) throw new InvitoError('USAGE', `cannot lay out slots for day "${day}" in time zone "${timezone}"`);
  const rule = rules.find((r) => r.days.includes(midnight.weekday));
  if (!rule || capacity === 0) return [];

  const buckets: DateTime[] = [];
  for (const [from, to] of rule.ranges) {
    // Wall-clock ends, real-time length: luxon resolves each wall time in the zone (a time in a
    // spring-forward gap moves forward), and the difference is what the day really has.
    const start = at(midnight, from);
    const end = at(midnight, to);
    const minutes = Math.round(end.diff(start, 'minutes').minutes);
    const n = Math.max(1, Math.floor(minutes / slotMinutes));
    for (let i = 0; i < n; i++) buckets.push(start.plus({ minutes: i * slotMinutes }));
  }

  const base = Math.floor(capacity / buckets.length);
  const remainder = capacity % buckets.length;
  const starts: string[] = [];
  buckets.forEach((b, i) => {
    const iso = b.toISO()!;
    for (let k = base + (i < remainder ? 1 : 0); k > 0; k--) starts.push(iso);
  });
  return starts;
}

/** The local time `minutes` after midnight by the wall clock (24:00 is the next midnight). */
function at(midnight: DateTime, minutes: number): DateTime {
  if (minutes >= 24 * 60) return midnight.plus({ days: 1 });
  return midnight.set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
}

/**
 * The days an invitation released on `today` may offer (inclusive): from `lead_days` after it,
 * for `horizon_days` days.
 *
 * @example appointmentWindow('2021-03-01', { lead_days: 2, horizon_days: 28 }) // { fromDay: '2021-03-03', toDay: '2021-03-30' }
 */
export function appointmentWindow(today: string, a: { readonly lead_days: number; readonly horizon_days: number }): { fromDay: string; toDay: string } {
  const d = ISO_DAY.test(today) ? DateTime.fromISO(today, { zone: 'UTC' }) : null;
  if (d === null || !d.isValid) throw new InvitoError('USAGE', `"${today}" is not a date (YYYY-MM-DD)`);
  const from = d.plus({ days: a.lead_days });
  return { fromDay: from.toISODate()!, toDay: from.plus({ days: a.horizon_days - 1 }).toISODate()! };
}

/** A campaign's `pacing.acceptance`. */
export interface AcceptanceSettings {
  /** The prior share of invitations confirmed. */
  readonly expected: number;
  /** Floor of the estimate. */
  readonly min: number;
  /** Ceiling of the estimate. */
  readonly max: number;
  /** How many answers the prior weighs as much as. */
  readonly prior_weight: number;
}

/**
 * The acceptance rate to plan with: the prior `expected`, worth `prior_weight` answers, blended
 * with the confirmations and declines recorded so far, and kept within `[min, max]`:
 *
 *   clamp((expected·w + confirmed) / (w + confirmed + declined), min, max)
 *
 * Only answers count: an invitation nobody answered is neither (it may still be confirmed).
 * The bounds keep a run of early declines (or confirmations) from swinging the daily target
 * (open slots ÷ acceptance) to an extreme: at `min` 0.3 a day never invites more than 3.3
 * people per open slot, at `max` 0.95 never fewer than 1.05.
 */
export function acceptanceEstimate(a: AcceptanceSettings, confirmed: number, declined: number): number {
  const w = a.prior_weight;
  const estimate = (a.expected * w + confirmed) / (w + confirmed + declined);
  return Math.min(a.max, Math.max(a.min, estimate));
}
