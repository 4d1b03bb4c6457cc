/**
 * The forecast: a campaign played day by day on aggregate counts (never citizen by citizen), so
 * `invito plan` can say when a cohort of millions will be invited and vaccinated in
 * milliseconds. It follows the real pacer's rules (src/pacer/quota.ts, the send calendar):
 *
 * - Only open days of the pacing channel invite. A day's target is `pacing.by_date[day]`, else
 *   `daily_target` (or, for `capacity`, the free slots of day + lead_days over the expected
 *   acceptance), plus the last open day's shortfall when `carry_over` is on. A closed day has
 *   no target, and a `by_date` figure on a closed day is dropped, not carried.
 * - Invitations are capped by what is left of the cohort, by the provider ceiling over the
 *   day's window (ceiling × open seconds) and by the slots the citizens' centres still have
 *   between day + lead_days and the end of the horizon: an invitation always carries a slot.
 * - The cohort is invited in priority order (rank by rank); inside a rank, groups of citizens
 *   served by the same centres are invited in proportion to what is left of each. Members no
 *   centre serves, or none of the invitation's channels reaches, are never invited (the
 *   releaser fails them without counting them against the target).
 * - Of each invitation the expected acceptance share keeps its slot; the rest decline and their
 *   slots go back to the pool for later invitations. So a centre-day ends with
 *   min(capacity, accepted demand) appointments and is never booked past its capacity.
 */
import { DateTime } from 'luxon';
import type { Campaign } from '../campaigns/schema.js';
import type { Channel } from '../core/channels.js';
import { type CohortQuery, daysBefore } from '../cohort/criteria.js';
import { groupBy } from '../core/collections.js';
import { candidateCentres, checkCapacity, opensOn, weekdayOf } from './allocation.js';
import type { CitizenPlace } from './appointments.js';
import { baseTarget, dayTarget, daysFed } from './quota.js';
import { SendCalendar } from './windows.js';

/** Cohort members of one priority rank served by the same centres. */
export interface ServedGroup {
  /** Priority rank (lower goes first); UNRANKED for members of no ranked group. */
  readonly rank: number;
  /** Centres serving these members (catchment by municipality or ASL, else the region); empty when none does. */
  readonly centers: readonly string[];
  /** Members one of the invitation's channels reaches. */
  readonly members: number;
  /** Members none of them reaches: the releaser fails them (NO_CHANNEL) without counting them. */
  readonly unreachable: number;
}

/** Cohort members of one rank living in one place, as the store counts them. */
export interface PlaceCount extends CitizenPlace {
  readonly rank: number;
  /** Members, reached by the invitation's channels or not … */
  readonly members: number;
  /** … and those of them one of the channels reaches. */
  readonly reached: number;
}

/**
 * Places counted by rank, grouped by the centres serving them: a place's centres are its
 * candidates (`candidateCentres`: catchment by municipality or ASL, else the region's centres)
 * taken as a set, in id order: the forecast spreads a group over its centres by free places,
 * not by preference. Groups in rank order, then by their centres.
 */
export function servedGroupsOf(
  places: readonly PlaceCount[],
  catchment: readonly { readonly area: string; readonly centerId: string }[],
  regional: readonly { readonly region: string; readonly centerId: string }[],
): ServedGroup[] {
  const byArea = groupBy(catchment, (r) => r.area);
  const byRegion = groupBy(regional, (r) => r.region);
  const groups = new Map<string, { rank: number; centers: string[]; members: number; unreachable: number }>();
  for (const p of places) {
    const centers = candidateCentres<{ readonly centerId: string }>(p, (area) => byArea.get(area) ?? [], (region) => byRegion.get(region) ?? []).map((c) => c.centerId).sort();
    const key = `${p.rank}|${centers.join(';')}`;
    const g = groups.get(key) ?? { rank: p.rank, centers, members: 0, unreachable: 0 };
    g.members += p.reached;
    g.unreachable += p.members - p.reached;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => a.rank - b.rank || (a.centers.join(';') < b.centers.join(';') ? -1 : 1));
}

export interface CenterCapacity {
  readonly centerId: string;
  readonly dailyCapacity: number;
  /** Opening hours (`mon-sat 08:00-20:00`): a centre offers its capacity on the days it opens. */
  readonly opening: string;
}

/** Members of a rolling campaign not yet eligible on the first day, counted by place and by the dates their eligibility turns on. */
export interface JoiningPlace extends PlaceCount {
  readonly birthDate: string;
  readonly lastDoseDate: string | null;
}

export interface JoiningCounts {
  readonly places: readonly JoiningPlace[];
  readonly catchment: readonly { readonly area: string; readonly centerId: string }[];
  readonly regional: readonly { readonly region: string; readonly centerId: string }[];
}

/**
 * The day (YYYY-MM-DD) a member of a rolling campaign's wider cohort becomes eligible: the later
 * of the day they reach the cohort's minimum age and the day their interval since the last dose
 * passes; null when that is after `end` or past the interval's `max_days`.
 */
export function joinDay(campaign: Pick<Campaign, 'cohort'>, p: Pick<JoiningPlace, 'birthDate' | 'lastDoseDate'>, start: string, end: string): string | null {
  let day = start;
  const min = campaign.cohort.age?.min;
  if (min !== undefined) {
    const turns = DateTime.fromISO(p.birthDate, { zone: 'utc' }).plus({ years: min }).toISODate();
    if (turns && turns > day) day = turns;
  }
  const ld = campaign.cohort.last_dose;
  if (ld && (ld.min_days !== undefined || ld.max_days !== undefined)) {
    if (p.lastDoseDate === null) return null;
    const from = daysBefore(p.lastDoseDate, -(ld.min_days ?? 0));
    if (from > day) day = from;
    if (ld.max_days !== undefined && day > daysBefore(p.lastDoseDate, -ld.max_days)) return null;
  }
  return day > end ? null : day;
}

/** The members joining a rolling campaign after its first day, as served groups per join day. */
export function joinsByDay(campaign: Pick<Campaign, 'cohort'>, counts: JoiningCounts, start: string, end: string): Map<string, ServedGroup[]> {
  const byDay = new Map<string, PlaceCount[]>();
  for (const p of counts.places) {
    const day = joinDay(campaign, p, start, end);
    if (day === null || day <= start) continue;
    const list = byDay.get(day) ?? [];
    list.push(p);
    byDay.set(day, list);
  }
  return new Map([...byDay].map(([day, places]) => [day, servedGroupsOf(places, counts.catchment, counts.regional)]));
}

/** What the forecast reads from the store: counts, never citizens. */
export interface ForecastStore {
  /** Cohort members counted by rank and by the set of centres serving them; reachable by `channels` or not. */
  servedGroups(query: CohortQuery, channels: readonly Channel[]): Promise<ServedGroup[]>;
  /** Members of `wider` not in `first` (a rolling campaign's later joiners), by place, rank and the dates that make them eligible. */
  joiningPlaces(wider: CohortQuery, first: CohortQuery, channels: readonly Channel[]): Promise<JoiningCounts>;
  /** Every centre with its capacity and opening. */
  centerCapacities(): Promise<CenterCapacity[]>;
}

export interface ForecastOptions {
  /** First day of the forecast (local date). @defaultValue the campaign's reference_date */
  readonly start?: string;
  /** Calendar days played at most. @defaultValue 400 */
  readonly daysMax?: number;
  /** Share of the cohort whose appointment day `coverage.reachedOn` reports. @defaultValue 0.7 */
  readonly coverage?: number;
  /** Pacing channel's provider ceiling, messages per second; null = unlimited. */
  readonly ceilingPerSecond: number | null;
}

export interface ForecastDay {
  readonly date: string;
  /** The pacing channel sends on this day. */
  readonly open: boolean;
  /** The day's target, carried shortfall included (0 on a closed day). */
  readonly target: number;
  readonly invitations: number;
  /** Of today's invitations, those expected to keep their slot … */
  readonly accepted: number;
  /** … and those expected to decline (their slots are reused). */
  readonly declined: number;
  /** Appointments taking place on this day. */
  readonly appointments: number;
  /** Slots the centres offer on this day. */
  readonly capacity: number;
  /** Invitations so far, this day included. */
  readonly invitedTotal: number;
  /** Share of the cohort with an appointment on or before this day. */
  readonly coverage: number;
}

export interface CenterUtilisation {
  readonly center: string;
  /** Slots offered over the forecast's days. */
  readonly capacity: number;
  readonly used: number;
  readonly share: number;
  /** Most appointments on one day (never above the centre's daily capacity). */
  readonly peak: number;
}

export interface Forecast {
  readonly start: string;
  /** Cohort members (all ranks, served or not). */
  readonly cohort: number;
  /** Members no centre serves: they cannot be given an appointment, so they are not invited. */
  readonly unserved: number;
  /** Members none of the invitation's channels reaches: not invited either. */
  readonly unreachable: number;
  /** False when the registry has no centres: the schedule is then pacing alone, without slots. */
  readonly capacityModelled: boolean;
  readonly acceptance: number;
  readonly ceilingPerSecond: number | null;
  readonly schedule: ForecastDay[];
  /** The day the last servable member is invited; null when not within `daysMax`. */
  readonly completesOn: string | null;
  /** Calendar days from `start` to `completesOn`, both included; null when it does not complete. */
  readonly days: number | null;
  readonly coverage: { readonly share: number; readonly reachedOn: string | null };
  readonly centers: CenterUtilisation[];
}

/** Splits `total` into integers proportional to `weights` (largest remainder), never above each weight. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  if (total >= sum) return [...weights];
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    if (out[i]! < weights[i]!) {
      out[i]!++;
      left--;
    }
  }
  return out;
}

interface GroupState {
  readonly rank: number;
  readonly centers: readonly number[];
  remaining: number;
  invited: number;
  accepted: number;
  /** Earliest day index that may still have a free slot for this group. */
  firstFree: number;
}

/** Plays the campaign from `options.start`. Pure: the counts come in, the schedule goes out. */
export function forecast(campaign: Campaign, groups: readonly ServedGroup[], centers: readonly CenterCapacity[], options: ForecastOptions, joins: ReadonlyMap<string, readonly ServedGroup[]> = new Map()): Forecast {
  const cal = new SendCalendar(campaign);
  const start = options.start ?? campaign.reference_date;
  const daysMax = options.daysMax ?? 400;
  const coverageShare = options.coverage ?? 0.7;
  const acceptance = campaign.pacing.acceptance.expected;
  const { lead_days: lead, horizon_days: horizon } = campaign.appointments;
  const ceiling = options.ceilingPerSecond;
  const capacityModelled = centers.length > 0;

  // Slot counts are 32-bit per centre-day: a capacity the registry would refuse is not modelled.
  for (const c of centers) checkCapacity(c);
  // Centre capacity by ISO weekday (index 1..7), on the days the allocator would find it open.
  const centerIndex = new Map(centers.map((c, i) => [c.centerId, i]));
  const weekly = centers.map((c) => Array.from({ length: 8 }, (_, d) => (d > 0 && opensOn(c, d) ? c.dailyCapacity : 0)));
  const dates: string[] = [];
  const dateAt = (i: number): string => {
    while (dates.length <= i) dates.push(cal.addDays(start, dates.length));
    return dates[i]!;
  };
  // Free slots per day index and centre, made on first use.
  const free: Int32Array[] = [];
  const offered: Int32Array[] = [];
  const freeOn = (i: number): Int32Array => {
    let f = free[i];
    if (!f) {
      const day = dateAt(i);
      const closed = cal.isClosedDay(day);
      const wd = weekdayOf(day);
      f = Int32Array.from(weekly, (w) => (closed ? 0 : w[wd]!));
      free[i] = f;
      offered[i] = Int32Array.from(f);
    }
    return f;
  };
  /** Slots a day offered before any booking. */
  const offeredOn = (i: number): Int32Array => {
    freeOn(i);
    return offered[i]!;
  };
  const booked = new Map<number, Int32Array>();
  const bookedOn = (i: number): Int32Array => {
    let b = booked.get(i);
    if (!b) booked.set(i, (b = new Int32Array(centers.length)));
    return b;
  };

  let cohort = 0;
  let unserved = 0;
  let unreachable = 0;
  let servable = 0;
  const states: GroupState[] = [];
  const stateOf = new Map<string, GroupState>();
  let ranks: number[] = [];
  /** Adds a group's members (on the first day, or the day a rolling campaign's members join). */
  const admit = (g: ServedGroup): void => {
    cohort += g.members + g.unreachable;
    unreachable += g.unreachable;
    const idx = g.centers.map((c) => centerIndex.get(c)).filter((i): i is number => i !== undefined);
    if (capacityModelled && idx.length === 0) {
      unserved += g.members;
      return;
    }
    const key = `${g.rank}|${idx.join(';')}`;
    let st = stateOf.get(key);
    if (!st) {
      st = { rank: g.rank, centers: idx, remaining: 0, invited: 0, accepted: 0, firstFree: 0 };
      states.push(st);
      stateOf.set(key, st);
      if (!ranks.includes(g.rank)) ranks = [...ranks, g.rank].sort((a, b) => a - b);
    }
    st.remaining += g.members;
    servable += g.members;
  };
  for (const g of groups) admit(g);
  // Members still to join (a rolling campaign), by day: the campaign completes only after the last.
  const lastJoin = [...joins.keys()].sort().at(-1) ?? null;

  /** Accepted appointments among a group's first `n` invitations (cumulative rounding keeps totals exact). */
  const acceptedAfter = (n: number): number => Math.round(n * acceptance);

  /** Free slots of a group between day indexes [from, to]. */
  const freeFor = (g: GroupState, from: number, to: number): number => {
    let sum = 0;
    for (let i = Math.max(from, g.firstFree); i <= to; i++) {
      const f = freeOn(i);
      for (const c of g.centers) sum += f[c]!;
    }
    return sum;
  };

  let lastAppointment = -1;
  /**
   * Books `n` slots for a group from day index `from` on, earliest first, spread over its centres by
   * free slots. Not `chooseCentreDay` run n times, on purpose: a group is a count, not citizens, and
   * one step per day keeps a plan of millions in milliseconds. It fills the same days with the same
   * number per day (the earliest day with a free place first, as the allocator does); only the split
   * between a day's centres differs (in proportion to their free places, where the allocator gives
   * each invitation to the one with the most). Weekdays and openings are the allocator's own.
   */
  const book = (g: GroupState, n: number, from: number): void => {
    let i = Math.max(from, g.firstFree);
    for (;;) {
      const f = freeOn(i);
      const avail = g.centers.map((c) => f[c]!);
      const take = apportion(Math.min(n, sumArr(avail)), avail);
      const b = bookedOn(i);
      take.forEach((t, k) => {
        const c = g.centers[k]!;
        f[c]! -= t;
        b[c]! += t;
        n -= t;
      });
      if (take.some((t) => t > 0)) lastAppointment = Math.max(lastAppointment, i);
      if (n <= 0) break;
      i++;
    }
    // Every day before `i` is full for these centres, and invitation days only move forward.
    g.firstFree = i;
  };

  /** Invites up to `n` of a group today (day index d); returns how many. */
  const invite = (g: GroupState, n: number, d: number): number => {
    n = Math.min(n, g.remaining);
    if (n <= 0) return 0;
    if (capacityModelled) {
      const slots = freeFor(g, d + lead, d + lead + horizon - 1);
      // The most invitations whose expected acceptances fit the free slots.
      let most = Math.min(n, Math.floor((slots + 1) / acceptance) + 1);
      while (most > 0 && acceptedAfter(g.invited + most) - g.accepted > slots) most--;
      n = most;
      if (n <= 0) return 0;
      const acc = acceptedAfter(g.invited + n) - g.accepted;
      if (acc > 0) book(g, acc, d + lead);
      g.accepted += acc;
    } else {
      g.accepted = acceptedAfter(g.invited + n);
    }
    g.invited += n;
    g.remaining -= n;
    return n;
  };

  const schedule: ForecastDay[] = [];
  let previous: { target: number; released: number } | null = null;
  let invitedTotal = 0;
  let completesOn: string | null = null;
  // Without centres, appointments are the accepted invitations, lead_days later.
  const pacingOnlyAppointments = new Map<number, number>();

  for (let d = 0; d < daysMax; d++) {
    const day = dateAt(d);
    for (const g of joins.get(day) ?? []) admit(g);
    const open = cal.openMs(cal.pacingChannel, day) > 0;
    let target = 0;
    let released = 0;
    let acceptedToday = 0;
    if (open && completesOn === null) {
      // As the releaser does: the free slots of day + lead_days, and of the days after it that
      // no sending day targets (the closed sending days that follow).
      const fed = daysFed((i) => cal.openMs(cal.pacingChannel, dateAt(d + i)) > 0);
      let openSlots = 0;
      if (capacityModelled) for (let i = 0; i < fed; i++) openSlots += sumArr(freeOn(d + lead + i));
      target = dayTarget(campaign, baseTarget(campaign, day, { openSlots, acceptance }), previous);
      const cap = ceiling === null ? Infinity : Math.floor((ceiling * cal.openMs(cal.pacingChannel, day)) / 1000);
      let wanted = Math.min(target, cap, servable);
      const acceptedBefore = states.reduce((a, s) => a + s.accepted, 0);
      for (const rank of ranks) {
        if (wanted <= 0) break;
        const inRank = states.filter((s) => s.rank === rank && s.remaining > 0);
        // Proportional first; what a group cannot place goes to the others of the rank, then on.
        for (let pass = 0; pass < 4 && wanted > 0; pass++) {
          const live = inRank.filter((s) => s.remaining > 0);
          if (live.length === 0) break;
          const shares = apportion(wanted, live.map((s) => s.remaining));
          let placed = 0;
          live.forEach((s, k) => (placed += invite(s, shares[k]!, d)));
          wanted -= placed;
          released += placed;
          if (placed === 0) break;
        }
        for (const s of inRank) {
          if (wanted <= 0) break;
          const n = invite(s, wanted, d);
          wanted -= n;
          released += n;
        }
      }
      acceptedToday = states.reduce((a, s) => a + s.accepted, 0) - acceptedBefore;
      if (!capacityModelled && acceptedToday > 0) {
        pacingOnlyAppointments.set(d + lead, (pacingOnlyAppointments.get(d + lead) ?? 0) + acceptedToday);
        lastAppointment = Math.max(lastAppointment, d + lead);
      }
      previous = { target, released };
      servable -= released;
      invitedTotal += released;
      if (servable === 0 && (lastJoin === null || lastJoin <= day)) completesOn = day;
    }
    schedule.push({ date: day, open, target, invitations: released, accepted: acceptedToday, declined: released - acceptedToday, appointments: 0, capacity: 0, invitedTotal, coverage: 0 });
    // Played on after the last invitation until the last appointment (or daysMax).
    if (completesOn !== null && d >= lastAppointment) break;
  }

  let vaccinated = 0;
  let reachedOn: string | null = null;
  const needed = coverageShare * cohort;
  const out = schedule.map((row, d) => {
    const appointments = capacityModelled ? sumArr(booked.get(d)) : (pacingOnlyAppointments.get(d) ?? 0);
    const capacity = capacityModelled ? sumArr(offeredOn(d)) : 0;
    vaccinated += appointments;
    if (reachedOn === null && cohort > 0 && vaccinated >= needed) reachedOn = row.date;
    return { ...row, appointments, capacity, coverage: cohort > 0 ? round(vaccinated / cohort, 4) : 0 };
  });

  const usage = centers.map((c, k) => {
    let cap = 0;
    let used = 0;
    let peak = 0;
    for (let d = 0; d < out.length; d++) {
      cap += offeredOn(d)[k]!;
      const b = booked.get(d)?.[k] ?? 0;
      used += b;
      peak = Math.max(peak, b);
    }
    return { center: c.centerId, capacity: cap, used, share: cap > 0 ? round(used / cap, 4) : 0, peak };
  });

  const days = completesOn === null ? null : out.findIndex((r) => r.date === completesOn) + 1;
  return {
    start,
    cohort,
    unserved,
    unreachable,
    capacityModelled,
    acceptance,
    ceilingPerSecond: ceiling,
    schedule: out,
    completesOn,
    days,
    coverage: { share: coverageShare, reachedOn },
    centers: usage,
  };
}

function sumArr(a: ArrayLike<number> | undefined): number {
  if (!a) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
