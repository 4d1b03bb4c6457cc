/**
 * Appointments and slots over Kysely, one set of statements for SQLite and PostgreSQL.
 *
 * A centre-day is materialised the first time it is needed: a `center_days` row and one `slots`
 * row per place (`slotStarts`). A place is taken by one conditional UPDATE
 * (`… where appointment_id is null`), so a centre-day cannot be overbooked however many workers
 * allocate at once: there are only `capacity` rows to take. On PostgreSQL the candidate row is
 * picked `for update skip locked`, so concurrent allocations take different places instead of
 * queueing behind one; on SQLite writers are serialised by the database lock (the store's own
 * transactions begin IMMEDIATE, so a reader never has to upgrade to a writer and fail busy).
 * `center_days.booked` moves with every take and every free, in the same transaction.
 *
 * The functions take an executor so the pacer can allocate inside its own release transaction;
 * given a plain `Kysely` they open a transaction of their own.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import { DateTime } from 'luxon';
import { InvitoError } from '../core/errors.js';
import type { Appointment, AppointmentStore, CenterInfo, CitizenPlace, SlotRequest } from '../pacer/appointments.js';
import { slotStarts } from '../pacer/slots.js';
import { MAX_DAILY_CAPACITY } from '../registry/centers.js';
import { type OpeningRule, parseOpening } from '../registry/opening.js';
import type { Dialect } from './open.js';
import { atomically, type Executor } from './unit-of-work.js';
import type { AppointmentsTable, Database } from './schema.js';


/** States that hold a slot. */
const LIVE = ['held', 'confirmed'] as const;

/** Slot rows written per statement when a centre-day is materialised (well under both dialects' parameter limits). */
const SLOT_CHUNK = 500;

const toAppointment = (r: Selectable<AppointmentsTable>): Appointment => ({
  appointmentId: r.appointment_id,
  campaignId: r.campaign_id,
  citizenId: r.citizen_id,
  centerId: r.center_id,
  day: r.day,
  seq: r.seq,
  startAt: r.start_at,
  state: r.state,
});

const openings = new Map<string, OpeningRule[]>();

/** Parsed opening hours, remembered by text; hours the registry would not accept open nothing. */
function rulesOf(opening: string): OpeningRule[] {
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
const weekdayOf = (day: string): number => DateTime.fromISO(day, { zone: 'UTC' }).weekday;

const opensOn = (c: CenterInfo, weekday: number): boolean => c.dailyCapacity > 0 && rulesOf(c.opening).some((r) => r.days.includes(weekday));

function daysBetween(fromDay: string, toDay: string): string[] {
  const from = DateTime.fromISO(fromDay, { zone: 'UTC' });
  const to = DateTime.fromISO(toDay, { zone: 'UTC' });
  if (!from.isValid || !to.isValid) throw new InvitoError('USAGE', `allocation needs days as YYYY-MM-DD, not "${fromDay}" … "${toDay}"`);
  // A campaign's horizon is at most 120 days; a longer range is a caller's mistake, not a list to build.
  if (to.diff(from, 'days').days > 366) throw new InvitoError('USAGE', `allocation looks at most 366 days ahead, not ${fromDay} … ${toDay}`);
  const out: string[] = [];
  for (let d = from; d <= to; d = d.plus({ days: 1 })) out.push(d.toISODate()!);
  return out;
}

async function bookedDelta(ex: Executor, centerId: string, day: string, delta: 1 | -1): Promise<void> {
  await ex
    .updateTable('center_days')
    .set((eb) => ({ booked: eb('booked', '+', delta) }))
    .where('center_id', '=', centerId)
    .where('day', '=', day)
    .execute();
}

/** Creates the centre-day and its places unless they exist (another worker may be doing the same). */
async function materialise(ex: Executor, center: CenterInfo, day: string, timezone: string, slotMinutes: number): Promise<void> {
  const exists = await ex.selectFrom('center_days').select('center_id').where('center_id', '=', center.centerId).where('day', '=', day).executeTakeFirst();
  if (exists) return;
  if (center.dailyCapacity > MAX_DAILY_CAPACITY) {
    throw new InvitoError('CENTER_INVALID', `centre ${center.centerId} has daily_capacity ${center.dailyCapacity}, above the ${MAX_DAILY_CAPACITY.toLocaleString('en')} an import accepts: import the centres again`);
  }
  const starts = slotStarts(rulesOf(center.opening), center.dailyCapacity, day, timezone, slotMinutes);
  const created = await ex
    .insertInto('center_days')
    .values({ center_id: center.centerId, day, capacity: starts.length, booked: 0 })
    .onConflict((oc) => oc.columns(['center_id', 'day']).doNothing())
    .returning('center_id')
    .executeTakeFirst();
  // Only the transaction that created the centre-day writes its places, so they always match its capacity.
  if (!created) return;
  for (let i = 0; i < starts.length; i += SLOT_CHUNK) {
    const rows = starts.slice(i, i + SLOT_CHUNK).map((start_at, k) => ({ center_id: center.centerId, day, seq: i + k, start_at, appointment_id: null }));
    await ex.insertInto('slots').values(rows).onConflict((oc) => oc.columns(['center_id', 'day', 'seq']).doNothing()).execute();
  }
}

/** Takes the lowest free place of a centre-day for `appointmentId`, or null when none is free (or all free ones are being taken). */
async function claim(ex: Executor, dialect: Dialect, centerId: string, day: string, appointmentId: string): Promise<{ seq: number; start_at: string } | null> {
  const lowestFree = ex
    .selectFrom('slots')
    .select('seq')
    .where('center_id', '=', centerId)
    .where('day', '=', day)
    .where('appointment_id', 'is', null)
    .orderBy('seq')
    .limit(1)
    .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());
  const row = await ex
    .updateTable('slots')
    .set({ appointment_id: appointmentId })
    .where('center_id', '=', centerId)
    .where('day', '=', day)
    .where('seq', '=', lowestFree)
    .where('appointment_id', 'is', null)
    .returning(['seq', 'start_at'])
    .executeTakeFirst();
  return row ?? null;
}

interface Place {
  readonly centerId: string;
  readonly day: string;
  readonly seq: number;
  readonly startAt: string;
}

/**
 * Finds and takes a place for `req`: the earliest open day with a free place at a candidate;
 * that day, the candidate with the most free places (ties to the earlier candidate); its lowest
 * free place. A centre-day whose free places were all taken under our feet is skipped and the
 * choice made again. Leaves `booked` to the caller.
 */
async function takePlace(ex: Executor, dialect: Dialect, req: SlotRequest): Promise<Place | null> {
  if (req.centers.length === 0) return null;
  const days = daysBetween(req.fromDay, req.toDay);
  const exhausted = new Set<string>();
  for (;;) {
    const rows = await ex
      .selectFrom('center_days')
      .select(['center_id', 'day', 'capacity', 'booked'])
      .where('center_id', 'in', req.centers.map((c) => c.centerId))
      .where('day', '>=', req.fromDay)
      .where('day', '<=', req.toDay)
      .execute();
    const free = new Map(rows.map((r) => [`${r.center_id}|${r.day}`, r.capacity - r.booked]));
    let choice: { center: CenterInfo; day: string } | null = null;
    for (const day of days) {
      if (req.isClosedDay(day)) continue;
      const weekday = weekdayOf(day);
      let best = 0;
      for (const center of req.centers) {
        const key = `${center.centerId}|${day}`;
        if (exhausted.has(key) || !opensOn(center, weekday)) continue;
        const n = free.get(key) ?? center.dailyCapacity;
        if (n > best) {
          best = n;
          choice = { center, day };
        }
      }
      if (choice) break;
    }
    if (!choice) return null;
    const { center, day } = choice;
    if (!free.has(`${center.centerId}|${day}`)) await materialise(ex, center, day, req.timezone, req.slotMinutes);
    const taken = await claim(ex, dialect, center.centerId, day, req.appointmentId);
    if (taken) return { centerId: center.centerId, day, seq: taken.seq, startAt: taken.start_at };
    exhausted.add(`${center.centerId}|${day}`);
  }
}

/** Frees the place an appointment holds (only if it still holds it) and keeps `booked` in step. */
async function freePlace(ex: Executor, a: { appointment_id: string; center_id: string; day: string; seq: number }): Promise<void> {
  const freed = await ex
    .updateTable('slots')
    .set({ appointment_id: null })
    .where('center_id', '=', a.center_id)
    .where('day', '=', a.day)
    .where('seq', '=', a.seq)
    .where('appointment_id', '=', a.appointment_id)
    .executeTakeFirst();
  if (Number(freed.numUpdatedRows) > 0) await bookedDelta(ex, a.center_id, a.day, -1);
}

const row = (ex: Executor, appointmentId: string) =>
  ex.selectFrom('appointments').selectAll().where('appointment_id', '=', appointmentId).executeTakeFirst();

/**
 * Allocates a slot for an invitation (see `AppointmentStore.allocate` for the rule), or returns
 * null when no candidate has a free place in `[fromDay, toDay]`. Call it inside the transaction
 * that releases the invitation, so both happen or neither does; on SQLite that transaction must
 * hold the write lock before its first read (write first, or BEGIN IMMEDIATE). Idempotent: an
 * appointment that already holds a slot is returned as it is. Throws `APPOINTMENT_STATE` for a
 * released appointment.
 */
export function allocateSlot(ex: Executor, dialect: Dialect, req: SlotRequest): Promise<Appointment | null> {
  return atomically(ex, dialect, async (trx) => {
    const existing = await row(trx, req.appointmentId);
    if (existing) return live(existing);
    const place = await takePlace(trx, dialect, req);
    if (!place) return null;
    const inserted = await trx
      .insertInto('appointments')
      .values({
        appointment_id: req.appointmentId, campaign_id: req.campaignId, citizen_id: req.citizenId, center_id: place.centerId,
        day: place.day, seq: place.seq, start_at: place.startAt, state: 'held', state_reason: null, created_at: req.at, updated_at: req.at,
      })
      .onConflict((oc) => oc.column('appointment_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      await bookedDelta(trx, place.centerId, place.day, 1);
      return toAppointment(inserted);
    }
    // Another worker allocated the same appointment meanwhile (PostgreSQL): give our place back, return theirs.
    await trx.updateTable('slots').set({ appointment_id: null }).where('center_id', '=', place.centerId).where('day', '=', place.day).where('seq', '=', place.seq).execute();
    return live((await row(trx, req.appointmentId))!);
  });
}

/**
 * Allocates slots for several invitations of citizens with the same candidate centres, with the
 * rule of `allocateSlot` applied to each in turn (earliest open day with a free place; that day
 * the candidate with the most free places; its lowest free place) but in a few set-based
 * statements: the pacer releases thousands of invitations a minute. The requests must differ
 * only in their ids and share `centers`, `fromDay`, `toDay`. Returns one result per request, in
 * order (null: no free place). Call it inside the release transaction.
 */
export async function allocateSlots(ex: Executor, dialect: Dialect, reqs: readonly SlotRequest[]): Promise<(Appointment | null)[]> {
  const first = reqs[0];
  if (!first) return [];
  if (reqs.length === 1 || dialect === 'postgres') {
    // PostgreSQL: concurrent allocators skip each other's locked places one by one.
    const out: (Appointment | null)[] = [];
    for (const r of reqs) out.push(await allocateSlot(ex, dialect, r));
    return out;
  }
  return atomically(ex, dialect, async (trx) => {
    const out: (Appointment | null)[] = reqs.map(() => null);
    const pending = new Map(reqs.map((r, i) => [r.appointmentId, i]));
    // Appointments that exist already are returned as they are (idempotent).
    const existing = await trx.selectFrom('appointments').selectAll().where('appointment_id', 'in', [...pending.keys()]).execute();
    for (const e of existing) {
      out[pending.get(e.appointment_id)!] = live(e);
      pending.delete(e.appointment_id);
    }
    if (pending.size === 0) return out;
    const days = daysBetween(first.fromDay, first.toDay);
    const rows = await trx
      .selectFrom('center_days')
      .select(['center_id', 'day', 'capacity', 'booked'])
      .where('center_id', 'in', first.centers.map((c) => c.centerId))
      .where('day', '>=', first.fromDay)
      .where('day', '<=', first.toDay)
      .execute();
    const free = new Map(rows.map((r) => [`${r.center_id}|${r.day}`, r.capacity - r.booked]));
    const made = new Set(rows.map((r) => `${r.center_id}|${r.day}`));
    // Plan in memory, request by request, as allocateSlot would choose.
    const plan = new Map<string, { center: CenterInfo; day: string; ids: string[] }>();
    for (const id of pending.keys()) {
      let choice: { center: CenterInfo; day: string } | null = null;
      for (const day of days) {
        if (first.isClosedDay(day)) continue;
        const weekday = weekdayOf(day);
        let best = 0;
        for (const center of first.centers) {
          if (!opensOn(center, weekday)) continue;
          const n = free.get(`${center.centerId}|${day}`) ?? center.dailyCapacity;
          if (n > best) {
            best = n;
            choice = { center, day };
          }
        }
        if (choice) break;
      }
      if (!choice) break;
      const key = `${choice.center.centerId}|${choice.day}`;
      free.set(key, (free.get(key) ?? choice.center.dailyCapacity) - 1);
      const p = plan.get(key) ?? { center: choice.center, day: choice.day, ids: [] };
      p.ids.push(id);
      plan.set(key, p);
    }
    for (const [key, p] of plan) {
      if (!made.has(key)) await materialise(trx, p.center, p.day, first.timezone, first.slotMinutes);
      // SQLite holds the write lock for the whole transaction: the free places read are ours.
      const places = await trx
        .selectFrom('slots')
        .select(['seq', 'start_at'])
        .where('center_id', '=', p.center.centerId)
        .where('day', '=', p.day)
        .where('appointment_id', 'is', null)
        .orderBy('seq')
        .limit(p.ids.length)
        .execute();
      const taken = places.map((place, i) => ({ id: p.ids[i]!, seq: place.seq, start_at: place.start_at }));
      if (taken.length === 0) continue;
      const holder = sql.join(taken.map((t) => sql`when ${t.seq} then ${t.id}`), sql` `);
      await trx
        .updateTable('slots')
        .set({ appointment_id: sql<string>`case seq ${holder} end` })
        .where('center_id', '=', p.center.centerId)
        .where('day', '=', p.day)
        .where('seq', 'in', taken.map((t) => t.seq))
        .where('appointment_id', 'is', null)
        .execute();
      const req = (id: string) => reqs[pending.get(id)!]!;
      const inserted = await trx
        .insertInto('appointments')
        .values(taken.map((t) => ({
          appointment_id: t.id, campaign_id: req(t.id).campaignId, citizen_id: req(t.id).citizenId, center_id: p.center.centerId,
          day: p.day, seq: t.seq, start_at: t.start_at, state: 'held' as const, state_reason: null, created_at: req(t.id).at, updated_at: req(t.id).at,
        })))
        .returningAll()
        .execute();
      await trx
        .updateTable('center_days')
        .set((eb) => ({ booked: eb('booked', '+', inserted.length) }))
        .where('center_id', '=', p.center.centerId)
        .where('day', '=', p.day)
        .execute();
      for (const a of inserted) out[pending.get(a.appointment_id)!] = toAppointment(a);
    }
    return out;
  });
}

function live(r: Selectable<AppointmentsTable>): Appointment {
  if (r.state === 'released') throw new InvitoError('APPOINTMENT_STATE', `appointment ${r.appointment_id} was released (${r.state_reason ?? 'no reason'}); rebook it instead`);
  return toAppointment(r);
}

/** held → confirmed; a confirmed one is returned as it is. Throws `APPOINTMENT_NOT_FOUND`, or `APPOINTMENT_STATE` when released. */
export async function confirmAppointment(ex: Executor, appointmentId: string, at: string): Promise<Appointment> {
  const moved = await ex
    .updateTable('appointments')
    .set({ state: 'confirmed', state_reason: null, updated_at: at })
    .where('appointment_id', '=', appointmentId)
    .where('state', '=', 'held')
    .returningAll()
    .executeTakeFirst();
  if (moved) return toAppointment(moved);
  const current = await row(ex, appointmentId);
  if (!current) throw new InvitoError('APPOINTMENT_NOT_FOUND', `no appointment ${appointmentId}`);
  return live(current);
}

/**
 * Frees the appointment's slot and marks it released with `reason`. Idempotent: an appointment
 * already released keeps its first reason. Null for an unknown id. Run it in a transaction
 * (see `atomically`): the slot, the counter and the appointment move together.
 */
export async function releaseAppointment(trx: Executor, appointmentId: string, reason: string, at: string): Promise<Appointment | null> {
  const released = await trx
    .updateTable('appointments')
    .set({ state: 'released', state_reason: reason, updated_at: at })
    .where('appointment_id', '=', appointmentId)
    .where('state', 'in', LIVE)
    .returningAll()
    .executeTakeFirst();
  if (released) {
    await freePlace(trx, released);
    return toAppointment(released);
  }
  const current = await row(trx, appointmentId);
  return current ? toAppointment(current) : null;
}

/** Whether an appointment's day is still to come (today included), judged at `at` in the appointment's own offset. */
function notPast(a: { day: string; start_at: string }, at: string): boolean {
  const zone = DateTime.fromISO(a.start_at, { setZone: true }).zone;
  return a.day >= DateTime.fromISO(at).setZone(zone).toISODate()!;
}

/**
 * Releases every held or confirmed appointment of these citizens whose day has not passed: an
 * opt-out. Past appointments stay as they were (they are history). Returns those released.
 * Run it in a transaction (see `atomically`).
 */
export async function releaseForCitizens(trx: Executor, citizenIds: readonly string[], reason: string, at: string): Promise<Appointment[]> {
  if (citizenIds.length === 0) return [];
  const rows = await trx
    .selectFrom('appointments')
    .select(['appointment_id', 'day', 'start_at'])
    .where('citizen_id', 'in', citizenIds)
    .where('state', 'in', LIVE)
    .orderBy('appointment_id')
    .execute();
  const out: Appointment[] = [];
  for (const r of rows) {
    if (!notPast(r, at)) continue;
    const released = await releaseAppointment(trx, r.appointment_id, reason, at);
    if (released?.state === 'released') out.push(released);
  }
  return out;
}

/**
 * Moves an appointment to another slot found as `allocateSlot` finds one, freeing the old one
 * in the same transaction. Held and confirmed keep their state; a released appointment becomes
 * held again. Throws `APPOINTMENT_NOT_FOUND`, or `NO_SLOT` (and nothing changes).
 */
export function rebookAppointment(ex: Executor, dialect: Dialect, appointmentId: string, req: SlotRequest): Promise<Appointment> {
  return atomically(ex, dialect, async (trx) => {
    const old = await row(trx, appointmentId);
    if (!old) throw new InvitoError('APPOINTMENT_NOT_FOUND', `no appointment ${appointmentId}`);
    const place = await takePlace(trx, dialect, { ...req, appointmentId });
    if (!place) throw new InvitoError('NO_SLOT', `no centre offered for appointment ${appointmentId} has a free slot from ${req.fromDay} to ${req.toDay}`);
    if (old.state !== 'released') {
      await trx.updateTable('slots').set({ appointment_id: null }).where('center_id', '=', old.center_id).where('day', '=', old.day).where('seq', '=', old.seq).where('appointment_id', '=', appointmentId).execute();
    }
    // Both counters last and in key order: two rebooks crossing between the same centre-days lock them alike (no deadlock).
    const deltas: [string, string, 1 | -1][] = [[place.centerId, place.day, 1]];
    if (old.state !== 'released') deltas.push([old.center_id, old.day, -1]);
    deltas.sort((a, b) => (a[0] + '|' + a[1] < b[0] + '|' + b[1] ? -1 : 1));
    for (const [c, d, delta] of deltas) await bookedDelta(trx, c, d, delta);
    const moved = await trx
      .updateTable('appointments')
      .set({
        center_id: place.centerId, day: place.day, seq: place.seq, start_at: place.startAt,
        state: old.state === 'released' ? 'held' : old.state, state_reason: null, updated_at: req.at,
      })
      .where('appointment_id', '=', appointmentId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAppointment(moved);
  });
}

/**
 * A released appointment taken back by a late confirmation: its own place, if still free and
 * its day not past, becomes its again (confirmed). Null when the place is gone. Run it in a
 * transaction (see `atomically`).
 */
export async function reclaimAppointment(ex: Executor, appointmentId: string, at: string): Promise<Appointment | null> {
  const a = await row(ex, appointmentId);
  if (!a || a.state !== 'released' || !notPast(a, at)) return null;
  const taken = await ex
    .updateTable('slots')
    .set({ appointment_id: appointmentId })
    .where('center_id', '=', a.center_id)
    .where('day', '=', a.day)
    .where('seq', '=', a.seq)
    .where('appointment_id', 'is', null)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 0) return null;
  await bookedDelta(ex, a.center_id, a.day, 1);
  const moved = await ex
    .updateTable('appointments')
    .set({ state: 'confirmed', state_reason: null, updated_at: at })
    .where('appointment_id', '=', appointmentId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toAppointment(moved);
}

const CENTER = ['k.center_id', 'k.name', 'k.address', 'k.municipality', 'k.opening', 'k.daily_capacity'] as const;
type CenterRow = { center_id: string; name: string; address: string | null; municipality: string | null; opening: string; daily_capacity: number };
const toCenter = (r: CenterRow): CenterInfo => ({
  centerId: r.center_id, name: r.name, address: r.address, municipality: r.municipality, opening: r.opening, dailyCapacity: r.daily_capacity,
});

/** The centres serving a citizen (see `AppointmentStore.candidates`), uncached. */
export async function candidateCenters(ex: Executor, citizen: CitizenPlace): Promise<CenterInfo[]> {
  const municipality = citizen.municipality?.toUpperCase() ?? null;
  const asl = citizen.asl?.toUpperCase() ?? null;
  const areas = [municipality, asl].filter((a): a is string => a !== null);
  if (areas.length > 0) {
    const rows = await ex
      .selectFrom('centers as k')
      .innerJoin('center_catchment as a', 'a.center_id', 'k.center_id')
      .where('a.area', 'in', areas)
      .select([...CENTER, 'a.area'])
      .orderBy('k.center_id')
      .execute();
    if (rows.length > 0) {
      // The municipality's own centres first, then the ASL's; a centre serving both counts once.
      const rank = (r: { area: string }) => (r.area === municipality ? 0 : 1);
      const seen = new Set<string>();
      return rows
        .sort((x, y) => rank(x) - rank(y)) // stable: centre ids stay in order within each rank
        .filter((r) => !seen.has(r.center_id) && seen.add(r.center_id))
        .map(toCenter);
    }
  }
  if (citizen.region === null) return [];
  const rows = await ex.selectFrom('centers as k').where('k.region', '=', citizen.region).select(CENTER).orderBy('k.center_id').execute();
  return rows.map(toCenter);
}

/** Free places on `day` at these centres (see `AppointmentStore.openSlots`). */
export async function openSlotsOn(ex: Executor, centerIds: readonly string[] | 'all', day: string): Promise<number> {
  if (centerIds !== 'all' && centerIds.length === 0) return 0;
  const rows = await ex
    .selectFrom('centers as k')
    .leftJoin('center_days as d', (j) => j.onRef('d.center_id', '=', 'k.center_id').on('d.day', '=', day))
    .$if(centerIds !== 'all', (q) => q.where('k.center_id', 'in', centerIds as readonly string[]))
    .select(['k.opening', 'k.daily_capacity', 'd.capacity', 'd.booked'])
    .execute();
  const weekday = weekdayOf(day);
  let free = 0;
  for (const r of rows) {
    if (r.capacity !== null && r.booked !== null) free += r.capacity - r.booked;
    else if (r.daily_capacity > 0 && rulesOf(r.opening).some((rule) => rule.days.includes(weekday))) free += r.daily_capacity;
  }
  return free;
}

/** Appointments confirmed, and released as declined, in a campaign. */
export async function acceptanceCounts(ex: Executor, campaignId: string): Promise<{ confirmed: number; declined: number }> {
  const r = await ex
    .selectFrom('appointments')
    .where('campaign_id', '=', campaignId)
    .select([
      sql<number>`count(case when state = 'confirmed' then 1 end)`.as('confirmed'),
      sql<number>`count(case when state = 'released' and state_reason = 'declined' then 1 end)`.as('declined'),
    ])
    .executeTakeFirstOrThrow();
  return { confirmed: Number(r.confirmed), declined: Number(r.declined) };
}

/** How long a citizen's candidate centres are remembered (the registry's centres change only on import). */
const CANDIDATES_TTL_MS = 60_000;

/** `AppointmentStore` over Kysely. */
export class KyselyAppointmentStore implements AppointmentStore {
  private readonly cache = new Map<string, { at: number; centers: Promise<CenterInfo[]> }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async allocate(request: SlotRequest): Promise<Appointment> {
    const a = await allocateSlot(this.db, this.dialect, request);
    if (!a) throw new InvitoError('NO_SLOT', `no centre offered for appointment ${request.appointmentId} has a free slot from ${request.fromDay} to ${request.toDay}`);
    return a;
  }

  confirm(appointmentId: string, at: string): Promise<Appointment> {
    return confirmAppointment(this.db, appointmentId, at);
  }

  release(appointmentId: string, reason: string, at: string): Promise<Appointment | null> {
    return atomically(this.db, this.dialect, (trx) => releaseAppointment(trx, appointmentId, reason, at));
  }

  releaseForCitizen(citizenId: string, reason: string, at: string): Promise<Appointment[]> {
    return atomically(this.db, this.dialect, (trx) => releaseForCitizens(trx, [citizenId], reason, at));
  }

  rebook(appointmentId: string, request: SlotRequest): Promise<Appointment> {
    return rebookAppointment(this.db, this.dialect, appointmentId, request);
  }

  async appointment(appointmentId: string): Promise<Appointment | null> {
    const r = await row(this.db, appointmentId);
    return r ? toAppointment(r) : null;
  }

  /**
   * Cached per area key for a minute: the release path asks for every citizen. It reads through
   * the store's own connection, so on SQLite ask before opening a transaction (inside one, the
   * single connection is the transaction's and a cache miss would wait for it forever).
   */
  candidates(citizen: CitizenPlace): Promise<CenterInfo[]> {
    const key = `${citizen.municipality?.toUpperCase() ?? ''}|${citizen.asl?.toUpperCase() ?? ''}|${citizen.region ?? ''}`;
    // Real time, not the campaign clock: this bounds how stale a cache is, it decides nothing.
    const now = performance.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < CANDIDATES_TTL_MS) return hit.centers;
    if (this.cache.size >= 10_000) this.cache.clear();
    const centers = candidateCenters(this.db, citizen);
    this.cache.set(key, { at: now, centers });
    centers.catch(() => this.cache.delete(key));
    return centers;
  }

  openSlots(centerIds: readonly string[] | 'all', day: string): Promise<number> {
    return openSlotsOn(this.db, centerIds, day);
  }

  acceptance(campaignId: string): Promise<{ confirmed: number; declined: number }> {
    return acceptanceCounts(this.db, campaignId);
  }
}
