/**
 * Fallback channels: an attempt that did not reach the citizen (an undelivered or failed
 * invitation, an automated call not answered) is followed by the next channel of its step that
 * reaches the citizen, in that channel's window, with the same appointment — the slot stays
 * held until the chain ends. Each fallback is a new message row (key `campaign.step~channel.citizen`,
 * core/lifecycle.ts `fallbackKey`, so each channel is tried at most once), created here and
 * released by `releaseDue` (reminders.ts) when it comes due. One unit of work per call.
 */
import type { Campaign, CampaignStep } from '../campaigns/schema.js';
import { ineligibility } from '../cohort/eligibility.js';
import { FALLBACK_TRIGGERS, type FallbackTrigger, fallbackKey, fallbackTrigger } from '../core/lifecycle.js';
import { reaches } from '../core/reach.js';
import { holdsSlot } from './allocation.js';
import { invitationSteps } from './invitations.js';
import type { FailedAttempt, FallbackDecision, PacerStore, ReleaseContext } from './store.js';

/** A step's fallback as it applies: the endings that trigger one, and how many a citizen gets at most. */
export interface FallbackRule {
  readonly on: readonly FallbackTrigger[];
  readonly max: number;
}

/** The default for invitations: every ending that reached nobody, up to two more channels. */
export const DEFAULT_FALLBACK: FallbackRule = { on: FALLBACK_TRIGGERS, max: 2 };

/**
 * The fallback rule of a step: its `fallback` key; without one, `DEFAULT_FALLBACK` for
 * invitations (the first step, `no_show_after` re-invitations: they offer a slot the citizen must
 * hear of) and none for reminders and follow-ups (they repeat what an attempt already said).
 * Null when off.
 */
export function fallbackOf(campaign: Campaign, step: CampaignStep): FallbackRule | null {
  const key = step.fallback;
  if (key === false) return null;
  const rule = key ?? (invitationSteps(campaign).includes(step) ? DEFAULT_FALLBACK : null);
  return rule && rule.max > 0 && rule.on.length > 0 ? rule : null;
}

/**
 * Why a chain of attempts ends, as recorded on its last attempt (`messages.fallback_state`;
 * `made` when a fallback follows instead).
 */
export const CHAIN_ENDS = {
  off: 'the step has no fallback',
  not_triggered: "this ending is not one of the step's fallback triggers",
  max: "the step's fallbacks are used up",
  opted_out: 'the citizen opted out',
  ineligible: "the citizen no longer belongs to the campaign's cohort",
  moot: 'the appointment was released or has begun',
  no_channel: "no further channel of the step reaches the citizen before the appointment",
} as const;
export type ChainEnd = keyof typeof CHAIN_ENDS;

/** What follows a failed attempt now: a new attempt (its channel and due time), or the end of the chain. */
export function decideFallback(campaign: Campaign, a: FailedAttempt, ctx: Pick<ReleaseContext, 'calendar' | 'now' | 'day' | 'at'>): FallbackDecision {
  const step = campaign.steps.find((s) => s.id === a.stepId);
  // The slot an ended chain frees: the invitation's, while held (a confirmed one is the citizen's).
  const frees = step !== undefined && invitationSteps(campaign).includes(step) && a.appointment === 'held' ? a.appointmentId : null;
  const end = (reason: ChainEnd): FallbackDecision => ({ failedId: a.messageId, kind: 'ended', reason, freeAppointment: frees });
  const rule = step ? fallbackOf(campaign, step) : null;
  if (!step || !rule) return end('off');
  const trigger = fallbackTrigger(a.channel, a.state, a.errorCode);
  if (trigger === null || !rule.on.includes(trigger)) return end('not_triggered');
  if (a.depth >= rule.max) return end('max');
  if (a.optOut) return end('opted_out');
  if (ineligibility(campaign, a.eligibility, ctx.day) !== null) return end('ineligible');
  const start = a.startAt === null ? null : Date.parse(a.startAt);
  if (!holdsSlot(a.appointment) || start === null || start <= ctx.now) return end('moot');
  // The next channel that reaches the citizen and opens before the appointment; only forward in the list.
  const after = a.channel === null ? 0 : step.channels.indexOf(a.channel) + 1;
  for (const channel of step.channels.slice(after)) {
    if (!reaches(channel, a)) continue;
    const due = ctx.calendar.nextOpen(channel, ctx.now);
    if (due === null || due >= start) continue;
    return {
      failedId: a.messageId,
      kind: 'made',
      attempt: {
        messageId: fallbackKey(a.campaignId, a.stepId, channel, a.citizenId), campaignId: a.campaignId, stepId: a.stepId, citizenId: a.citizenId, seq: a.seq,
        state: 'pending', appointmentId: a.appointmentId, dueAt: new Date(due).toISOString(), errorDetail: null, finalAt: null, at: ctx.at,
        channel, fallbackOf: a.messageId, fallbackDepth: a.depth + 1,
      },
    };
  }
  return end('no_channel');
}

/**
 * Decides the fallback of up to `limit` of the campaign's failed attempts, in one unit of work:
 * new attempts created (due at their channel's next opening), ended chains' slots freed.
 * Returns how many attempts were created.
 */
export async function settleFallbacks(store: PacerStore, campaign: Campaign, limit: number, ctx: ReleaseContext): Promise<{ made: number; ended: number }> {
  return store.transaction(async (tx) => {
    const rows = await tx.messages.failedAttempts(campaign.id, limit);
    if (rows.length === 0) return { made: 0, ended: 0 };
    const decisions = rows.map((r) => decideFallback(campaign, r, ctx));
    const made = await tx.messages.settleFallbacks(decisions, ctx.at);
    return { made, ended: decisions.filter((d) => d.kind === 'ended').length };
  });
}
