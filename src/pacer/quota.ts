/**
 * How many invitations to release now: the arithmetic of pacing, free of I/O so the releaser,
 * the simulator and the forecast agree.
 *
 * A day's target is fixed when its first release happens: the campaign's target for the day
 * (`pacing.by_date`, else `daily_target`, or the target day's open slots over the expected
 * acceptance when `daily_target: capacity`), plus what the last open day fell short of when
 * `carry_over` is on. A closed day (holiday, no window) has no target and carries nothing of its own.
 *
 * Within the day each tick releases what remains of the target spread over what remains of the
 * window — so after a pause or an outage the rate rises by itself to finish the day — never
 * faster than the providers' ceiling allows over the tick.
 */
import type { Campaign } from '../campaigns/schema.js';

/** The target of `day` before carry-over (`openSlots` and `acceptance` only for `capacity`). */
export function baseTarget(campaign: Campaign, day: string, capacity?: { openSlots: number; acceptance: number }): number {
  const fixed = campaign.pacing.by_date[day];
  if (fixed !== undefined) return fixed;
  const t = campaign.pacing.daily_target;
  if (t !== 'capacity') return t;
  if (!capacity) throw new Error('daily_target: capacity needs the open slots and the expected acceptance');
  return Math.floor(capacity.openSlots / capacity.acceptance);
}

/**
 * How many appointment days a sending day feeds in `capacity` mode: its own target day
 * (`lead_days` ahead), plus one for each closed sending day that follows it — Saturday's
 * invitations fill Monday and Tuesday when Sunday sends nothing, or Tuesday would get only
 * overflow. `isOpen(i)` tells whether the sending day `i` days ahead is open.
 */
export function daysFed(isOpen: (daysAhead: number) => boolean, max = 14): number {
  let n = 1;
  while (n < max && !isOpen(n)) n++;
  return n;
}

/** The day's target: its base plus the last open day's shortfall (when carried over). */
export function dayTarget(campaign: Campaign, base: number, previous: { target: number; released: number } | null): number {
  const shortfall = previous && campaign.pacing.carry_over ? Math.max(0, previous.target - previous.released) : 0;
  return base + shortfall;
}

export interface TickInput {
  /** The day's target minus what was released today. */
  readonly remaining: number;
  /** Open window left today after now, in clock milliseconds. */
  readonly remainingOpenMs: number;
  /** Clock milliseconds this tick stands for (since the previous tick, bounded). */
  readonly stepMs: number;
  /** Releases per clock second the providers take (Infinity when unlimited). */
  readonly ceilingPerSecond: number;
  /** The fraction of a message left over from the previous tick. */
  readonly carry: number;
}

/**
 * Messages to release this tick, and the fraction carried to the next one (so a target of
 * 2.78 a second releases 2, 3, 3, 2, … and the minute's total matches).
 */
export function tickQuota(t: TickInput): { release: number; carry: number } {
  if (t.remaining <= 0 || t.stepMs <= 0) return { release: 0, carry: 0 };
  const share = t.remainingOpenMs <= t.stepMs ? 1 : t.stepMs / t.remainingOpenMs;
  const wanted = t.carry + t.remaining * share;
  const ceiling = (t.ceilingPerSecond * t.stepMs) / 1000;
  const q = Math.min(wanted, ceiling, t.remaining);
  const release = Math.floor(q);
  return { release, carry: q - release };
}
