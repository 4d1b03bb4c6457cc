/**
 * The appointment rules, once, as pure functions: which centres serve a citizen, which day,
 * centre and place an invitation gets over the free places of centre-days, and what an
 * appointment's state allows. The store's single and bulk allocators, the desk's rebooking and
 * the forecast ask here; the store only reads and writes the rows these rules decide on.
 */
import { DateTime } from 'luxon';
import { InvitoError } from '../core/errors.js';
import { MAX_DAILY_CAPACITY } from '../registry/centers.js';
import { type OpeningRule, parseOpening } from '../registry/opening.js';
import type { Campaign } from '../campaigns/schema.js';
import type { AppointmentState, CenterInfo, CitizenPlace, SlotRequest } from './appointments.js';
import { calendarOf } from './windows.js';

/** States that hold a slot. */
export const HOLDS_SLOT = ['held', 'confirmed'] as const satisfies readonly AppointmentState[];

/** Whether an appointment in this state holds its slot. */
export const holdsSlot = (state: AppointmentState | null): boolean => state !== null && (HOLDS_SLOT as readonly AppointmentState[]).includes(state);

const openings = new Map<string, OpeningRule[]>();

/** Parsed opening hours, remembered by text; hours the registry would not accept open nothing. */
export function rulesOf(opening: string): OpeningRule[] {
  let rules = openings.get(opening);
  if (!rules) {
    const parsed = parseOpening(opening);
    rules = parsed.ok ? parsed.value : [];
    if (openings.size >= 1000) openings.clear();
    openings.set(opening, rules);
  }
  return rules;
}

/** ISO weekday (1 = Monday) of a `YYYY-MM-DD` date. */
export const weekdayOf = (day: string): number => DateTime.fromISO(day, { zone: 'UTC' }).weekday;

/** Whether a centre offers places on an ISO weekday: it has a capacity and its hours name the day. */
export const opensOn = (c: Pick<CenterInfo, 'opening' | 'dailyCapacity'>, weekday: number): boolean =>
  c.dailyCapacity > 0 && rulesOf(c.opening).some((r) => r.days.includes(weekday));

/**
 * Free places of a centre on a day of ISO `weekday`: a centre-day laid out counts what its places
 * leave free; one not yet laid out its capacity if the centre opens that weekday, else nothing.
 */
export const placesFree = (c: Pick<CenterInfo, 'opening' | 'dailyCapacity'>, weekday: number, laidOut: { readonly capacity: number; readonly booked: number } | null): number =>
  laidOut !== null ? laidOut.capacity - laidOut.booked : opensOn(c, weekday) ? c.dailyCapacity : 0;

const ranges = new Map<string, readonly string[]>();

/**
 * The days from `fromDay` to `toDay` (both included), remembered by range: a bulk allocation
 * asks once per invitation. Throws `USAGE` for a day that is not a date or a range over 366 days.
 */
export function daysBetween(fromDay: string, toDay: string): readonly string[] {
  const key = `${fromDay}|${toDay}`;
  const hit = ranges.get(key);
  if (hit) return hit;
  const from = DateTime.fromISO(fromDay, { zone: 'UTC' });
  const to = DateTime.fromISO(toDay, { zone: 'UTC' });
  if (!from.isValid || !to.isValid) throw new InvitoError('USAGE', `allocation needs days as YYYY-MM-DD, not "${fromDay}" … "${toDay}"`);
  // A campaign's horizon is at most 120 days; a longer range is a caller's mistake, not a list to build.
  if (to.diff(from, 'days').days > 366) throw new InvitoError('USAGE', `allocation looks at most 366 days ahead, not ${fromDay} … ${toDay}`);
  const out: string[] = [];
  for (let d = from; d <= to; d = d.plus({ days: 1 })) out.push(d.toISODate()!);
  if (ranges.size >= 1000) ranges.clear();
  ranges.set(key, out);
  return out;
}

/**
 * Slot counts are 32-bit per centre-day: a capacity the registry would refuse is never laid out
 * nor modelled. Throws `CENTER_INVALID` naming the centre.
 */
export function checkCapacity(c: { readonly centerId: string; readonly dailyCapacity: number }): void {
  if (!(c.dailyCapacity <= MAX_DAILY_CAPACITY)) {
    throw new InvitoError('CENTER_INVALID', `centre ${c.centerId} has daily_capacity ${c.dailyCapacity}, above the ${MAX_DAILY_CAPACITY.toLocaleString('en')} an import accepts: import the centres again`);
  }
}

/** The catchment areas of a place in preference order: its municipality, then its ASL (upper case, as the registry keeps them). */
export function catchmentAreas(place: CitizenPlace): string[] {
  return [place.municipality?.toUpperCase() ?? null, place.asl?.toUpperCase() ?? null].filter((a): a is string => a !== null);
}

/**
 * The centres serving a place, in preference order: those whose catchment names its
 * municipality, then its ASL (a centre serving both counts once, in the first place); only when
 * none does, every centre of its region. `catchment` gives an area's centres (in the order to
 * keep within an area), `regional` the centres of the place's region; empty when nothing serves.
 */
export function candidateCentres<T extends { readonly centerId: string }>(
  place: CitizenPlace,
  catchment: (area: string) => readonly T[],
  regional: (region: string) => readonly T[],
): T[] {
  const seen = new Set<string>();
  const served: T[] = [];
  for (const area of catchmentAreas(place)) {
    for (const c of catchment(area)) {
      if (seen.has(c.centerId)) continue;
      seen.add(c.centerId);
      served.push(c);
    }
  }
  if (served.length > 0) return served;
  return place.region === null ? [] : [...regional(place.region)];
}

/** The key of a centre-day in free-count maps and exhausted sets. */
export const centreDay = (centerId: string, day: string): string => `${centerId}|${day}`;

export interface CentreDay {
  readonly center: CenterInfo;
  readonly day: string;
}

/** What the day and centre choice reads of a request. */
export type ChoiceRequest = Pick<SlotRequest, 'centers' | 'fromDay' | 'toDay' | 'isClosedDay'>;

/**
 * The day and centre an invitation gets: the earliest day in `[fromDay, toDay]`, not closed,
 * where a candidate open that weekday has a free place; that day, the candidate with the most
 * free places (ties to the earlier candidate). `free` counts a centre-day's free places (a
 * centre-day not yet laid out: the centre's capacity); centre-days in `exhausted` (their places
 * were all taken under the allocator's feet) are passed over. Null when nothing is free.
 * The place itself is the centre-day's lowest free one, which the store takes.
 */
export function chooseCentreDay(req: ChoiceRequest, free: (center: CenterInfo, day: string) => number, exhausted?: ReadonlySet<string>): CentreDay | null {
  if (req.centers.length === 0) return null;
  for (const day of daysBetween(req.fromDay, req.toDay)) {
    if (req.isClosedDay(day)) continue;
    const weekday = weekdayOf(day);
    let best = 0;
    let choice: CentreDay | null = null;
    for (const center of req.centers) {
      if (exhausted?.has(centreDay(center.centerId, day)) || !opensOn(center, weekday)) continue;
      const n = free(center, day);
      if (n > best) {
        best = n;
        choice = { center, day };
      }
    }
    if (choice) return choice;
  }
  return null;
}

export interface PlannedCentreDay extends CentreDay {
  /** The ids given a place there, in request order. */
  readonly ids: string[];
}

/**
 * The bulk plan: `chooseCentreDay` for each id in turn, each choice taking one place from
 * `free` (free places by `centreDay` key; a key not there counts the centre's capacity), which
 * it updates. Ids after the first that finds nothing get nothing (the ones after it would not
 * either). Centre-days in first-chosen order.
 */
export function planCentreDays(req: ChoiceRequest, ids: Iterable<string>, free: Map<string, number>): PlannedCentreDay[] {
  const plan = new Map<string, PlannedCentreDay>();
  const count = (c: CenterInfo, day: string): number => free.get(centreDay(c.centerId, day)) ?? c.dailyCapacity;
  for (const id of ids) {
    const choice = chooseCentreDay(req, count);
    if (!choice) break;
    const key = centreDay(choice.center.centerId, choice.day);
    free.set(key, count(choice.center, choice.day) - 1);
    const p = plan.get(key);
    if (p) p.ids.push(id);
    else plan.set(key, { ...choice, ids: [id] });
  }
  return [...plan.values()];
}

/** A released appointment holds no slot: it cannot be confirmed or allocated again, only rebooked. Returns `a`; throws `APPOINTMENT_STATE`. */
export function notReleased<A extends { readonly appointmentId: string; readonly state: AppointmentState }>(a: A, reason: string | null): A {
  if (a.state === 'released') throw new InvitoError('APPOINTMENT_STATE', `appointment ${a.appointmentId} was released (${reason ?? 'no reason'}); rebook it instead`);
  return a;
}

/** A rebooked appointment keeps its state when it is held or confirmed; a released one (or one whose day passed: attended, no-show) is held again. */
export const rebookedState = (state: AppointmentState): 'held' | 'confirmed' => (state === 'confirmed' ? 'confirmed' : 'held');

/** Whether an appointment's day is still to come (today included), judged at `at` in the appointment's own offset. */
export function notPast(a: { readonly day: string; readonly startAt: string }, at: string): boolean {
  const zone = DateTime.fromISO(a.startAt, { setZone: true }).zone;
  return a.day >= DateTime.fromISO(at).setZone(zone).toISODate()!;
}

/**
 * A request for a later slot than the one a citizen has (the desk's "another slot", a citizen's
 * CAMBIA): from the day after the current appointment, or the campaign's lead time if later, over
 * its horizon, at the citizen's candidate centres.
 */
export function laterSlotRequest(
  def: Campaign,
  who: { readonly appointmentId: string; readonly citizenId: string; readonly currentStart: string | null },
  centers: readonly CenterInfo[],
  now: Date,
): SlotRequest {
  const cal = calendarOf(def);
  const lead = cal.addDays(cal.localDay(now), def.appointments.lead_days);
  const after = who.currentStart ? cal.addDays(cal.localDay(new Date(who.currentStart)), 1) : lead;
  const fromDay = after > lead ? after : lead;
  return {
    appointmentId: who.appointmentId,
    campaignId: def.id,
    citizenId: who.citizenId,
    centers,
    fromDay,
    toDay: cal.addDays(fromDay, def.appointments.horizon_days),
    isClosedDay: (day: string) => cal.isClosedDay(day),
    timezone: def.timezone,
    slotMinutes: def.appointments.slot_minutes,
    at: now.toISOString(),
  };
}
