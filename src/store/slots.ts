/**
 * Appointments and slots over Kysely, one set of statements for SQLite and PostgreSQL; the rules
 * they apply (candidate centres, the choice of day and centre, states) are pacer/allocation.ts's.
 *
 * A centre-day is materialised the first time it is needed: a `center_days` row and one `slots`
 * row per place (`slotStarts`). A place is taken by one conditional UPDATE (`… where
 * appointment_id is null`), so a centre-day cannot be overbooked however many workers allocate at
 * once: there are only `capacity` rows to take. On PostgreSQL the candidate row is picked `for
 * update skip locked`, so concurrent allocations take different places instead of queueing behind
 * one; on SQLite writers are serialised by the database lock (the store's transactions begin
 * IMMEDIATE). `center_days.booked` moves with every take and every free, in the same transaction.
 * The functions take an executor so the pacer can allocate inside its own release transaction;
 * given a plain `Kysely` they open a transaction of their own.
 */
import { type Selectable, sql } from 'kysely';
import { groupBy } from '../core/collections.js';
import { InvitoError } from '../core/errors.js';
import { candidateCentres, catchmentAreas, centreDay, checkCapacity, chooseCentreDay, daysBetween, HOLDS_SLOT, notPast, notReleased, opensOn, placesFree, planCentreDays, rebookedState, rulesOf, weekdayOf } from '../pacer/allocation.js';
import { RECEIPT_RELEASES } from '../feedback/rules.js';
import type { ReceiptState } from '../feedback/store.js';
import type { Appointment, AppointmentStore, CenterInfo, CitizenPlace, SlotRequest } from '../pacer/appointments.js';
import type { Allocation } from '../pacer/store.js';
import { slotStarts } from '../pacer/slots.js';
import type { Dialect } from './open.js';
import { atomically, type Executor } from './unit-of-work.js';
import type { AppointmentsTable } from './schema.js';

/** Slot rows written per statement when a centre-day is materialised (well under both dialects' parameter limits). */
const SLOT_CHUNK = 500;

const toAppointment = (r: Selectable<AppointmentsTable>): Appointment => ({
  appointmentId: r.appointment_id, campaignId: r.campaign_id, citizenId: r.citizen_id, centerId: r.center_id, day: r.day, seq: r.seq, startAt: r.start_at, state: r.state,
});

/** Moves a centre-day's `booked` counter by `delta` places. */
async function bookedDelta(ex: Executor, centerId: string, day: string, delta: number): Promise<void> {
  await ex.updateTable('center_days').set((eb) => ({ booked: eb('booked', '+', delta) })).where((eb) => eb.and({ center_id: centerId, day })).execute();
}

/** Creates the centre-day and its places unless they exist (another worker may be doing the same). */
async function materialise(ex: Executor, center: CenterInfo, day: string, timezone: string, slotMinutes: number): Promise<void> {
  const exists = await ex.selectFrom('center_days').select('center_id').where((eb) => eb.and({ center_id: center.centerId, day })).executeTakeFirst();
  if (exists) return;
  checkCapacity(center);
  const starts = slotStarts(rulesOf(center.opening), center.dailyCapacity, day, timezone, slotMinutes);
  const created = await ex.insertInto('center_days').values({ center_id: center.centerId, day, capacity: starts.length, booked: 0 })
    .onConflict((oc) => oc.columns(['center_id', 'day']).doNothing()).returning('center_id').executeTakeFirst();
  // Only the transaction that created the centre-day writes its places, so they always match its capacity.
  if (!created) return;
  for (let i = 0; i < starts.length; i += SLOT_CHUNK) {
    const rows = starts.slice(i, i + SLOT_CHUNK).map((start_at, k) => ({ center_id: center.centerId, day, seq: i + k, start_at, appointment_id: null }));
    await ex.insertInto('slots').values(rows).onConflict((oc) => oc.columns(['center_id', 'day', 'seq']).doNothing()).execute();
  }
}

/** Takes the lowest free place of a centre-day for `appointmentId`, or null when none is free (or all free ones are being taken). */
async function claim(ex: Executor, dialect: Dialect, centerId: string, day: string, appointmentId: string): Promise<{ seq: number; start_at: string } | null> {
  const lowestFree = freePlaces(ex, centerId, day, 1).select('seq').$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());
  const row = await ex.updateTable('slots').set({ appointment_id: appointmentId })
    .where((eb) => eb.and({ center_id: centerId, day, seq: lowestFree, appointment_id: null })).returning(['seq', 'start_at']).executeTakeFirst();
  return row ?? null;
}

/** The `limit` lowest free places of a centre-day, in place order. */
function freePlaces(ex: Executor, centerId: string, day: string, limit: number) {
  return ex.selectFrom('slots').where((eb) => eb.and({ center_id: centerId, day, appointment_id: null })).orderBy('seq').limit(limit);
}

/** A place taken: a centre-day's place number and its start. */
export type Place = Pick<Appointment, 'centerId' | 'day' | 'seq' | 'startAt'>;

/** The row of a new appointment holding `place` for `req`. */
const held = (req: SlotRequest, place: Place) => ({
  appointment_id: req.appointmentId, campaign_id: req.campaignId, citizen_id: req.citizenId, center_id: place.centerId,
  day: place.day, seq: place.seq, start_at: place.startAt, state: 'held' as const, state_reason: null, created_at: req.at, updated_at: req.at,
});

/**
 * Finds and takes a place for `req` as `chooseCentreDay` chooses over the centre-days' free
 * counts. A centre-day whose free places were all taken under our feet is skipped and the choice
 * made again. Leaves `booked` to the caller.
 */
async function takePlace(ex: Executor, dialect: Dialect, req: SlotRequest): Promise<Place | null> {
  if (req.centers.length === 0) return null;
  const exhausted = new Set<string>();
  for (;;) {
    const free = await freeCounts(ex, req);
    const choice = chooseCentreDay(req, (c, day) => free.get(centreDay(c.centerId, day)) ?? c.dailyCapacity, exhausted);
    if (!choice) return null;
    const { center, day } = choice;
    if (!free.has(centreDay(center.centerId, day))) await materialise(ex, center, day, req.timezone, req.slotMinutes);
    const taken = await claim(ex, dialect, center.centerId, day, req.appointmentId);
    if (taken) return { centerId: center.centerId, day, seq: taken.seq, startAt: taken.start_at };
    exhausted.add(centreDay(center.centerId, day));
  }
}

/** Free places of the request's centre-days laid out so far, by `centreDay` key. */
async function freeCounts(ex: Executor, req: SlotRequest): Promise<Map<string, number>> {
  const rows = await ex.selectFrom('center_days').select(['center_id', 'day', 'capacity', 'booked'])
    .where('center_id', 'in', req.centers.map((c) => c.centerId)).where('day', '>=', req.fromDay).where('day', '<=', req.toDay).execute();
  return new Map(rows.map((r) => [centreDay(r.center_id, r.day), r.capacity - r.booked]));
}

type Held = { appointment_id: string; center_id: string; day: string; seq: number };
/** Frees the place an appointment holds, only if it still holds it; true when it did. */
const unhold = async (ex: Executor, a: Held): Promise<boolean> =>
  Number((await ex.updateTable('slots').set({ appointment_id: null }).where((eb) => eb.and({ center_id: a.center_id, day: a.day, seq: a.seq, appointment_id: a.appointment_id })).executeTakeFirst()).numUpdatedRows) > 0;

/** Frees the place an appointment holds (only if it still holds it) and keeps `booked` in step. */
async function freePlace(ex: Executor, a: Held): Promise<void> {
  if (await unhold(ex, a)) await bookedDelta(ex, a.center_id, a.day, -1);
}

const row = (ex: Executor, appointmentId: string) => ex.selectFrom('appointments').selectAll().where('appointment_id', '=', appointmentId).executeTakeFirst();

/**
 * Allocates a slot for an invitation (the rule: `chooseCentreDay`), or null when no candidate has
 * a free place in `[fromDay, toDay]`. Call it inside the transaction that releases the invitation;
 * on SQLite that transaction must hold the write lock before its first read (write first, or BEGIN
 * IMMEDIATE). Idempotent; throws `APPOINTMENT_STATE` for a released appointment.
 */
function allocateSlot(ex: Executor, dialect: Dialect, req: SlotRequest): Promise<Appointment | null> {
  return atomically(ex, dialect, async (trx) => {
    const existing = await row(trx, req.appointmentId);
    if (existing) return live(existing);
    const place = await takePlace(trx, dialect, req);
    if (!place) return null;
    const inserted = await trx.insertInto('appointments').values(held(req, place)).onConflict((oc) => oc.column('appointment_id').doNothing()).returningAll().executeTakeFirst();
    if (inserted) {
      await bookedDelta(trx, place.centerId, place.day, 1);
      return toAppointment(inserted);
    }
    // Another worker allocated the same appointment meanwhile (PostgreSQL): give our place back, return theirs.
    await trx.updateTable('slots').set({ appointment_id: null }).where((eb) => eb.and({ center_id: place.centerId, day: place.day, seq: place.seq })).execute();
    return live((await row(trx, req.appointmentId))!);
  });
}

/**
 * Allocates slots for several invitations sharing `centers`, `fromDay` and `toDay` (differing only
 * in their ids) as `allocateSlot` would one after another (`planCentreDays`), in a few set-based
 * statements: the pacer releases thousands a minute. One result per request, in order (null: no
 * free place). Call it inside the release transaction.
 */
async function allocateSlots(ex: Executor, dialect: Dialect, reqs: readonly SlotRequest[]): Promise<(Appointment | null)[]> {
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
    daysBetween(first.fromDay, first.toDay);
    const free = await freeCounts(trx, first);
    const made = new Set(free.keys());
    // Planned in memory, request by request, as allocateSlot would choose.
    const plan = planCentreDays(first, pending.keys(), free);
    for (const p of plan) {
      if (!made.has(centreDay(p.center.centerId, p.day))) await materialise(trx, p.center, p.day, first.timezone, first.slotMinutes);
      // SQLite holds the write lock for the whole transaction: the free places read are ours.
      const places = await freePlaces(trx, p.center.centerId, p.day, p.ids.length).select(['seq', 'start_at']).execute();
      const taken = places.map((place, i) => ({ id: p.ids[i]!, seq: place.seq, start_at: place.start_at }));
      if (taken.length === 0) continue;
      const holder = sql.join(taken.map((t) => sql`when ${t.seq} then ${t.id}`), sql` `);
      await trx.updateTable('slots').set({ appointment_id: sql<string>`case seq ${holder} end` })
        .where((eb) => eb.and({ center_id: p.center.centerId, day: p.day, appointment_id: null })).where('seq', 'in', taken.map((t) => t.seq)).execute();
      const rows = taken.map((t) => held(reqs[pending.get(t.id)!]!, { centerId: p.center.centerId, day: p.day, seq: t.seq, startAt: t.start_at }));
      const inserted = await trx.insertInto('appointments').values(rows).returningAll().execute();
      await bookedDelta(trx, p.center.centerId, p.day, inserted.length);
      for (const a of inserted) out[pending.get(a.appointment_id)!] = toAppointment(a);
    }
    return out;
  });
}

/** The appointment of a row that must still hold its place (`notReleased`). */
const live = (r: Selectable<AppointmentsTable>): Appointment => notReleased(toAppointment(r), r.state_reason);

/** held → confirmed; a confirmed one is returned as it is. Throws `APPOINTMENT_NOT_FOUND`, or `APPOINTMENT_STATE` when released. */
export async function confirmAppointment(ex: Executor, appointmentId: string, at: string): Promise<Appointment> {
  const moved = await ex.updateTable('appointments').set({ state: 'confirmed', state_reason: null, updated_at: at })
    .where((eb) => eb.and({ appointment_id: appointmentId, state: 'held' })).returningAll().executeTakeFirst();
  if (moved) return toAppointment(moved);
  const current = await row(ex, appointmentId);
  if (!current) throw new InvitoError('APPOINTMENT_NOT_FOUND', `no appointment ${appointmentId}`);
  return live(current);
}

/**
 * Frees the appointment's slot and marks it released with `reason`; one already released keeps its
 * first reason, null for an unknown id. Run it in a transaction: slot, counter and appointment move together.
 */
export async function releaseAppointment(trx: Executor, appointmentId: string, reason: string, at: string): Promise<Appointment | null> {
  const released = await trx.updateTable('appointments').set({ state: 'released', state_reason: reason, updated_at: at })
    .where('appointment_id', '=', appointmentId).where('state', 'in', HOLDS_SLOT).returningAll().executeTakeFirst();
  if (released) {
    await freePlace(trx, released);
    return toAppointment(released);
  }
  const current = await row(trx, appointmentId);
  return current ? toAppointment(current) : null;
}

/**
 * An opt-out's release (the rule: `AppointmentStore.releaseForCitizen`): these citizens'
 * appointments that hold a slot and are `notPast`. Returns those released. Run it in a transaction.
 */
export async function releaseForCitizens(trx: Executor, citizenIds: readonly string[], reason: string, at: string): Promise<Appointment[]> {
  if (citizenIds.length === 0) return [];
  const rows = await trx.selectFrom('appointments').select(['appointment_id', 'day', 'start_at'])
    .where('citizen_id', 'in', citizenIds).where('state', 'in', HOLDS_SLOT).orderBy('appointment_id').execute();
  const out: Appointment[] = [];
  for (const r of rows) {
    if (!notPast({ day: r.day, startAt: r.start_at }, at)) continue;
    const released = await releaseAppointment(trx, r.appointment_id, reason, at);
    if (released?.state === 'released') out.push(released);
  }
  return out;
}

/**
 * Moves an appointment to another slot found as `allocateSlot` finds one, freeing the old one in the
 * same transaction (state: `rebookedState`). Throws `APPOINTMENT_NOT_FOUND`, or `NO_SLOT` (nothing changes).
 */
export function rebookAppointment(ex: Executor, dialect: Dialect, appointmentId: string, req: SlotRequest): Promise<Appointment> {
  return atomically(ex, dialect, async (trx) => {
    const old = await row(trx, appointmentId);
    if (!old) throw new InvitoError('APPOINTMENT_NOT_FOUND', `no appointment ${appointmentId}`);
    const place = await takePlace(trx, dialect, { ...req, appointmentId });
    if (!place) throw new InvitoError('NO_SLOT', `no centre offered for appointment ${appointmentId} has a free slot from ${req.fromDay} to ${req.toDay}`);
    if (old.state !== 'released') await unhold(trx, old);
    // Both counters last and in key order: two rebooks crossing between the same centre-days lock them alike (no deadlock).
    const deltas: [string, string, 1 | -1][] = [[place.centerId, place.day, 1]];
    if (old.state !== 'released') deltas.push([old.center_id, old.day, -1]);
    deltas.sort((a, b) => (centreDay(a[0], a[1]) < centreDay(b[0], b[1]) ? -1 : 1));
    for (const [c, d, delta] of deltas) await bookedDelta(trx, c, d, delta);
    const moved = await trx.updateTable('appointments')
      .set({ center_id: place.centerId, day: place.day, seq: place.seq, start_at: place.startAt, state: rebookedState(old.state), state_reason: null, updated_at: req.at })
      .where('appointment_id', '=', appointmentId).returningAll().executeTakeFirstOrThrow();
    return toAppointment(moved);
  });
}

/**
 * Up to `n` free places to offer a citizen for `req` (a CAMBIA by SMS): day by day from
 * `fromDay` (closed days skipped), at each candidate centre in preference order, the centre-day's
 * lowest free place — so the offers spread over centres before they repeat one. Lays out the
 * centre-days it looks at; takes nothing.
 */
export async function offerPlaces(ex: Executor, req: SlotRequest, n: number): Promise<Place[]> {
  const out: Place[] = [];
  for (const day of daysBetween(req.fromDay, req.toDay)) {
    if (req.isClosedDay(day)) continue;
    for (const center of req.centers) {
      if (!opensOn(center, weekdayOf(day))) continue;
      await materialise(ex, center, day, req.timezone, req.slotMinutes);
      const free = await freePlaces(ex, center.centerId, day, 1).select(['seq', 'start_at']).executeTakeFirst();
      if (free) out.push({ centerId: center.centerId, day, seq: free.seq, startAt: free.start_at });
      if (out.length >= n) return out;
    }
  }
  return out;
}

/**
 * Moves an appointment to this very place (a slot the citizen chose), freeing the old one in the
 * same transaction; the appointment is then `confirmed`. Null, and nothing changed, when the place
 * was taken meanwhile. Throws `APPOINTMENT_NOT_FOUND`.
 */
export function movePlace(ex: Executor, dialect: Dialect, appointmentId: string, place: Place, at: string): Promise<Appointment | null> {
  return atomically(ex, dialect, async (trx) => {
    const old = await row(trx, appointmentId);
    if (!old) throw new InvitoError('APPOINTMENT_NOT_FOUND', `no appointment ${appointmentId}`);
    if (old.center_id === place.centerId && old.day === place.day && old.seq === place.seq) return toAppointment(old);
    const taken = await trx.updateTable('slots').set({ appointment_id: appointmentId })
      .where((eb) => eb.and({ center_id: place.centerId, day: place.day, seq: place.seq, appointment_id: null })).executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 0) return null;
    const holds = old.state === 'held' || old.state === 'confirmed';
    if (holds) await unhold(trx, old);
    const deltas: [string, string, 1 | -1][] = [[place.centerId, place.day, 1]];
    if (holds) deltas.push([old.center_id, old.day, -1]);
    deltas.sort((a, b) => (centreDay(a[0], a[1]) < centreDay(b[0], b[1]) ? -1 : 1));
    for (const [c, d, delta] of deltas) await bookedDelta(trx, c, d, delta);
    const moved = await trx.updateTable('appointments')
      .set({ center_id: place.centerId, day: place.day, seq: place.seq, start_at: place.startAt, state: 'confirmed', state_reason: null, updated_at: at })
      .where('appointment_id', '=', appointmentId).returningAll().executeTakeFirstOrThrow();
    return toAppointment(moved);
  });
}

/**
 * A released appointment taken back (when: feedback/rules.ts `answerMove`, desk/rules.ts
 * `appointmentSteps`): its own place, if still free and its day `notPast`, becomes its again
 * (confirmed). Null when the place is gone. Run it in a transaction.
 */
export async function reclaimAppointment(ex: Executor, appointmentId: string, at: string): Promise<Appointment | null> {
  const a = await row(ex, appointmentId);
  if (!a || a.state !== 'released' || !notPast({ day: a.day, startAt: a.start_at }, at)) return null;
  const taken = await ex.updateTable('slots').set({ appointment_id: appointmentId }).where((eb) => eb.and({ center_id: a.center_id, day: a.day, seq: a.seq, appointment_id: null })).executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 0) return null;
  await bookedDelta(ex, a.center_id, a.day, 1);
  const moved = await ex.updateTable('appointments').set({ state: 'confirmed', state_reason: null, updated_at: at }).where('appointment_id', '=', appointmentId).returningAll().executeTakeFirstOrThrow();
  return toAppointment(moved);
}

const CENTER = ['k.center_id', 'k.name', 'k.address', 'k.municipality', 'k.opening', 'k.daily_capacity'] as const;
type CenterRow = { center_id: string; name: string; address: string | null; municipality: string | null; opening: string; daily_capacity: number };
const toCenter = (r: CenterRow): CenterInfo => ({ centerId: r.center_id, name: r.name, address: r.address, municipality: r.municipality, opening: r.opening, dailyCapacity: r.daily_capacity });

/** The centres serving a citizen (see `AppointmentStore.candidates` and `candidateCentres`), uncached: their areas' catchment and their region. */
export async function candidateCenters(ex: Executor, citizen: CitizenPlace): Promise<CenterInfo[]> {
  const areas = catchmentAreas(citizen);
  const catchment = areas.length === 0 ? []
    : await ex.selectFrom('centers as k').innerJoin('center_catchment as a', 'a.center_id', 'k.center_id').where('a.area', 'in', areas).select([...CENTER, 'a.area']).orderBy('k.center_id').execute();
  const regional = citizen.region === null ? [] : await ex.selectFrom('centers as k').where('k.region', '=', citizen.region).select(CENTER).orderBy('k.center_id').execute();
  const byArea = groupBy(catchment, (r) => r.area, toCenter);
  return candidateCentres(citizen, (area) => byArea.get(area) ?? [], () => regional.map(toCenter));
}

/** Free places on `day` at these centres (see `AppointmentStore.openSlots`). */
async function openSlotsOn(ex: Executor, centerIds: readonly string[] | 'all', day: string): Promise<number> {
  if (centerIds !== 'all' && centerIds.length === 0) return 0;
  const rows = await ex.selectFrom('centers as k').leftJoin('center_days as d', (j) => j.onRef('d.center_id', '=', 'k.center_id').on('d.day', '=', day))
    .$if(centerIds !== 'all', (q) => q.where('k.center_id', 'in', centerIds as readonly string[])).select(['k.opening', 'k.daily_capacity', 'd.capacity', 'd.booked']).execute();
  const weekday = weekdayOf(day);
  return rows.reduce((n, r) => n + placesFree({ opening: r.opening, dailyCapacity: r.daily_capacity }, weekday, r.capacity !== null && r.booked !== null ? { capacity: r.capacity, booked: r.booked } : null), 0);
}

/** How long a citizen's candidate centres are remembered (the registry's centres change only on import). */
const CANDIDATES_TTL_MS = 60_000;

/** Candidate centres by area, one cache for every repository of a store (values only, never a pending read: see `candidates`). */
export type CenterCache = Map<string, { at: number; centers: CenterInfo[] }>;

/**
 * The appointments and slots repository: the feedback layer's and the desk's `AppointmentStore`
 * and the pacer's `Allocation`, bound to an executor (the store's pool, or one unit of work).
 * Every statement goes through that executor, so inside a unit of work they are its.
 */
export class KyselyAppointmentStore implements AppointmentStore, Allocation {
  constructor(private readonly ex: Executor, private readonly dialect: Dialect, private readonly centers: CenterCache = new Map()) {}

  async allocate(request: SlotRequest): Promise<Appointment> {
    const a = await allocateSlot(this.ex, this.dialect, request);
    if (!a) throw new InvitoError('NO_SLOT', `no centre offered for appointment ${request.appointmentId} has a free slot from ${request.fromDay} to ${request.toDay}`);
    return a;
  }

  allocateAll(requests: readonly SlotRequest[]): Promise<(Appointment | null)[]> { return allocateSlots(this.ex, this.dialect, requests); }
  confirm(appointmentId: string, at: string): Promise<Appointment> { return confirmAppointment(this.ex, appointmentId, at); }
  release(appointmentId: string, reason: string, at: string): Promise<Appointment | null> { return atomically(this.ex, this.dialect, (trx) => releaseAppointment(trx, appointmentId, reason, at)); }
  releaseForCitizen(citizenId: string, reason: string, at: string): Promise<Appointment[]> { return atomically(this.ex, this.dialect, (trx) => releaseForCitizens(trx, [citizenId], reason, at)); }
  rebook(appointmentId: string, request: SlotRequest): Promise<Appointment> { return rebookAppointment(this.ex, this.dialect, appointmentId, request); }
  async appointment(appointmentId: string): Promise<Appointment | null> { const r = await row(this.ex, appointmentId); return r ? toAppointment(r) : null; }

  /**
   * Cached per area for a minute: the release path asks for every citizen. Read through this
   * repository's executor, and only resolved answers are shared: on SQLite a unit of work holds
   * the one connection while it runs, so a read through the pool (or a pool read still pending
   * in the cache) awaited inside it would wait for that connection forever.
   */
  async candidates(citizen: CitizenPlace): Promise<CenterInfo[]> {
    const key = `${citizen.municipality?.toUpperCase() ?? ''}|${citizen.asl?.toUpperCase() ?? ''}|${citizen.region ?? ''}`;
    // Real time, not the campaign clock: this bounds how stale a cache is, it decides nothing.
    const hit = this.centers.get(key);
    if (hit && performance.now() - hit.at < CANDIDATES_TTL_MS) return hit.centers;
    const centers = await candidateCenters(this.ex, citizen);
    if (this.centers.size >= 10_000) this.centers.clear();
    this.centers.set(key, { at: performance.now(), centers });
    return centers;
  }

  openSlots(centerIds: readonly string[] | 'all', day: string): Promise<number> { return openSlotsOn(this.ex, centerIds, day); }

  async openSlotsIn(regions: readonly string[] | undefined, day: string): Promise<number> {
    if (!regions || regions.length === 0) return openSlotsOn(this.ex, 'all', day);
    const ids = await this.ex.selectFrom('centers').select('center_id').where('region', 'in', regions).orderBy('center_id').execute();
    return openSlotsOn(this.ex, ids.map((r) => r.center_id), day);
  }

  async acceptance(campaignId: string): Promise<{ confirmed: number; declined: number }> {
    const r = await this.ex.selectFrom('appointments').where('campaign_id', '=', campaignId)
      .select([sql<number>`count(case when state = 'confirmed' then 1 end)`.as('confirmed'), sql<number>`count(case when state = 'released' and state_reason = 'declined' then 1 end)`.as('declined')])
      .executeTakeFirstOrThrow();
    return { confirmed: Number(r.confirmed), declined: Number(r.declined) };
  }

  async liveAppointments(campaignId: string, day: string): Promise<number> {
    const r = await this.ex.selectFrom('appointments').select((eb) => eb.fn.countAll().as('n'))
      .where('campaign_id', '=', campaignId).where('state', 'in', HOLDS_SLOT).where('day', '>=', day).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Frees the held slots of invitations whose chain of attempts has ended (the last attempt
   * undelivered or failed, `feedback/rules.ts` `RECEIPT_RELEASES`, its fallback decided as none):
   * the pacer frees them as it decides, this repairs what a crash left. Each in its own transaction.
   */
  async releaseSlotsOfFailedInvitations(at: string): Promise<number> {
    // Attempts of the invitation that offered the slot (its own message or a fallback of its step), not a reminder's.
    const rows = await this.ex.selectFrom('appointments as a').innerJoin('messages as i', 'i.message_id', 'a.appointment_id')
      .innerJoin('messages as m', (j) => j.onRef('m.appointment_id', '=', 'a.appointment_id').onRef('m.step_id', '=', 'i.step_id')).select(['a.appointment_id', 'm.state'])
      .where('a.state', '=', 'held').where('m.state', 'in', Object.keys(RECEIPT_RELEASES) as ReceiptState[])
      .where('m.fallback_state', 'is not', null).where('m.fallback_state', '<>', 'made').limit(10_000).execute();
    for (const r of rows) await atomically(this.ex, this.dialect, (trx) => releaseAppointment(trx, r.appointment_id, RECEIPT_RELEASES[r.state as ReceiptState]!, at));
    return rows.length;
  }
}
