/**
 * `invito simulate`: a campaign played day by day on a virtual clock, with no waiting and no
 * Redis. It runs the real pacer (the same releaser, quota, send windows, slot allocation,
 * reminders and follow-ups) over a scratch copy of the cohort and the centres, with an
 * instantaneous provider standing in for the queues and citizens who answer by a seeded draw:
 * so its counts are what an accelerated real run of the campaign does.
 *
 * The citizens' model (documented in docs/ARCHITECTURE.md): each invited citizen, drawn once
 * from the seed and their id, confirms with probability `acceptance`, declines with
 * `decline × (1 − acceptance)`, else never answers; an answer comes `answerAfterMs` after the
 * invitation was sent.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Campaign } from '../campaigns/schema.js';
import { cohortQuery } from '../cohort/criteria.js';
import { ManualClock } from '../core/clock.js';
import type { Channel } from '../core/channels.js';
import { launchCampaign } from '../pacer/launch.js';
import { Releaser, type ReleaseSink, soleLeader } from '../pacer/release.js';
import type { Released } from '../pacer/store.js';
import { SendCalendar } from '../pacer/windows.js';
import type { CenterRecord, CitizenRecord } from '../registry/store.js';
import { parseMessageKey } from '../core/lifecycle.js';
import { KyselyStore } from '../store/index.js';
import { KyselySimulationStore } from '../store/simulation.js';
import type { SimulationStore } from './store.js';

export interface SimulateOptions {
  /** The store holding the registry (read only). */
  readonly source: KyselyStore;
  readonly campaign: Campaign;
  readonly days: number;
  /** First local day. @defaultValue the campaign's reference date */
  readonly start?: string;
  /** Share of invited citizens who confirm. @defaultValue `pacing.acceptance.expected` */
  readonly acceptance?: number;
  /** Share of the others who decline (the rest never answer). @defaultValue 0.5 */
  readonly decline?: number;
  /** @defaultValue 1 */
  readonly seed?: number;
  /** Clock time between an invitation and its answer. @defaultValue 3 hours */
  readonly answerAfterMs?: number;
  /** Providers' ceilings, per clock second (null: unlimited). */
  readonly ceilings: Readonly<Record<Channel, number | null>>;
  /** Clock time per tick inside a send window. @defaultValue 60000 */
  readonly tickMs?: number;
}

export interface SimulatedDay {
  readonly date: string;
  /** Invitations sent (released) that day. */
  readonly invitations: number;
  readonly acceptances: number;
  readonly declines: number;
  readonly reminders: number;
  readonly followUps: number;
  /** Appointments held or confirmed on that day (slots used), as the simulation ended. */
  readonly slotsUsed: number;
}

export interface SimulationResult {
  readonly campaign: string;
  readonly cohort: number;
  readonly days: SimulatedDay[];
  readonly totals: Omit<SimulatedDay, 'date'>;
}

/** The citizen's answer, drawn once from the seed and their id (the same in every run). */
export function answerOf(seed: number, citizenId: string, acceptance: number, decline: number): 'confirm' | 'decline' | null {
  const h = createHash('sha256').update(`${seed}:${citizenId}`).digest();
  const u = h.readUInt32BE(0) / 2 ** 32;
  if (u < acceptance) return 'confirm';
  if (u < acceptance + (1 - acceptance) * decline) return 'decline';
  return null;
}

/** A released message's key, read back (the releaser makes every one with `messageKey`). */
function keyOf(messageId: string) {
  const parts = parseMessageKey(messageId);
  if (!parts) throw new Error(`simulate: "${messageId}" is not a message key`);
  return parts;
}

/** Copies the campaign's cohort and every centre into a scratch store, in batches. */
async function copyRegistry(source: SimulationStore, target: KyselyStore, campaign: Campaign): Promise<number> {
  const records: CenterRecord[] = (await source.centers()).map((c, i) => ({ ...c, line: i + 2 }));
  if (records.length > 0) await target.registry.writeCenters('simulate', records);

  const q = cohortQuery(campaign);
  let after = '';
  let n = 0;
  for (;;) {
    const rows = await source.cohortAfter(q, after, 5000);
    if (rows.length === 0) break;
    const batch: CitizenRecord[] = rows.map((r) => ({ ...r, line: ++n + 1 }));
    await target.registry.writeCitizens('simulate', batch);
    after = rows[rows.length - 1]!.citizen_id;
  }
  return n;
}

/**
 * The simulator's provider: takes every released message at once, at its `notBefore` time,
 * through the store's own claim and record (so the states are those of a real send).
 */
export class InstantProvider implements ReleaseSink {
  readonly sent: { messageId: string; at: number }[] = [];
  constructor(
    private readonly store: KyselyStore,
    private readonly clock: ManualClock,
    private readonly ceilings: Readonly<Record<Channel, number | null>>,
  ) {}

  ceiling(channel: Channel): number | null {
    return this.ceilings[channel];
  }

  async backlog(): Promise<number> {
    return 0;
  }

  async add(released: readonly Released[]): Promise<void> {
    for (const r of released) {
      const at = r.notBefore ?? this.clock.now().getTime();
      const iso = new Date(at).toISOString();
      const token = `sim-${r.messageId}`;
      if (!(await this.store.dispatch.claim(r.messageId, token, iso))) continue;
      // A call goes on the operators' list, as the call channel does.
      const { campaignId, citizenId } = keyOf(r.messageId);
      const provider = r.channel === 'call' ? await this.store.dispatch.createCallTask({ messageId: r.messageId, campaignId, citizenId, at: iso }) : token;
      await this.store.dispatch.recordSent(r.messageId, token, provider, iso);
      this.sent.push({ messageId: r.messageId, at });
    }
  }
}

export async function simulate(o: SimulateOptions): Promise<SimulationResult> {
  const c = o.campaign;
  const calendar = new SendCalendar(c);
  const acceptance = o.acceptance ?? c.pacing.acceptance.expected;
  const decline = o.decline ?? 0.5;
  const seed = o.seed ?? 1;
  const answerAfter = o.answerAfterMs ?? 3 * 3_600_000;
  const tickMs = o.tickMs ?? 60_000;
  const first = o.start ?? c.reference_date;
  const end = calendar.dayStart(calendar.addDays(first, o.days));

  const dir = mkdtempSync(join(tmpdir(), 'invito-simulate-'));
  const scratch = await KyselyStore.open(join(dir, 'simulate.db'));
  try {
    const cohort = await copyRegistry(new KyselySimulationStore(o.source.db), scratch, c);
    const clock = new ManualClock(calendar.dayStart(first));
    // Launched the day before, so the first day starts with the cohort selected.
    await launchCampaign(scratch.dispatch, c, 0, new Date(calendar.dayStart(first) - 1).toISOString());
    const provider = new InstantProvider(scratch, clock, o.ceilings);
    const releaser = new Releaser({ store: scratch.dispatch, sink: provider, lock: soleLeader, clock, maxStepMs: tickMs, scheduleEveryMs: tickMs, reconcileMs: Number.MAX_SAFE_INTEGER });

    const invite = c.steps[0]!.id;
    const triggers = new Map(c.steps.slice(1).map((s) => [s.id, s.send && 'before_appointment' in s.send ? 'reminder' : 'followUp'] as const));
    const answers: { at: number; appointmentId: string; kind: 'confirm' | 'decline' }[] = [];
    let answered = 0;
    const counts = new Map<string, { invitations: number; acceptances: number; declines: number; reminders: number; followUps: number }>();
    const count = (at: number) => {
      const day = calendar.localDay(at);
      let e = counts.get(day);
      if (!e) counts.set(day, (e = { invitations: 0, acceptances: 0, declines: 0, reminders: 0, followUps: 0 }));
      return e;
    };
    const channels = [...new Set(c.steps.flatMap((s) => s.channels))];
    const openNow = (t: number): boolean => channels.some((ch) => calendar.isOpen(ch, t));

    let seen = 0;
    for (let t = clock.now().getTime(); t < end; ) {
      clock.set(t);
      // Answers due by now, through the appointment store as the feedback server does. They are
      // queued in send order plus a constant delay, and sends only move forward: already in time order.
      for (; answered < answers.length && answers[answered]!.at <= t; answered++) {
        const a = answers[answered]!;
        const iso = new Date(a.at).toISOString();
        if (a.kind === 'confirm') {
          if (await scratch.appointments.confirm(a.appointmentId, iso).then(() => true, () => false)) count(a.at).acceptances++;
        } else if (await scratch.appointments.release(a.appointmentId, 'declined', iso)) count(a.at).declines++;
      }
      await releaser.tick();
      for (; seen < provider.sent.length; seen++) {
        const s = provider.sent[seen]!;
        const { stepId: step, citizenId } = keyOf(s.messageId);
        if (step === invite) {
          count(s.at).invitations++;
          const kind = answerOf(seed, citizenId, acceptance, decline);
          if (kind) answers.push({ at: s.at + answerAfter, appointmentId: s.messageId, kind });
        } else if (triggers.get(step) === 'reminder') count(s.at).reminders++;
        else if (triggers.get(step) === 'followUp') count(s.at).followUps++;
      }
      t += openNow(t) ? tickMs : 10 * 60_000;
    }

    const slots = await new KyselySimulationStore(scratch.db).slotsUsedByDay();
    const dayOf = (date: string): SimulatedDay => {
      const e = counts.get(date) ?? { invitations: 0, acceptances: 0, declines: 0, reminders: 0, followUps: 0 };
      return { date, ...e, slotsUsed: slots.get(date) ?? 0 };
    };
    const days: SimulatedDay[] = [];
    for (let d = first; calendar.dayStart(d) < end; d = calendar.addDays(d, 1)) days.push(dayOf(d));
    const totals = days.reduce(
      (s, d) => ({ invitations: s.invitations + d.invitations, acceptances: s.acceptances + d.acceptances, declines: s.declines + d.declines, reminders: s.reminders + d.reminders, followUps: s.followUps + d.followUps, slotsUsed: s.slotsUsed + d.slotsUsed }),
      { invitations: 0, acceptances: 0, declines: 0, reminders: 0, followUps: 0, slotsUsed: 0 },
    );
    return { campaign: c.id, cohort, days, totals };
  } finally {
    await scratch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const SIMULATION_COLUMNS = ['date', 'invitations', 'acceptances', 'declines', 'reminders', 'followUps', 'slotsUsed'] as const;

/** The per-day table as CSV rows (no header). */
export const simulationRows = (r: SimulationResult): string[][] => r.days.map((d) => SIMULATION_COLUMNS.map((k) => String(d[k])));
