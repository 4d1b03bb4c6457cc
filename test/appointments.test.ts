/**
 * Appointments on a real store in both dialects: where a slot is found, that a centre-day is
 * never overbooked however many workers allocate at once (many connections on PostgreSQL,
 * several OS processes on one SQLite file), and that a decline, an opt-out or an undelivered
 * invitation frees the slot for the next citizen — through the real feedback server.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningHttpServer, startHttpServer } from '../src/http/server.js';
import type { CenterInfo, SlotRequest } from '../src/pacer/appointments.js';
import { acceptanceEstimate } from '../src/pacer/slots.js';
import type { CenterRecord } from '../src/registry/store.js';
import { KyselyStore } from '../src/store/index.js';
import { citizen, postForm, seedCampaign, seedCitizens, seedMessage } from './feedback/support.js';
import { DIALECTS, PG_URL, type TestStore } from './support/stores.js';

const ROOT = join(import.meta.dirname, '..');
const CHILD = join(ROOT, 'test', 'support', 'allocate-child.mjs');
const built = existsSync(join(ROOT, 'dist', 'store', 'slots.js'));

const AT = '2021-02-26T09:00:00.000Z';
// Monday 1 March 2021 … Sunday 7 March.
const MON = '2021-03-01';
const TUE = '2021-03-02';
const WED = '2021-03-03';
const FRI = '2021-03-05';
const SUN = '2021-03-07';

function center(id: string, capacity: number, o: Partial<CenterRecord> = {}): CenterRecord {
  return {
    center_id: id, name: `Centro ${id}`, region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: 'Via Roma 1',
    daily_capacity: capacity, opening: 'mon-sat 08:00-20:00', catchment: ['RM1'], line: 1, ...o,
  };
}

const info = (c: CenterRecord): CenterInfo => ({
  centerId: c.center_id, opening: c.opening, dailyCapacity: c.daily_capacity, name: c.name, address: c.address, municipality: c.municipality,
});

function request(id: string, centers: CenterRecord[], o: Partial<SlotRequest> = {}): SlotRequest {
  return {
    appointmentId: id, campaignId: 'over80', citizenId: id.split('.').pop()!, centers: centers.map(info), fromDay: MON, toDay: SUN,
    isClosedDay: () => false, timezone: 'Europe/Rome', slotMinutes: 15, at: AT, ...o,
  };
}

/**
 * The invariants every test ends with: per centre-day, places taken ≤ capacity and = booked,
 * and exactly `capacity` places; every live appointment holds exactly the one place its row
 * names, and every taken place belongs to a live appointment naming it.
 */
async function expectConsistent(store: KyselyStore): Promise<void> {
  const days = await store.db.selectFrom('center_days').selectAll().execute();
  const counts = await store.db
    .selectFrom('slots')
    .select(['center_id', 'day', sql<number>`count(*)`.as('places'), sql<number>`count(appointment_id)`.as('taken')])
    .groupBy(['center_id', 'day'])
    .execute();
  const byKey = new Map(counts.map((c) => [`${c.center_id}|${c.day}`, { places: Number(c.places), taken: Number(c.taken) }]));
  for (const d of days) {
    const c = byKey.get(`${d.center_id}|${d.day}`) ?? { places: 0, taken: 0 };
    expect({ key: `${d.center_id}|${d.day}`, places: c.places, taken: c.taken, booked: d.booked }).toEqual({
      key: `${d.center_id}|${d.day}`, places: d.capacity, taken: d.booked, booked: d.booked,
    });
    expect(c.taken).toBeLessThanOrEqual(d.capacity);
  }
  const live = await store.db.selectFrom('appointments').selectAll().where('state', 'in', ['held', 'confirmed']).execute();
  const taken = await store.db.selectFrom('slots').selectAll().where('appointment_id', 'is not', null).execute();
  const held = new Map<string, string[]>();
  for (const s of taken) held.set(s.appointment_id!, [...(held.get(s.appointment_id!) ?? []), `${s.center_id}|${s.day}|${s.seq}`]);
  for (const a of live) expect(held.get(a.appointment_id)).toEqual([`${a.center_id}|${a.day}|${a.seq}`]);
  expect(held.size).toBe(live.length);
}

const centerDay = (store: KyselyStore, centerId: string, day: string) =>
  store.db.selectFrom('center_days').selectAll().where('center_id', '=', centerId).where('day', '=', day).executeTakeFirst();

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`appointments on ${dialect.name}`, () => {
    let t: TestStore;
    let store: KyselyStore;
    beforeEach(async () => {
      t = await dialect.open();
      store = t.store;
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('takes the earliest open day, then the centre with the most free places (ties to the earlier candidate), then the lowest free place', async () => {
      const a = center('A', 2, { opening: 'mon-fri 08:00-13:00' });
      const b = center('B', 3, { opening: 'daily 08:00-13:00' });
      await store.registry.writeCenters('r', [a, b]);
      const holiday = (d: string) => d === MON;
      const got = [];
      for (let i = 0; i < 6; i++) {
        const x = await store.appointments.allocate(request(`over80.invite.c${i}`, [a, b], { isClosedDay: holiday }));
        got.push(`${x.centerId} ${x.day} ${x.seq} ${x.startAt}`);
      }
      // Monday is a holiday. Tuesday: B (3 free) beats A (2); then 2–2 goes to A, the earlier candidate; and so on.
      expect(got).toEqual([
        'B 2021-03-02 0 2021-03-02T08:00:00.000+01:00',
        'A 2021-03-02 0 2021-03-02T08:00:00.000+01:00',
        'B 2021-03-02 1 2021-03-02T08:15:00.000+01:00',
        'A 2021-03-02 1 2021-03-02T08:15:00.000+01:00',
        'B 2021-03-02 2 2021-03-02T08:30:00.000+01:00',
        'B 2021-03-03 0 2021-03-03T08:00:00.000+01:00',
      ]);
      await expectConsistent(store);
    });

    it('gives no appointment on a closed day or a weekday every candidate is closed, and NO_SLOT when the range has none', async () => {
      const a = center('A', 5, { opening: 'mon-fri 08:00-13:00' });
      await store.registry.writeCenters('r', [a]);
      // Saturday and Sunday closed by opening hours, Friday by the campaign.
      await expect(store.appointments.allocate(request('over80.invite.c1', [a], { fromDay: FRI, toDay: SUN, isClosedDay: (d) => d === FRI }))).rejects.toMatchObject({ code: 'NO_SLOT' });
      await expect(store.appointments.allocate(request('over80.invite.c1', [], {}))).rejects.toMatchObject({ code: 'NO_SLOT' });
      expect(await store.db.selectFrom('center_days').selectAll().execute()).toEqual([]);
      expect(await store.appointments.appointment('over80.invite.c1')).toBeNull();
    });

    it('allocating the same appointment again returns the slot it holds and takes no second one', async () => {
      const a = center('A', 5);
      await store.registry.writeCenters('r', [a]);
      const first = await store.appointments.allocate(request('over80.invite.c1', [a]));
      const again = await store.appointments.allocate(request('over80.invite.c1', [a], { fromDay: WED }));
      expect(again).toEqual(first);
      expect(await centerDay(store, 'A', MON)).toMatchObject({ capacity: 5, booked: 1 });
      await expectConsistent(store);
    });

    it('a released slot is taken by the next citizen (lowest free place first), and releasing twice frees it once', async () => {
      const a = center('A', 3);
      await store.registry.writeCenters('r', [a]);
      for (const c of ['c1', 'c2', 'c3']) await store.appointments.allocate(request(`over80.invite.${c}`, [a]));
      const released = await store.appointments.release('over80.invite.c2', 'declined', AT);
      expect(released).toMatchObject({ state: 'released', seq: 1, day: MON });
      await store.appointments.release('over80.invite.c2', 'declined', AT);
      expect(await centerDay(store, 'A', MON)).toMatchObject({ booked: 2 });
      const next = await store.appointments.allocate(request('over80.invite.c4', [a]));
      expect(next).toMatchObject({ centerId: 'A', day: MON, seq: 1, state: 'held' });
      expect(await centerDay(store, 'A', MON)).toMatchObject({ booked: 3 });
      // Allocating a released appointment again is refused: the desk rebooks instead.
      await expect(store.appointments.allocate(request('over80.invite.c2', [a]))).rejects.toMatchObject({ code: 'APPOINTMENT_STATE' });
      expect(await store.appointments.release('over80.invite.unknown', 'declined', AT)).toBeNull();
      await expectConsistent(store);
    });

    it('confirm moves held to confirmed; a released appointment cannot be confirmed through the store', async () => {
      const a = center('A', 3);
      await store.registry.writeCenters('r', [a]);
      await store.appointments.allocate(request('over80.invite.c1', [a]));
      expect(await store.appointments.confirm('over80.invite.c1', AT)).toMatchObject({ state: 'confirmed' });
      expect(await store.appointments.confirm('over80.invite.c1', AT)).toMatchObject({ state: 'confirmed' });
      await store.appointments.release('over80.invite.c1', 'cancelled', AT);
      await expect(store.appointments.confirm('over80.invite.c1', AT)).rejects.toMatchObject({ code: 'APPOINTMENT_STATE' });
      await expect(store.appointments.confirm('over80.invite.nobody', AT)).rejects.toMatchObject({ code: 'APPOINTMENT_NOT_FOUND' });
    });

    it('rebook moves the appointment and frees the old place in one step; with no free place it changes nothing', async () => {
      const a = center('A', 2);
      const b = center('B', 1, { catchment: ['RM2'] });
      await store.registry.writeCenters('r', [a, b]);
      await store.appointments.allocate(request('over80.invite.c1', [a]));
      await store.appointments.confirm('over80.invite.c1', AT);
      const moved = await store.appointments.rebook('over80.invite.c1', request('x', [b], { fromDay: WED, toDay: WED }));
      expect(moved).toMatchObject({ appointmentId: 'over80.invite.c1', centerId: 'B', day: WED, seq: 0, state: 'confirmed' });
      expect(await centerDay(store, 'A', MON)).toMatchObject({ booked: 0 });
      expect(await centerDay(store, 'B', WED)).toMatchObject({ booked: 1 });
      // B on Wednesday is now full: the desk's second move fails and the appointment stays where it was.
      await store.appointments.allocate(request('over80.invite.c2', [a]));
      await expect(store.appointments.rebook('over80.invite.c2', request('x', [b], { fromDay: WED, toDay: WED }))).rejects.toMatchObject({ code: 'NO_SLOT' });
      expect(await store.appointments.appointment('over80.invite.c2')).toMatchObject({ centerId: 'A', day: MON, seq: 0 });
      expect(await centerDay(store, 'A', MON)).toMatchObject({ booked: 1 });
      await expect(store.appointments.rebook('over80.invite.none', request('x', [a]))).rejects.toMatchObject({ code: 'APPOINTMENT_NOT_FOUND' });
      await expectConsistent(store);
    });

    it('releaseForCitizen frees the appointments from today on and leaves past ones as history', async () => {
      const a = center('A', 5);
      await store.registry.writeCenters('r', [a]);
      await store.appointments.allocate(request('over80.invite.c1', [a], { fromDay: TUE, toDay: TUE }));
      await store.appointments.allocate(request('booster.invite.c1', [a], { campaignId: 'booster', citizenId: 'c1', fromDay: FRI, toDay: FRI }));
      await store.appointments.allocate(request('flu.invite.c1', [a], { campaignId: 'flu', citizenId: 'c1', fromDay: WED, toDay: WED }));
      // 00:30 on Wednesday in Rome is still Tuesday in UTC: Wednesday's appointment is today's, not past.
      const released = await store.appointments.releaseForCitizen('c1', 'opted_out', '2021-03-02T23:30:00.000Z');
      expect(released.map((r) => r.appointmentId).sort()).toEqual(['booster.invite.c1', 'flu.invite.c1']);
      expect(await store.appointments.appointment('over80.invite.c1')).toMatchObject({ state: 'held' });
      await expectConsistent(store);
    });

    it('candidates: the municipality catchment first, then the ASL; the region only when no catchment serves the citizen', async () => {
      await store.registry.writeCenters('r', [
        center('ASL1', 10, { catchment: ['RM1'] }),
        center('MUN1', 10, { catchment: ['Fiumicino'] }),
        center('BOTH', 10, { catchment: ['Fiumicino', 'RM1'] }),
        center('REG1', 10, { catchment: ['VT'], region: 'LAZ' }),
        center('OTHER', 10, { catchment: ['MI'], region: 'LOM' }),
      ]);
      const ids = async (c: { region: string | null; asl: string | null; municipality: string | null }) => (await store.appointments.candidates(c)).map((x) => x.centerId);
      expect(await ids({ region: 'LAZ', asl: 'rm1', municipality: 'fiumicino' })).toEqual(['BOTH', 'MUN1', 'ASL1']);
      expect(await ids({ region: 'LAZ', asl: 'RM1', municipality: 'Roma' })).toEqual(['ASL1', 'BOTH']);
      expect(await ids({ region: 'LAZ', asl: 'RM9', municipality: 'Nowhere' })).toEqual(['ASL1', 'BOTH', 'MUN1', 'REG1']);
      expect(await ids({ region: null, asl: 'RM9', municipality: null })).toEqual([]);
    });

    it('openSlots counts a centre-day not yet made at full capacity, a closed weekday as nothing, a made one as capacity − booked', async () => {
      const a = center('A', 4);
      const b = center('B', 6, { opening: 'mon-fri 08:00-13:00' });
      await store.registry.writeCenters('r', [a, b]);
      expect(await store.appointments.openSlots('all', MON)).toBe(10);
      expect(await store.appointments.openSlots(['A', 'B'], '2021-03-06')).toBe(4);
      await store.appointments.allocate(request('over80.invite.c1', [a]));
      expect(await store.appointments.openSlots(['A'], MON)).toBe(3);
      expect(await store.appointments.openSlots('all', MON)).toBe(9);
      expect(await store.appointments.openSlots([], MON)).toBe(0);
    });

    it('acceptance counts confirmations and declines (not other releases), and the estimate stays within its bounds', async () => {
      const a = center('A', 10);
      await store.registry.writeCenters('r', [a]);
      for (const c of ['c1', 'c2', 'c3', 'c4', 'c5']) await store.appointments.allocate(request(`over80.invite.${c}`, [a]));
      await store.appointments.confirm('over80.invite.c1', AT);
      await store.appointments.confirm('over80.invite.c2', AT);
      await store.appointments.release('over80.invite.c3', 'declined', AT);
      await store.appointments.release('over80.invite.c4', 'undelivered', AT);
      const counts = await store.appointments.acceptance('over80');
      expect(counts).toEqual({ confirmed: 2, declined: 1 });
      expect(await store.appointments.acceptance('other')).toEqual({ confirmed: 0, declined: 0 });
      const settings = { expected: 0.7, min: 0.3, max: 0.95, prior_weight: 2 };
      expect(acceptanceEstimate(settings, counts.confirmed, counts.declined)).toBeCloseTo((1.4 + 2) / 5, 12);
      expect(acceptanceEstimate(settings, 0, 1000)).toBe(0.3);
    });

    describe('through the feedback server', () => {
      const AUTH_TOKEN = 'appointmenttesttoken000000000000';
      let server: RunningHttpServer;
      const a = center('A', 2);
      beforeEach(async () => {
        server = await startHttpServer({ store: store.feedback, authToken: AUTH_TOKEN, port: 0, now: () => new Date(AT) });
        await store.registry.writeCenters('r', [a]);
        await seedCitizens(store, [citizen('c1', '+393331110001'), citizen('c2', '+393331110002'), citizen('c3', '+393331110003')]);
        await seedCampaign(store, 'over80');
        for (const c of ['c1', 'c2']) {
          await seedMessage(store, { campaign: 'over80', citizen: c, state: 'sent', providerId: `SM${c}`, token: `tok${c}` });
          await store.appointments.allocate(request(`over80.invite.${c}`, [a]));
        }
      });
      afterEach(async () => {
        await server.close();
      });
      const status = (sid: string, s: string) => ({
        AccountSid: 'AC00000000000000000000000000000000', ApiVersion: '2010-04-01', From: '+15005550006', To: '+393331110001',
        MessageSid: sid, SmsSid: sid, MessageStatus: s, SmsStatus: s,
      });
      const inbound = (from: string, body: string) => ({
        AccountSid: 'AC00000000000000000000000000000000', ApiVersion: '2010-04-01', MessageSid: 'SMin1', SmsSid: 'SMin1',
        From: from, To: '+15005550006', Body: body, NumMedia: '0', NumSegments: '1', SmsStatus: 'received',
      });
      /** The centre-day is full; the freed place must go to c3. */
      const nextCitizenGetsSeq = async (seq: number) => {
        await expect(store.appointments.allocate(request('over80.invite.c3', [a], { toDay: MON }))).resolves.toMatchObject({ day: MON, seq });
        await expectConsistent(store);
      };

      it('a decline link frees the slot for the next citizen; a later confirm of the same link takes it back only while free', async () => {
        await expect(store.appointments.allocate(request('over80.invite.c3', [a], { toDay: MON }))).rejects.toMatchObject({ code: 'NO_SLOT' });
        const r = await fetch(`${server.url}/r/tokc1/decline`, { method: 'POST' });
        expect(r.status).toBe(200);
        expect(await store.appointments.appointment('over80.invite.c1')).toMatchObject({ state: 'released' });
        expect(await store.db.selectFrom('appointments').select('state_reason').where('appointment_id', '=', 'over80.invite.c1').executeTakeFirst()).toEqual({ state_reason: 'declined' });
        await nextCitizenGetsSeq(0);
        // c1 changes their mind, but the place is c3's now.
        expect((await fetch(`${server.url}/r/tokc1/confirm`, { method: 'POST' })).status).toBe(200);
        expect(await store.appointments.appointment('over80.invite.c1')).toMatchObject({ state: 'released' });
        await expectConsistent(store);
      });

      it('a confirm link confirms the appointment; a change of mind while the place is free takes it back', async () => {
        expect((await fetch(`${server.url}/r/tokc2/confirm`, { method: 'POST' })).status).toBe(200);
        expect(await store.appointments.appointment('over80.invite.c2')).toMatchObject({ state: 'confirmed', seq: 1 });
        expect((await fetch(`${server.url}/r/tokc1/decline`, { method: 'POST' })).status).toBe(200);
        expect((await fetch(`${server.url}/r/tokc1/confirm`, { method: 'POST' })).status).toBe(200);
        expect(await store.appointments.appointment('over80.invite.c1')).toMatchObject({ state: 'confirmed', seq: 0 });
        expect(await centerDay(store, 'A', MON)).toMatchObject({ booked: 2 });
        expect(await store.appointments.acceptance('over80')).toEqual({ confirmed: 2, declined: 0 });
        await expectConsistent(store);
      });

      it('a STOP by SMS frees the slots of the citizens with that phone', async () => {
        const r = await postForm(server.url, '/webhooks/twilio/inbound', inbound('+393331110002', 'STOP'), { authToken: AUTH_TOKEN });
        expect(r.status).toBe(200);
        expect(await store.appointments.appointment('over80.invite.c2')).toMatchObject({ state: 'released' });
        expect(await store.appointments.appointment('over80.invite.c1')).toMatchObject({ state: 'held' });
        await nextCitizenGetsSeq(1);
      });

      it('an unsubscribe link frees the slot', async () => {
        expect((await fetch(`${server.url}/r/tokc1/optout`, { method: 'POST' })).status).toBe(200);
        expect(await store.appointments.appointment('over80.invite.c1')).toMatchObject({ state: 'released' });
        await nextCitizenGetsSeq(0);
      });

      it('an undelivered receipt of the invitation keeps its slot held for the next channel (the pacer frees it when the chain ends: fallback.test.ts); a delivered one too', async () => {
        expect((await postForm(server.url, '/webhooks/twilio/status', status('SMc1', 'delivered'), { authToken: AUTH_TOKEN })).status).toBe(204);
        expect(await store.appointments.appointment('over80.invite.c1')).toMatchObject({ state: 'held' });
        expect((await postForm(server.url, '/webhooks/twilio/status', status('SMc2', 'undelivered'), { authToken: AUTH_TOKEN })).status).toBe(204);
        expect(await store.db.selectFrom('messages').select('state').where('message_id', '=', 'over80.invite.c2').executeTakeFirst()).toEqual({ state: 'undelivered' });
        expect(await store.appointments.appointment('over80.invite.c2')).toMatchObject({ state: 'held' });
        await expect(store.appointments.allocate(request('over80.invite.c3', [a], { toDay: MON }))).rejects.toMatchObject({ code: 'NO_SLOT' });
      });
    });
  });
}

/** Summarises a concurrent run: appointments per state and per centre-day. */
async function filled(store: KyselyStore): Promise<{ appointments: number; perDay: Record<string, number> }> {
  const rows = await store.db.selectFrom('center_days').select(['center_id', 'day', 'booked']).orderBy('center_id').orderBy('day').execute();
  const n = await store.db.selectFrom('appointments').select(sql<number>`count(*)`.as('n')).where('state', '=', 'held').executeTakeFirstOrThrow();
  return { appointments: Number(n.n), perDay: Object.fromEntries(rows.map((r) => [`${r.center_id}|${r.day}`, r.booked])) };
}

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;
const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

// 2 centres × 60 places × 2 days = 240 places for 300 requests: every place taken, none twice.
const FULL = { 'A|2021-03-01': 60, 'A|2021-03-02': 60, 'B|2021-03-01': 60, 'B|2021-03-02': 60 };

describe.skipIf(!postgres.available)('no centre-day overbooked: 300 allocations over 20 PostgreSQL connections at once', () => {
  it('takes every place exactly once and refuses the rest with NO_SLOT', async () => {
    const t = await postgres.open();
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.store.db)).rows[0]!.s;
    const wide = await KyselyStore.open(PG_URL, { pgSchema: schema, poolSize: 20 });
    try {
      const centers = [center('A', 60), center('B', 60)];
      await t.store.registry.writeCenters('r', centers);
      const outcomes = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          wide.appointments.allocate(request(`conc.invite.p${i}`, centers, { toDay: TUE })).then(
            () => 'allocated',
            (e: { code?: string }) => e.code ?? String(e),
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 'allocated')).toHaveLength(240);
      expect(outcomes.filter((o) => o === 'NO_SLOT')).toHaveLength(60);
      expect(await filled(t.store)).toEqual({ appointments: 240, perDay: FULL });
      await expectConsistent(t.store);
    } finally {
      await wide.close();
      await t.dispose();
    }
  });
});

describe.skipIf(!postgres.available)('no centre-day overbooked while places are freed, moved and taken at once (PostgreSQL)', () => {
  it('allocations, releases and rebooks running side by side leave every centre-day consistent', async () => {
    const t = await postgres.open();
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.store.db)).rows[0]!.s;
    const wide = await KyselyStore.open(PG_URL, { pgSchema: schema, poolSize: 20 });
    try {
      const centers = [center('A', 60), center('B', 60)];
      await t.store.registry.writeCenters('r', centers);
      for (let i = 0; i < 100; i++) await t.store.appointments.allocate(request(`mix.invite.old${i}`, centers, { toDay: TUE }));
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 150; i++) {
        work.push(wide.appointments.allocate(request(`mix.invite.new${i}`, centers, { toDay: TUE })).catch((e: { code?: string }) => e.code));
        if (i < 50) work.push(wide.appointments.release(`mix.invite.old${i}`, 'declined', AT));
        if (i >= 50 && i < 70) work.push(wide.appointments.rebook(`mix.invite.old${i}`, request('x', [centers[i % 2]!], { fromDay: TUE, toDay: TUE })).catch((e: { code?: string }) => e.code));
      }
      const outcomes = await Promise.all(work);
      expect(outcomes.filter((o) => o !== 'NO_SLOT' && typeof o === 'string')).toEqual([]);
      await expectConsistent(t.store);
      const live = await t.store.db.selectFrom('appointments').select(sql<number>`count(*)`.as('n')).where('state', 'in', ['held', 'confirmed']).executeTakeFirstOrThrow();
      // 50 of the first 100 were released: at least 100 of the 150 newcomers found a place, never more than the 240 places.
      expect(Number(live.n)).toBeGreaterThanOrEqual(150);
      expect(Number(live.n)).toBeLessThanOrEqual(240);
    } finally {
      await wide.close();
      await t.dispose();
    }
  });
});

function runChild(file: string, prefix: string, count: number): Promise<{ allocated: number; noSlot: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, file, prefix, String(count), MON, TUE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`allocating child exited ${code}: ${err.slice(0, 2000)}`))));
  });
}

describe.skipIf(!built)('no centre-day overbooked: 6 processes allocating on one SQLite file at once', () => {
  it('takes every place exactly once and refuses the rest with NO_SLOT', async () => {
    const t = await sqlite.open();
    try {
      await t.store.registry.writeCenters('r', [center('A', 60), center('B', 60)]);
      const file = t.store.handle.location;
      const results = await Promise.all(Array.from({ length: 6 }, (_, k) => runChild(file, `w${k}p`, 50)));
      expect(results.reduce((s, r) => s + r.allocated, 0)).toBe(240);
      expect(results.reduce((s, r) => s + r.noSlot, 0)).toBe(60);
      expect(await filled(t.store)).toEqual({ appointments: 240, perDay: FULL });
      await expectConsistent(t.store);
    } finally {
      await t.dispose();
    }
  });
});
