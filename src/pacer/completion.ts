/**
 * When a campaign is complete: every member of the cohort has a final outcome — the invitation
 * answered, sent or delivered (and, when later steps follow, its appointment passed), failed for
 * good on every channel, or a closed call task. What still keeps a campaign open is counted by
 * reason, for the pacer (which completes the campaign when every count is zero) and for
 * `invito status` (which shows them), so the two can never disagree.
 */
import type { Campaign } from '../campaigns/schema.js';
import type { Allocation, PacerMessages } from './store.js';

/**
 * Why a campaign is still open, each a count:
 * - `to_release`: messages still pending (not yet released, or waiting for their window or day);
 * - `in_flight`: queued or being sent;
 * - `call_tasks`: call tasks open or leased: an operator still has to call (the desk hands them
 *   out only while the campaign is active, so they must keep it active);
 * - `awaiting_fallback`: invitations that ended undelivered or failed whose next channel is still
 *   to be tried;
 * - `appointments_ahead`: with later steps (reminders, follow-ups), appointments held or
 *   confirmed on or after today: those steps may still be due;
 * - `attendance_unknown`: with a step that re-invites no-shows (`send: { no_show_after }`),
 *   appointments whose day has passed and whose citizen's attendance is not recorded yet, or who
 *   did not come and whose re-invitation is still to be made (`invito import vaccinations` says
 *   who came);
 * - `rolling` (only on a rolling campaign, `rolling: true`): 1, as it looks for newly eligible
 *   members each open day until it is cancelled.
 */
export const OPEN_REASONS = ['to_release', 'in_flight', 'call_tasks', 'awaiting_fallback', 'appointments_ahead', 'attendance_unknown', 'rolling'] as const;
export type OpenReason = (typeof OPEN_REASONS)[number];
export type OpenReasons = Record<Exclude<OpenReason, 'rolling'>, number> & { readonly rolling?: number };

/** Counted up to this many (a campaign with more is open all the same). */
const COUNT_LIMIT = 100_000;

export interface CompletionStore {
  readonly messages: Pick<PacerMessages, 'unfinished' | 'appointmentsWithout'>;
  readonly appointments: Pick<Allocation, 'liveAppointments'>;
}

/** What keeps `campaign` open on local day `day`, by reason (zeros included). */
export async function openReasons(store: CompletionStore, campaign: Campaign, day: string): Promise<OpenReasons> {
  const left = await store.messages.unfinished(campaign.id);
  const ahead = campaign.steps.length > 1 ? await store.appointments.liveAppointments(campaign.id, day) : 0;
  let attendance = 0;
  for (const step of campaign.steps) {
    if (!step.send || !('no_show_after' in step.send)) continue;
    // Before today: held or confirmed (not known yet whether they came) or no_show, without this step's re-invitation yet.
    const before = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    attendance += (await store.messages.appointmentsWithout(campaign.id, step.id, ['held', 'confirmed', 'no_show'], '0000-01-01', before, COUNT_LIMIT)).length;
  }
  return {
    to_release: left.pending,
    in_flight: left.queued + left.sending,
    call_tasks: left.callTasks,
    awaiting_fallback: left.awaitingFallback,
    appointments_ahead: ahead,
    attendance_unknown: attendance,
    ...(campaign.rolling ? { rolling: 1 } : {}),
  };
}

/** Complete: nothing keeps the campaign open. */
export const isComplete = (r: OpenReasons): boolean => OPEN_REASONS.every((k) => (r[k] ?? 0) === 0);

/** The reasons that hold, as `reason count` pairs for a line of text (empty when complete). */
export const describeOpen = (r: OpenReasons): string =>
  OPEN_REASONS.filter((k) => (r[k] ?? 0) > 0)
    .map((k) => `${k.replace(/_/g, ' ')} ${(r[k] ?? 0).toLocaleString('en')}`)
    .join(' · ');
