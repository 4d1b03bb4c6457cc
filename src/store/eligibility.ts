/**
 * Ending the work of citizens who no longer belong to a campaign's cohort (the rule:
 * cohort/eligibility.ts `ineligibility`; who is checked when: the pacer and the worker). One
 * transaction per call: the unsent messages, the slots and the call tasks move together.
 */
import { INELIGIBLE_DETAIL, type Eligibility, type Ineligible } from '../cohort/eligibility.js';
import { FAILURES, UNSENT_STATES } from '../core/lifecycle.js';
import { ACTIVE_TASK_STATES } from '../desk/rules.js';
import { OPT_OUT_RELEASE } from '../feedback/rules.js';
import { HOLDS_SLOT } from '../pacer/allocation.js';
import type { EligibilityCandidate, IneligibleCitizen } from '../pacer/store.js';
import type { Dialect } from './open.js';
import { releaseAppointment } from './slots.js';
import { atomically, type Executor } from './unit-of-work.js';

/** The appointment release reason of a citizen who left the cohort. */
export const NO_LONGER_ELIGIBLE_RELEASE = 'no_longer_eligible';

/** The columns the eligibility rule reads, as `Eligibility`. */
export const eligibilityOf = (r: { doses: number | string; last_dose_date: string | null; region: string | null; deceased: number | string; opt_out: number | string }): Eligibility => ({
  doses: Number(r.doses), lastDoseDate: r.last_dose_date, region: r.region, deceased: Number(r.deceased) === 1, optOut: Number(r.opt_out) === 1,
});

/**
 * Citizens with work still open in the campaign — a message pending or queued, a call task open
 * or leased, an appointment holding a slot on `day` or later — after `after` in id order, with
 * what the eligibility rule reads of them.
 */
export async function eligibilityCandidates(ex: Executor, campaignId: string, day: string, after: string, limit: number): Promise<EligibilityCandidate[]> {
  const open = ex
    .selectFrom('messages').select('citizen_id').where('campaign_id', '=', campaignId).where('state', 'in', UNSENT_STATES)
    .union(ex.selectFrom('call_tasks').select('citizen_id').where('campaign_id', '=', campaignId).where('state', 'in', ACTIVE_TASK_STATES))
    .union(ex.selectFrom('appointments').select('citizen_id').where('campaign_id', '=', campaignId).where('state', 'in', HOLDS_SLOT).where('day', '>=', day));
  const rows = await ex
    .selectFrom(open.as('u'))
    .innerJoin('citizens as c', 'c.citizen_id', 'u.citizen_id')
    .select(['c.citizen_id', 'c.doses', 'c.last_dose_date', 'c.region', 'c.deceased', 'c.opt_out'])
    .where('c.citizen_id', '>', after)
    .orderBy('c.citizen_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ citizenId: r.citizen_id, eligibility: eligibilityOf(r) }));
}

/**
 * Ends the campaign's open work of citizens out of its cohort: their pending and queued messages
 * (any step) become `cancelled` with NO_LONGER_ELIGIBLE and the rule failed (`opted_out` for an
 * opt-out), their appointments holding a slot on `day` or later are released (reason
 * `no_longer_eligible`, or the opt-out's), their open call tasks closed. Returns the messages ended.
 */
export function endIneligible(ex: Executor, dialect: Dialect, campaignId: string, citizens: readonly IneligibleCitizen[], day: string, at: string): Promise<number> {
  if (citizens.length === 0) return Promise.resolve(0);
  return atomically(ex, dialect, async (trx) => {
    let ended = 0;
    const byReason = new Map<Ineligible, string[]>();
    for (const c of citizens) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), c.citizenId]);
    for (const [reason, ids] of byReason) {
      const optedOut = reason === 'opted_out';
      const set = optedOut
        ? { state: 'opted_out' as const }
        : { state: 'cancelled' as const, error_code: 'NO_LONGER_ELIGIBLE', error_detail: INELIGIBLE_DETAIL[reason] ?? FAILURES.NO_LONGER_ELIGIBLE };
      const res = await trx.updateTable('messages').set({ ...set, final_at: at, updated_at: at })
        .where('campaign_id', '=', campaignId).where('citizen_id', 'in', ids).where('state', 'in', UNSENT_STATES).executeTakeFirst();
      ended += Number(res.numUpdatedRows);
      const held = await trx.selectFrom('appointments').select('appointment_id')
        .where('campaign_id', '=', campaignId).where('citizen_id', 'in', ids).where('state', 'in', HOLDS_SLOT).where('day', '>=', day).execute();
      for (const a of held) await releaseAppointment(trx, a.appointment_id, optedOut ? OPT_OUT_RELEASE : NO_LONGER_ELIGIBLE_RELEASE, at);
      await trx.updateTable('call_tasks')
        .set({ state: 'closed', closed_reason: optedOut ? 'opted_out' : 'no_longer_eligible', lease_operator: null, lease_until: null, updated_at: at })
        .where('campaign_id', '=', campaignId).where('citizen_id', 'in', ids).where('state', 'in', ACTIVE_TASK_STATES).execute();
    }
    return ended;
  });
}
