/**
 * Reminders before an appointment and follow-ups after silence: which to create and when, and
 * whether one that has come due is still needed. One unit of work per call.
 */
import type { Campaign } from '../campaigns/schema.js';
import { addTo } from '../core/collections.js';
import type { Channel } from '../core/channels.js';
import { messageKey } from '../core/lifecycle.js';
import { channelNow } from '../core/reach.js';
import { HOLDS_SLOT, holdsSlot } from './allocation.js';
import { channelGate } from './invitations.js';
import type { NewMessage, PacerStore, Released, ReleaseContext } from './store.js';

/**
 * When a reminder goes: `days` before the appointment's day at local `at`. When the window is
 * closed then (a Sunday, a holiday), at the same time on the last open day before — the citizen
 * hears before the appointment, not after — else at the next opening if that is still before
 * the appointment; never before now. Null when no window is left before the appointment.
 */
export function reminderTime(ctx: Pick<ReleaseContext, 'calendar' | 'now'>, channel: Channel, day: string, days: number, at: string, start: number): number | null {
  const cal = ctx.calendar;
  const wanted = cal.at(cal.addDays(day, -days), at);
  for (let back = 0; back < 7; back++) {
    const t = cal.at(cal.addDays(day, -days - back), at);
    if (t < ctx.now) break;
    if (cal.isOpen(channel, t) && t < start) return t;
  }
  const next = cal.nextOpen(channel, Math.max(wanted, ctx.now));
  if (next !== null && next < start) return next;
  const now = cal.isOpen(channel, ctx.now) && ctx.now < start ? ctx.now : null;
  return now;
}

/** A follow-up later than this after its invitation says nothing the invitation did not: dropped instead. */
export const MIN_SILENCE_MS = 12 * 3_600_000;

/**
 * When a follow-up goes: `days` after its invitation was sent, while the appointment is still
 * ahead — it says the appointment "is still reserved", so it must reach the citizen before the
 * appointment's day. One that would fall on or after that day moves before it, as a reminder
 * one day before at 10:00 would (reminderTime); it is dropped when that leaves less than
 * `MIN_SILENCE_MS` after the invitation, or no open window before the day. `undefined`: not
 * due yet (its time is still to come and before the appointment).
 */
export function followUpTime(ctx: Pick<ReleaseContext, 'calendar' | 'now'>, channel: Channel, sentAt: number, days: number, day: string): number | null | undefined {
  const cal = ctx.calendar;
  const deadline = cal.at(day, '00:00');
  const wanted = sentAt + days * 86_400_000;
  // In time, and the channel's window opens before the appointment's day: at `days`, or the next opening.
  const open = wanted < deadline ? cal.nextOpen(channel, Math.max(wanted, ctx.now)) : null;
  if (open !== null && open < deadline) return wanted <= ctx.now ? open : undefined;
  const moved = reminderTime(ctx, channel, day, 1, '10:00', deadline);
  return moved !== null && moved >= sentAt + MIN_SILENCE_MS ? moved : null;
}

/**
 * Reminders, follow-ups and fallback attempts due by now become `queued` (`cancelled` when their
 * appointment no longer needs them, `skipped` when none of their channels reaches the citizen; a
 * fallback attempt goes by its own channel, and one that cannot reach the citizen any more ends
 * `failed` NOT_REACHABLE, so its chain goes on to the next channel).
 */
export async function releaseDue(store: PacerStore, campaign: Campaign, limit: number, ctx: ReleaseContext): Promise<Released[]> {
  return store.transaction(async (tx) => {
    // Citizens at their contact limit are passed over by the store; within this batch, one message a citizen.
    const rows = await tx.messages.dueMessages(campaign.id, ctx.at, limit, ctx.contact);
    const batch = new Set<string>();
    const queued = new Map<Channel, string[]>();
    const optedOut: string[] = [];
    const unreachable: string[] = [];
    const lost: string[] = [];
    const moot: string[] = [];
    const gate = channelGate(ctx);
    for (const r of rows) {
      const step = campaign.steps.find((s) => s.id === r.stepId);
      if (r.optOut) {
        optedOut.push(r.messageId);
        continue;
      }
      // A reminder of a released appointment, or a follow-up to someone who has answered since.
      const needed = step?.send && 'before_appointment' in step.send
        ? holdsSlot(r.appointment) && r.startAt !== null && Date.parse(r.startAt) > ctx.now
        : r.appointment === 'held' && r.startAt !== null && Date.parse(r.startAt) > ctx.now;
      if (!step || !needed) {
        moot.push(r.messageId);
        continue;
      }
      const channel = channelNow(r.channel ? [r.channel] : step.channels, r, gate);
      if (channel === 'unreachable') (r.channel ? lost : unreachable).push(r.messageId);
      if (channel === null || channel === 'unreachable') continue;
      if (ctx.contact && batch.has(r.citizenId)) continue;
      batch.add(r.citizenId);
      addTo(queued, channel, r.messageId);
    }
    const released: Released[] = [];
    for (const [channel, ids] of queued) {
      const moved = await tx.messages.queue(channel, ids.map((id) => ({ id, token: ctx.token(id) })), ctx.at, false);
      for (const id of moved) released.push({ messageId: id, channel });
    }
    await tx.messages.finish(optedOut, { state: 'opted_out' }, ctx.at);
    // Nobody can receive it: skipped with the reason, not failed (nothing was tried; the error brake must not count it).
    await tx.messages.finish(unreachable, { state: 'skipped', code: 'NO_CHANNEL' }, ctx.at);
    await tx.messages.finish(lost, { state: 'failed', code: 'NOT_REACHABLE' }, ctx.at);
    await tx.messages.finish(moot, { state: 'cancelled', detail: 'no longer needed: the appointment was released or the citizen answered' }, ctx.at);
    return released;
  });
}

/**
 * Creates the reminders and follow-ups whose trigger has fired; returns how many. Not one unit of
 * work: up to 50,000 rows a step, and each insert stands alone (a message key that exists is
 * left as it is), so holding SQLite's write lock for all of it would only keep the workers'
 * claims and records waiting.
 */
export async function scheduleSteps(store: PacerStore, campaign: Campaign, ctx: ReleaseContext): Promise<number> {
  const invite = campaign.steps[0]!;
  let created = 0;
  for (const step of campaign.steps.slice(1)) {
    const send = step.send;
    if (!send) continue;
    const row = (citizenId: string, seq: number, appointmentId: string): Omit<NewMessage, 'state' | 'dueAt' | 'errorDetail' | 'finalAt'> => ({
      messageId: messageKey(campaign.id, step.id, citizenId), campaignId: campaign.id, stepId: step.id, citizenId, seq, appointmentId, at: ctx.at,
    });
    if ('no_show_after' in send) {
      // A new invitation for each appointment of the campaign that ended no_show `days` ago or
      // more; released with a new slot by the invitations' release (invitations.ts), not due here.
      const rows = await store.messages.appointmentsWithout(campaign.id, step.id, ['no_show'], '0000-01-01', ctx.calendar.addDays(ctx.day, -send.no_show_after.days), 50_000);
      created += await store.messages.insert(
        rows.map((r) => {
          const own = messageKey(campaign.id, step.id, r.citizenId);
          return { ...row(r.citizenId, r.seq, own), state: 'pending', dueAt: null, errorDetail: null, finalAt: null };
        }),
      );
      continue;
    }
    if ('before_appointment' in send) {
      const { days, at } = send.before_appointment;
      // Appointments whose reminder day has come (or is tomorrow, to be ready at the window's
      // start); a few days ahead: a reminder whose day is closed moves to an earlier open day.
      const rows = await store.messages.appointmentsWithout(campaign.id, step.id, HOLDS_SLOT, ctx.day, ctx.calendar.addDays(ctx.day, days + 4), 50_000);
      const channel = step.channels[0]!;
      created += await store.messages.insert(
        rows.map((r) => {
          const due = reminderTime(ctx, channel, r.day, days, at, Date.parse(r.startAt));
          return due !== null
            ? { ...row(r.citizenId, r.seq, r.appointmentId), state: 'pending', dueAt: new Date(due).toISOString(), errorDetail: null, finalAt: null }
            : { ...row(r.citizenId, r.seq, r.appointmentId), state: 'cancelled', dueAt: null, errorDetail: 'no send window before the appointment', finalAt: ctx.at };
        }),
      );
    } else {
      // Invitations whose appointment is still only offered, sent long enough ago or whose
      // appointment is near (a follow-up that would come too late moves before the appointment).
      const days = send.no_answer_after.days;
      const sentBefore = new Date(ctx.now - days * 86_400_000).toISOString();
      const appointmentBy = ctx.calendar.addDays(ctx.day, 2);
      const rows = await store.messages.invitationsWithout(campaign.id, invite.id, step.id, { states: ['sent', 'delivered'], sentBefore, appointmentBy, appointment: 'held' }, 50_000);
      const channel = step.channels[0]!;
      const news: NewMessage[] = [];
      for (const r of rows) {
        const due = followUpTime(ctx, channel, Date.parse(r.sentAt), days, r.day);
        if (due === undefined) continue;
        news.push(due !== null
          ? { ...row(r.citizenId, r.seq, r.appointmentId), state: 'pending', dueAt: new Date(due).toISOString(), errorDetail: null, finalAt: null }
          : { ...row(r.citizenId, r.seq, r.appointmentId), state: 'cancelled', dueAt: null, errorDetail: 'no time for a follow-up before the appointment', finalAt: ctx.at });
      }
      created += await store.messages.insert(news);
    }
  }
  return created;
}
