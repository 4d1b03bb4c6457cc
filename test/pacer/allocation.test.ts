/**
 * The appointment rules as pure functions (src/pacer/allocation.ts): which centres serve a place,
 * which day and centre an invitation gets over free counts, the bulk plan, and the state rules.
 * The store's allocators and the forecast only feed these rows; the rules are tested here alone.
 */
import { describe, expect, it } from 'vitest';
import { InvitoError } from '../../src/core/errors.js';
import {
  candidateCentres, centreDay, checkCapacity, chooseCentreDay, daysBetween, notPast, notReleased, opensOn, placesFree, planCentreDays, rebookedState, weekdayOf,
  type ChoiceRequest,
} from '../../src/pacer/allocation.js';
import type { CenterInfo } from '../../src/pacer/appointments.js';
import { servedGroupsOf } from '../../src/pacer/forecast.js';

const centre = (centerId: string, dailyCapacity = 10, opening = 'mon-fri 08:00-12:00'): CenterInfo => ({ centerId, dailyCapacity, opening, name: centerId, address: null, municipality: null });

// 1 March 2021 is a Monday.
const request = (centers: CenterInfo[], over: Partial<ChoiceRequest> = {}): ChoiceRequest => ({ centers, fromDay: '2021-03-01', toDay: '2021-03-14', isClosedDay: () => false, ...over });

/** Free counts from a map of `centreDay` keys; a centre-day not in it counts the centre's capacity. */
const freeFrom = (m: Map<string, number>) => (c: CenterInfo, day: string) => m.get(centreDay(c.centerId, day)) ?? c.dailyCapacity;

const ids = (cs: readonly { centerId: string }[]) => cs.map((c) => c.centerId);

describe('candidateCentres: the centres serving a place', () => {
  const catchment = new Map([
    ['ROMA', [centre('C2'), centre('C5')]],
    ['RM1', [centre('C1'), centre('C2'), centre('C3')]],
  ]);
  const region = new Map([['Lazio', [centre('C1'), centre('C7')]]]);
  const serve = (municipality: string | null, asl: string | null, r: string | null) =>
    ids(candidateCentres({ municipality, asl, region: r }, (a) => catchment.get(a) ?? [], (x) => region.get(x) ?? []));

  it("puts the municipality's own centres first, then the ASL's, each area's in the order given", () => {
    expect(serve('Roma', 'RM1', 'Lazio')).toEqual(['C2', 'C5', 'C1', 'C3']);
  });

  it('counts a centre serving both the municipality and the ASL once, in the municipality place', () => {
    expect(serve('Roma', 'RM1', 'Lazio').filter((id) => id === 'C2')).toHaveLength(1);
  });

  it('matches areas in upper case, as the registry keeps them', () => {
    expect(serve('roma', 'rm1', null)).toEqual(['C2', 'C5', 'C1', 'C3']);
  });

  it('serves from the ASL alone when the municipality names no catchment', () => {
    expect(serve('Tivoli', 'RM1', 'Lazio')).toEqual(['C1', 'C2', 'C3']);
  });

  it("falls back to the region's centres only when no catchment names the place", () => {
    expect(serve('Tivoli', 'RM9', 'Lazio')).toEqual(['C1', 'C7']);
    expect(serve(null, null, 'Lazio')).toEqual(['C1', 'C7']);
  });

  it('gives no centre when no catchment names the place and it has no region (or the region none)', () => {
    expect(serve('Tivoli', null, null)).toEqual([]);
    expect(serve('Tivoli', null, 'Molise')).toEqual([]);
  });

  it('the forecast groups places by the same centres, as a set in id order', () => {
    const groups = servedGroupsOf(
      [
        { rank: 1, municipality: 'Roma', asl: 'RM1', region: 'Lazio', members: 10, reached: 8 },
        { rank: 1, municipality: 'Tivoli', asl: 'RM1', region: 'Lazio', members: 5, reached: 5 },
        { rank: 0, municipality: null, asl: null, region: 'Lazio', members: 3, reached: 1 },
        { rank: 1, municipality: 'Roma', asl: 'RM1', region: 'Umbria', members: 2, reached: 2 },
      ],
      [...catchment].flatMap(([area, cs]) => cs.map((c) => ({ area, centerId: c.centerId }))),
      [...region].flatMap(([r, cs]) => cs.map((c) => ({ region: r, centerId: c.centerId }))),
    );
    expect(groups).toEqual([
      { rank: 0, centers: ['C1', 'C7'], members: 1, unreachable: 2 },
      { rank: 1, centers: ['C1', 'C2', 'C3'], members: 5, unreachable: 0 },
      { rank: 1, centers: ['C1', 'C2', 'C3', 'C5'], members: 10, unreachable: 2 },
    ]);
  });
});

describe('chooseCentreDay: the day and centre an invitation gets', () => {
  it('takes the earliest day on which a candidate has a free place', () => {
    const free = new Map([[centreDay('A', '2021-03-01'), 0], [centreDay('B', '2021-03-01'), 0]]);
    expect(chooseCentreDay(request([centre('A'), centre('B')]), freeFrom(free))).toMatchObject({ day: '2021-03-02', center: { centerId: 'A' } });
  });

  it('skips the closed days (holidays, the campaign closed dates)', () => {
    const req = request([centre('A')], { isClosedDay: (d) => d === '2021-03-01' || d === '2021-03-02' });
    expect(chooseCentreDay(req, freeFrom(new Map()))?.day).toBe('2021-03-03');
  });

  it('skips a centre not open that weekday, and one with no capacity', () => {
    // Saturday 6 March: only the centre open on Saturdays can be chosen.
    const req = request([centre('WEEK', 50), centre('ZERO', 0, 'daily 08:00-12:00'), centre('SAT', 5, 'sat 08:00-12:00')], { fromDay: '2021-03-06' });
    expect(chooseCentreDay(req, freeFrom(new Map()))).toMatchObject({ day: '2021-03-06', center: { centerId: 'SAT' } });
  });

  it('that day, gives the candidate with the most free places', () => {
    const free = new Map([[centreDay('A', '2021-03-01'), 3], [centreDay('B', '2021-03-01'), 7]]);
    expect(chooseCentreDay(request([centre('A'), centre('B')]), freeFrom(free))?.center.centerId).toBe('B');
  });

  it('breaks a tie in free places for the earlier candidate', () => {
    const free = new Map([[centreDay('A', '2021-03-01'), 4], [centreDay('B', '2021-03-01'), 4]]);
    expect(chooseCentreDay(request([centre('B'), centre('A')]), freeFrom(free))?.center.centerId).toBe('B');
  });

  it('passes over exhausted centre-days (their places were taken under the allocator)', () => {
    const exhausted = new Set([centreDay('B', '2021-03-01')]);
    const free = new Map([[centreDay('A', '2021-03-01'), 1], [centreDay('B', '2021-03-01'), 9]]);
    expect(chooseCentreDay(request([centre('A'), centre('B')]), freeFrom(free), exhausted)).toMatchObject({ day: '2021-03-01', center: { centerId: 'A' } });
    exhausted.add(centreDay('A', '2021-03-01'));
    expect(chooseCentreDay(request([centre('A'), centre('B')]), freeFrom(free), exhausted)?.day).toBe('2021-03-02');
  });

  it('chooses nothing without candidates or without a free place in the range', () => {
    expect(chooseCentreDay(request([]), freeFrom(new Map()))).toBeNull();
    expect(chooseCentreDay(request([centre('A')]), () => 0)).toBeNull();
  });

  it('refuses days that are not dates, and a range over 366 days (USAGE)', () => {
    expect(() => chooseCentreDay(request([centre('A')], { fromDay: '1 March' }), () => 1)).toThrow(InvitoError);
    expect(() => daysBetween('2021-01-01', '2022-01-03')).toThrow(/at most 366 days/);
    expect(daysBetween('2021-02-27', '2021-03-01')).toEqual(['2021-02-27', '2021-02-28', '2021-03-01']);
  });
});

describe('planCentreDays: the bulk plan', () => {
  it('equals the single choice made once per invitation, each taking one place from the free counts', () => {
    const centers = [centre('A', 3), centre('B', 5), centre('C', 4, 'mon,wed,fri 08:00-12:00'), centre('D', 2, 'sat 09:00-10:00')];
    // Monday to Saturday, Wednesday closed: 32 places for 60 invitations.
    const req = request(centers, { toDay: '2021-03-06', isClosedDay: (d) => d === '2021-03-03' });
    const laidOut = () => new Map([[centreDay('A', '2021-03-01'), 1], [centreDay('B', '2021-03-01'), 0], [centreDay('B', '2021-03-02'), 2]]);
    const wanted = Array.from({ length: 60 }, (_, i) => `m${i}`);

    const plan = planCentreDays(req, wanted, laidOut());
    const planned = new Map(plan.flatMap((p) => p.ids.map((id) => [id, centreDay(p.center.centerId, p.day)] as const)));

    const free = laidOut();
    const single = new Map<string, string>();
    for (const id of wanted) {
      const choice = chooseCentreDay(req, freeFrom(free));
      if (!choice) break;
      const key = centreDay(choice.center.centerId, choice.day);
      free.set(key, freeFrom(free)(choice.center, choice.day) - 1);
      single.set(id, key);
    }
    expect(planned).toEqual(single);
    // The range holds fewer places than invitations: the last ones get none.
    expect(planned.size).toBe(32);
    // Every centre-day with a place is used: Monday A and C (B is full), Tuesday and Thursday A and B, Friday A, B and C, Saturday D.
    expect(new Set(planned.values()).size).toBe(10);
  });

  it('lists each centre-day once, its ids in request order, centre-days in first-chosen order', () => {
    // x: A has 2 free, B 1; y: A and B tie at 1, the earlier candidate wins; z: only B is left.
    const plan = planCentreDays(request([centre('A', 2), centre('B', 1)]), ['x', 'y', 'z', 'w'], new Map());
    expect(plan.map((p) => [p.center.centerId, p.day, p.ids])).toEqual([
      ['A', '2021-03-01', ['x', 'y']],
      ['B', '2021-03-01', ['z']],
      ['A', '2021-03-02', ['w']],
    ]);
  });
});

describe('centre-days and appointment states', () => {
  it('a centre opens on the weekdays its hours name, if it has a capacity; hours the registry refuses open nothing', () => {
    expect(weekdayOf('2021-03-07')).toBe(7);
    expect(opensOn(centre('A', 5, 'mon-fri 08:00-12:00'), 5)).toBe(true);
    expect(opensOn(centre('A', 5, 'mon-fri 08:00-12:00'), 6)).toBe(false);
    expect(opensOn(centre('A', 0, 'daily 08:00-12:00'), 1)).toBe(false);
    expect(opensOn(centre('A', 5, 'someday 08:00'), 1)).toBe(false);
  });

  it('free places: a laid-out centre-day counts what is left, one not laid out its capacity on an open weekday, else none', () => {
    expect(placesFree(centre('A', 9), 1, { capacity: 8, booked: 3 })).toBe(5);
    expect(placesFree(centre('A', 9), 1, null)).toBe(9);
    expect(placesFree(centre('A', 9), 7, null)).toBe(0);
  });

  it('a capacity above what an import accepts is CENTER_INVALID, naming the centre', () => {
    expect(() => checkCapacity({ centerId: 'BIG', dailyCapacity: 100_001 })).toThrow(/centre BIG has daily_capacity 100001, above the 100,000 an import accepts/);
    expect(() => checkCapacity({ centerId: 'NAN', dailyCapacity: Number.NaN })).toThrow(InvitoError);
    expect(() => checkCapacity({ centerId: 'OK', dailyCapacity: 100_000 })).not.toThrow();
  });

  it('a released appointment holds no slot: APPOINTMENT_STATE with its reason; held and confirmed pass', () => {
    expect(() => notReleased({ appointmentId: 'a1', state: 'released' }, 'declined')).toThrow('appointment a1 was released (declined); rebook it instead');
    expect(() => notReleased({ appointmentId: 'a1', state: 'released' }, null)).toThrow(/no reason/);
    const held = { appointmentId: 'a2', state: 'held' as const };
    expect(notReleased(held, null)).toBe(held);
  });

  it('a rebooked appointment keeps held or confirmed; a released one is held again', () => {
    expect(rebookedState('held')).toBe('held');
    expect(rebookedState('confirmed')).toBe('confirmed');
    expect(rebookedState('released')).toBe('held');
  });

  it("an appointment's day is not past until its local day ends, judged in its own offset", () => {
    const a = { day: '2021-03-01', startAt: '2021-03-01T09:00:00.000+01:00' };
    expect(notPast(a, '2021-03-01T22:30:00.000Z')).toBe(true); // 23:30 in Rome
    expect(notPast(a, '2021-03-01T23:30:00.000Z')).toBe(false); // 00:30 on 2 March in Rome
  });
});
