/**
 * A call desk world for tests: centres and citizens in the registry, a launched call campaign
 * whose invitations were released (appointments held) and turned into call tasks by the real
 * call channel, and a desk on a manual clock.
 */
import { CallChannel } from '../../src/channels/call.js';
import { linkToken } from '../../src/campaigns/messages.js';
import { parseCampaign } from '../../src/campaigns/load.js';
import type { Campaign } from '../../src/campaigns/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { Desk } from '../../src/desk/desk.js';
import { launchCampaign } from '../../src/pacer/launch.js';
import type { KyselyStore } from '../../src/store/index.js';
import { CENTER, citizens, releaseNow } from '../support/dispatch.js';

/** Monday 1 March 2021, 10:30 in Rome: inside `mon-sat 09:00-19:00`. */
export const MONDAY = '2021-03-01T09:30:00.000Z';

/** A call campaign; `always`: calls at any hour of any day (for tests that run at the real time). */
export function callCampaign(id: string, extra = '', always = false): Campaign {
  return parseCampaign(
    `id: ${id}
name: "Chiamate"
reference_date: 2021-03-01
cohort:
  age: { min: 60 }
steps:
  - id: invite
    channels: [call]
    template: invite
pacing: { daily_target: 100000000 }
windows: { call: ${always ? 'daily 00:00-24:00' : 'mon-sat 09:00-19:00'} }
holidays: ${always ? 'none' : 'IT'}
${extra}`,
    `${id}.yaml`,
  ).campaign;
}

export interface World {
  readonly campaign: Campaign;
  /** Task ids in the campaign's priority order. */
  readonly tasks: string[];
}

/**
 * `n` citizens (ids `${prefix}00000`…; every fifth speaks German, the rest Italian), a call
 * campaign over them, released and turned into call tasks at `at`.
 */
export async function callWorld(store: KyselyStore, o: { id?: string; n: number; prefix?: string; extra?: string; at?: string; centers?: boolean; always?: boolean }): Promise<World> {
  const at = o.at ?? MONDAY;
  if (o.centers !== false) await store.registry.writeCenters('seed', [CENTER]);
  await store.registry.writeCitizens(`seed-${o.prefix ?? 'P'}`, citizens(o.n, o.n, 0, o.prefix ?? 'P'));
  const campaign = callCampaign(o.id ?? 'calls', o.extra, o.always);
  await launchCampaign(store.dispatch, campaign, 100, at);
  const released = await releaseNow(store, campaign, o.n, (id) => linkToken(id), at);
  const channel = new CallChannel(store.dispatch, () => new Date(at));
  const messages = await store.db.selectFrom('messages').select(['message_id', 'citizen_id', 'seq']).where('campaign_id', '=', campaign.id).orderBy('seq').execute();
  const releasedIds = new Set(released.map((r) => r.messageId));
  const tasks: string[] = [];
  for (const m of messages) {
    if (!releasedIds.has(m.message_id)) continue;
    await channel.send({ messageId: m.message_id, campaignId: campaign.id, citizenId: m.citizen_id, channel: 'call', to: m.citizen_id, language: 'it', text: 'script', optOutUrl: 'http://127.0.0.1:9/x' });
    tasks.push(m.message_id);
  }
  return { campaign, tasks };
}

export function deskAt(store: KyselyStore, at: string = MONDAY): { desk: Desk; clock: ManualClock } {
  const clock = new ManualClock(at);
  return { desk: new Desk({ store: store.desk, clock }), clock };
}

/** The raw row of a task, for before/after comparisons. */
export async function taskRow(store: KyselyStore, taskId: string) {
  return store.db.selectFrom('call_tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
}

export async function attemptCount(store: KyselyStore): Promise<number> {
  const r = await store.db.selectFrom('call_attempts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export const MINUTE = 60_000;
