/**
 * Slots and appointments as the pacer uses them, bound to an executor so a release allocates
 * inside its own unit of work. The allocation itself is store/slots.ts's.
 */
import type { Appointment, CenterInfo, CitizenPlace, SlotRequest } from '../pacer/appointments.js';
import type { Allocation } from '../pacer/store.js';
import type { Dialect } from './open.js';
import { acceptanceCounts, allocateSlots, candidateCenters, openSlotsOn, releaseAppointment } from './slots.js';
import { atomically, type Executor } from './unit-of-work.js';

/** Candidate centres by area, shared by every repository of one store: refreshed after a minute. */
export type CenterCache = Map<string, { at: number; centers: CenterInfo[] }>;

export class AllocationRepository implements Allocation {
  constructor(private readonly ex: Executor, private readonly dialect: Dialect, private readonly centers: CenterCache) {}

  /**
   * Every citizen of an ASL gets the same answer and the release path must not ask per message.
   * Read through this repository's executor (on SQLite a unit of work's connection is its own
   * while it runs).
   */
  async candidates(c: CitizenPlace): Promise<CenterInfo[]> {
    const key = `${c.asl ?? ''}|${c.municipality ?? ''}|${c.region ?? ''}`;
    const hit = this.centers.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.centers;
    if (this.centers.size > 10_000) this.centers.clear();
    const centers = await candidateCenters(this.ex, c);
    this.centers.set(key, { at: Date.now(), centers });
    return centers;
  }

  allocate(requests: readonly SlotRequest[]): Promise<(Appointment | null)[]> {
    return allocateSlots(this.ex, this.dialect, requests);
  }

  async openSlots(regions: readonly string[] | undefined, day: string): Promise<number> {
    let q = this.ex.selectFrom('centers').select('center_id').orderBy('center_id');
    if (regions && regions.length > 0) q = q.where('region', 'in', regions);
    return openSlotsOn(this.ex, (await q.execute()).map((r) => r.center_id), day);
  }

  acceptanceCounts(campaignId: string): Promise<{ confirmed: number; declined: number }> {
    return acceptanceCounts(this.ex, campaignId);
  }

  async liveAppointments(campaignId: string, day: string): Promise<number> {
    const r = await this.ex
      .selectFrom('appointments').select((eb) => eb.fn.countAll().as('n'))
      .where('campaign_id', '=', campaignId).where('state', 'in', ['held', 'confirmed']).where('day', '>=', day).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async releaseSlotsOfFailedInvitations(at: string): Promise<number> {
    const rows = await this.ex
      .selectFrom('appointments as a').innerJoin('messages as m', 'm.message_id', 'a.appointment_id').select('a.appointment_id')
      .where('a.state', '=', 'held').where('m.state', 'in', ['undelivered', 'failed']).limit(10_000).execute();
    for (const r of rows) await atomically(this.ex, this.dialect, (trx) => releaseAppointment(trx, r.appointment_id, 'undelivered', at));
    return rows.length;
  }
}
