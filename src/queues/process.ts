/**
 * What a worker does with one job: reload, check, render, claim, send, record.
 *
 * Jobs carry only the message id. BullMQ delivers at least once (a stalled job runs again), so
 * the store decides: only a `queued` message is claimed, the claim happens before the provider
 * call, and a message found already `sending` means an earlier attempt died between the claim
 * and the record — the provider may have taken it, so it becomes `unknown` and is never re-sent.
 */
import { randomUUID } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { contextFor, renderStepMessage } from '../campaigns/messages.js';
import type { Campaign } from '../campaigns/schema.js';
import { storedCampaign } from '../campaigns/stored.js';
import { ineligibility } from '../cohort/eligibility.js';
import { ChannelError, type ChannelAdapter, type OutboundMessage } from '../channels/channel.js';
import type { Channel } from '../core/channels.js';
import { type ErrorCode, isInvitoError } from '../core/errors.js';
import { FAILURES, isFallbackKey } from '../core/lifecycle.js';
import { addressFor } from '../core/reach.js';
import type { TemplateLibrary } from '../messages/index.js';
import { calendarOf } from '../pacer/windows.js';
import type { DispatchStore, MessageForSend } from './store.js';

/** A loaded message with its campaign's definition parsed. */
type Loaded = MessageForSend & { readonly campaign: Campaign };

/** The error brake, from the campaign's `errors` keys. */
export interface ErrorBrake {
  /** Failed share of finished messages above which the campaign pauses itself. */
  readonly share: number;
  /** Finished messages needed before the share is judged. */
  readonly minFinished: number;
}

export interface ProcessorDeps {
  readonly store: DispatchStore;
  readonly channels: Partial<Record<Channel, ChannelAdapter>>;
  readonly library: TemplateLibrary;
  readonly now?: () => Date;
  readonly log?: Logger;
  /** Base of reply links. @defaultValue INVITO_PUBLIC_URL */
  readonly publicUrl?: string;
}


export interface JobInfo {
  readonly messageId: string;
  /** Attempts already made before this one (BullMQ's attemptsMade). */
  readonly attemptsMade: number;
  readonly maxAttempts: number;
  /**
   * Puts the job off until a clock time (epoch ms): the channel's send window is closed now.
   * Without it the message is sent anyway (direct calls in tests of other rules).
   */
  defer?(until: number): Promise<void>;
}

/**
 * How long a channel's window must stay open when a message is handed to its provider: the
 * provider call and its record take time, and on a scaled clock (`--time-scale`) milliseconds are
 * minutes. The margin is at least this, and at least twice the clock time the job has taken so
 * far (loading, rendering and claiming are the measure of how fast this clock runs).
 */
export const SEND_MARGIN_MS = 60_000;

export type Outcome = 'sent' | 'skipped' | 'opted_out' | 'paused' | 'cancelled' | 'unknown' | 'failed' | 'retry' | 'deferred';

export function makeProcessor(deps: ProcessorDeps): (job: JobInfo) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  const iso = (): string => now().toISOString();
  async function checkBrake(campaignId: string, campaign: Campaign): Promise<void> {
    const brake: ErrorBrake = { share: campaign.errors.pause_above, minFinished: campaign.errors.min_finished };
    const { failed, finished } = await deps.store.outcomes(campaignId);
    if (finished >= brake.minFinished && failed / finished > brake.share) {
      const reason = `paused by invito: ${failed} of ${finished} messages failed (${((100 * failed) / finished).toFixed(1)}%, above ${(100 * brake.share).toFixed(0)}%)`;
      await deps.store.setCampaignStatus(campaignId, 'paused', reason, iso());
      deps.log?.warn({ campaign: campaignId, failed, finished }, 'campaign paused: error share above the limit');
    }
  }

  /** `code` is the provider's own when the provider refused the message (see `refuse` for ours). */
  async function fail(m: Loaded, token: string | null, code: string, detail: string): Promise<never> {
    await deps.store.recordFailed(m.messageId, token, code, detail, iso());
    await checkBrake(m.campaignId, m.campaign);
    throw new UnrecoverableError(`${m.messageId}: ${detail}`);
  }
  /** A failure of invito's own, before any provider saw the message: always a code of the catalogue. */
  const refuse = (m: Loaded, code: ErrorCode, detail: string): Promise<never> => fail(m, null, code, detail);

  return async function processJob(job: JobInfo): Promise<Outcome> {
    const row = await deps.store.loadForSend(job.messageId);
    if (!row) return 'skipped';
    const m: Loaded = { ...row, campaign: storedCampaign(row.campaignId, row.definitionText) };
    if (m.state === 'sending') {
      // An earlier attempt claimed it and never recorded the outcome: it may have been sent.
      await deps.store.markUnknown(m.messageId, 'a worker stopped between claiming the message and recording the provider answer', iso());
      deps.log?.warn({ message: m.messageId }, 'ambiguous send marked unknown');
      return 'unknown';
    }
    if (m.state !== 'queued') return 'skipped';
    if (m.campaignStatus === 'paused') return (await deps.store.transition(m.messageId, ['queued'], 'pending', iso())) ? 'paused' : 'skipped';
    if (m.campaignStatus === 'cancelled') return (await deps.store.transition(m.messageId, ['queued'], 'cancelled', iso())) ? 'cancelled' : 'skipped';
    if (m.citizen.opt_out) return (await deps.store.transition(m.messageId, ['queued'], 'opted_out', iso())) ? 'opted_out' : 'skipped';

    const channel = m.channel;
    const adapter = channel ? deps.channels[channel] : undefined;
    if (!channel || !adapter) return refuse(m, 'NO_CHANNEL', `no ${channel ?? ''} channel is configured in this worker`);
    const to = addressFor(channel, { ...m.citizen, phoneType: m.phoneType });
    if (!to) return refuse(m, 'NOT_REACHABLE', `the citizen has no ${channel === 'email' ? 'email address' : channel === 'sms' ? 'phone that takes texts' : channel === 'whatsapp' ? 'WhatsApp consent or mobile phone' : 'phone'} any more`);

    const step = m.campaign.steps.find((s) => s.id === m.stepId);
    if (!step) return refuse(m, 'NO_STEP', `campaign ${m.campaignId} has no step ${m.stepId}`);
    if (!m.appointment) return refuse(m, 'NO_APPOINTMENT', FAILURES.NO_APPOINTMENT);
    // A reminder, follow-up or fallback attempt whose appointment was given up since it was released.
    if (m.appointment.state === 'released' && (step !== m.campaign.steps[0] || isFallbackKey(m.messageId))) {
      return (await deps.store.transition(m.messageId, ['queued'], 'cancelled', iso())) ? 'cancelled' : 'skipped';
    }
    const calendar = calendarOf(m.campaign);
    const nowMs = now().getTime();
    /** Puts the job off to the window's next opening from `from` (a message whose window never opens again fails). */
    const deferFrom = async (defer: NonNullable<JobInfo['defer']>, from: number): Promise<Outcome> => {
      const next = calendar.nextOpen(channel, from);
      if (next === null) return refuse(m, 'NO_WINDOW', `the ${channel} window of campaign ${m.campaignId} never opens`);
      await defer(next);
      return 'deferred';
    };
    // Nothing goes out outside its window: a retry or a late job waits for the next one.
    if (job.defer && !calendar.isOpen(channel, nowMs)) return deferFrom(job.defer, nowMs);
    const center = m.appointment.center;
    const start = m.appointment.start;
    const asOf = calendar.localDay(nowMs);
    let outbound: OutboundMessage;
    try {
      const context = contextFor({
        campaign: m.campaign,
        stepId: m.stepId,
        citizen: m.citizen,
        center,
        start,
        asOf,
        ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
        // The token the store knows, so a link always finds its message whoever released it.
        ...(m.linkToken ? { token: m.linkToken } : {}),
      });
      const r = renderStepMessage(deps.library, m.campaign, step, channel, context);
      outbound = {
        messageId: m.messageId,
        campaignId: m.campaignId,
        citizenId: m.citizen.citizen_id,
        channel,
        to,
        language: r.language,
        text: r.text,
        ...(r.channel === 'email' ? { subject: r.subject, html: r.html } : {}),
        ...(r.channel === 'whatsapp' ? { content: { contentSid: r.content.contentSid, variables: r.content.variables } } : {}),
        optOutUrl: context.links.optout,
      };
    } catch (e) {
      if (isInvitoError(e)) return refuse(m, e.code, e.message);
      throw e;
    }

    // The last check before the claim and the provider call: the citizen must still belong to the
    // campaign's cohort as the registry says now (a dose recorded since the release, moved,
    // deceased); if not, the message is cancelled, its slot freed, its reminders and call task ended.
    const out = ineligibility(m.campaign, m.eligibility, asOf);
    if (out !== null) {
      const ended = await deps.store.endIneligible(m.campaignId, [{ citizenId: m.citizen.citizen_id, reason: out }], asOf, iso());
      deps.log?.info({ message: m.messageId, reason: out }, 'citizen no longer in the cohort: message not sent');
      return ended > 0 ? (out === 'opted_out' ? 'opted_out' : 'cancelled') : 'skipped';
    }

    const token = randomUUID();
    if (!(await deps.store.claim(m.messageId, token, iso()))) {
      // Either someone else has it, or the citizen said stop since we loaded the message.
      const again = await deps.store.loadForSend(m.messageId);
      if (again?.state === 'queued' && again.citizen.opt_out) {
        return (await deps.store.transition(m.messageId, ['queued'], 'opted_out', iso())) ? 'opted_out' : 'skipped';
      }
      return 'skipped';
    }
    if (job.defer) {
      // The window again, right before the provider call: nothing may reach a provider after the
      // close, however long the render and the claim took on this clock.
      const at = now().getTime();
      if (!calendar.openFor(channel, at, Math.max(SEND_MARGIN_MS, 2 * (at - nowMs)))) {
        await deps.store.unclaim(m.messageId, token, iso());
        return deferFrom(job.defer, at + SEND_MARGIN_MS);
      }
    }
    let providerId: string;
    try {
      ({ providerId } = await adapter.send(outbound));
    } catch (e) {
      if (!(e instanceof ChannelError)) {
        await deps.store.markUnknown(m.messageId, `unexpected error during the send: ${(e as Error).message}`, iso());
        return 'unknown';
      }
      if (e.kind === 'ambiguous') {
        await deps.store.markUnknown(m.messageId, e.message, iso());
        deps.log?.warn({ message: m.messageId, code: e.providerCode }, 'ambiguous send marked unknown');
        return 'unknown';
      }
      if (e.kind === 'permanent' || job.attemptsMade + 1 >= job.maxAttempts) return fail(m, token, e.providerCode, e.message);
      await deps.store.unclaim(m.messageId, token, iso());
      throw e; // BullMQ retries with backoff
    }
    await deps.store.recordSent(m.messageId, token, providerId, iso());
    return 'sent';
  };
}
