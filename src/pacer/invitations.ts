/**
 * The release of invitations: which pending citizens go now, by which channel, with which slot.
 * One unit of work per call — the release, the slot allocation and the day's count together.
 */
import type { Campaign } from '../campaigns/schema.js';
import { INELIGIBLE_DETAIL, ineligibility, type Ineligible } from '../cohort/eligibility.js';
import { addTo, groupBy } from '../core/collections.js';
import type { Channel } from '../core/channels.js';
import { type ChannelGate, channelNow } from '../core/reach.js';
import type { CenterInfo } from './appointments.js';
import type { PacerStore, Released, ReleaseContext } from './store.js';

/** What a release knows of now for the choice of channel: the windows, and the operators' room for calls (taken as calls are released). */
export const channelGate = (ctx: ReleaseContext): ChannelGate => ({ isOpen: (ch) => ctx.calendar.isOpen(ch, ctx.now), room: { calls: ctx.callRoom ?? Infinity } });

/**
 * The steps released as invitations, each message with a slot of its own: re-invitations of
 * no-shows (`send: { no_show_after }`) first — few, and waiting since a missed appointment —
 * then the first step.
 */
export const invitationSteps = (campaign: Campaign): Campaign['steps'] => [
  ...campaign.steps.filter((s) => s.send !== undefined && 'no_show_after' in s.send),
  campaign.steps[0]!,
];

/**
 * The next pending invitations in priority order become `queued`, up to `limit`: each with the
 * first channel of its step that reaches the citizen and whose window is open, and a slot at a
 * centre serving the citizen (allocated in the same transaction). Opted-out citizens become
 * `opted_out`, unreachable ones `failed` (NO_CHANNEL), citizens no centre serves `failed`
 * (NO_CENTER); citizens whose centres are full, or who are at their contact limit across campaigns
 * (contact.ts; the store passes over them), stay pending, in their place. The day's released
 * count grows in the same transaction.
 */
export async function releaseInvitations(store: PacerStore, campaign: Campaign, limit: number, ctx: ReleaseContext): Promise<{ released: Released[]; dayReleased: number }> {
  // BEGIN IMMEDIATE on SQLite: the transaction reads before it writes, and workers in other
  // processes write all the time (a deferred one would fail to upgrade its lock).
  return store.transaction(async (tx) => {
    const released: Released[] = [];
    for (const step of invitationSteps(campaign)) {
      const room = limit - released.length;
      if (room <= 0) break;
      // Citizens whose channel is closed now or whose centres are full keep their place, so
      // read a little beyond the limit to fill it from those behind them.
      const rows = await tx.messages.pendingInvitations(campaign.id, step.id, room + Math.min(1000, Math.ceil(room / 4) + 20), ctx.contact);
      const queued = new Map<Channel, { id: string; token: string }[]>();
      const optedOut: string[] = [];
      const unreachable: string[] = [];
      const unserved: string[] = [];
      const ineligible = new Map<Exclude<Ineligible, 'opted_out'>, string[]>();
      const gate = channelGate(ctx);
      const from = ctx.calendar.addDays(ctx.day, campaign.appointments.lead_days);
      const to = ctx.calendar.addDays(from, campaign.appointments.horizon_days - 1);
      // Decide each citizen's channel first; then allocate slots per group of citizens with
      // the same candidate centres, in a few statements per group.
      const wanted: { id: string; citizen: string; channel: Channel; centers: CenterInfo[]; key: string }[] = [];
      for (const r of rows) {
        if (wanted.length >= room) break;
        // Still in the cohort as the registry says now (a dose recorded since launch, moved, deceased)?
        const out = ineligibility(campaign, r.eligibility, ctx.day);
        if (r.optOut || out === 'opted_out') {
          optedOut.push(r.messageId);
          continue;
        }
        if (out !== null) {
          addTo(ineligible, out, r.messageId);
          continue;
        }
        const channel = channelNow(step.channels, r, gate);
        if (channel === 'unreachable') unreachable.push(r.messageId);
        if (channel === null || channel === 'unreachable') continue;
        const centers = await tx.appointments.candidates(r);
        if (centers.length === 0) {
          unserved.push(r.messageId);
          continue;
        }
        wanted.push({ id: r.messageId, citizen: r.citizenId, channel, centers, key: centers.map((c) => c.centerId).join('|') });
      }
      for (const group of groupBy(wanted, (w) => w.key).values()) {
        const slots = await tx.appointments.allocateAll(
          group.map((w) => ({
            appointmentId: w.id,
            campaignId: campaign.id,
            citizenId: w.citizen,
            centers: w.centers,
            fromDay: from,
            toDay: to,
            isClosedDay: (d: string) => ctx.calendar.isClosedDay(d),
            timezone: campaign.timezone,
            slotMinutes: campaign.appointments.slot_minutes,
            at: ctx.at,
          })),
        );
        // Without a slot (the centres are full within the horizon) a citizen waits, in their place.
        group.forEach((w, i) => {
          if (slots[i]) addTo(queued, w.channel, { id: w.id, token: ctx.token(w.id) });
        });
      }
      const stepReleased: Released[] = [];
      for (const [channel, items] of queued) {
        for (const id of await tx.messages.queue(channel, items, ctx.at, true)) stepReleased.push({ messageId: id, channel });
      }
      // Messages that will never be sent: opted out, unreachable by the step's channels, or with no centre serving the citizen.
      await tx.messages.finish(optedOut, { state: 'opted_out' }, ctx.at);
      await tx.messages.finish(unreachable, { state: 'failed', code: 'NO_CHANNEL' }, ctx.at);
      await tx.messages.finish(unserved, { state: 'failed', code: 'NO_CENTER' }, ctx.at);
      // No longer in the cohort: cancelled with the rule's reason (they hold no slot yet).
      for (const [reason, ids] of ineligible) await tx.messages.finish(ids, { state: 'cancelled', code: 'NO_LONGER_ELIGIBLE', detail: INELIGIBLE_DETAIL[reason] }, ctx.at);
      // Jobs go out in priority order.
      const order = new Map(rows.map((r, i) => [r.messageId, i]));
      stepReleased.sort((a, b) => order.get(a.messageId)! - order.get(b.messageId)!);
      released.push(...stepReleased);
    }
    const day = await tx.pacing.addReleased(campaign.id, ctx.day, released.length, ctx.at);
    return { released, dayReleased: day ?? released.length };
  });
}
