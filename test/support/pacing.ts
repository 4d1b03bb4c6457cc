/**
 * Pacing days on a manual clock: the real releaser, store (SQLite) and Redis lock, with the
 * simulator's instantaneous provider taking what is released (at each message's `notBefore`).
 * Ticks every `tickMs` of clock time inside the window, every five minutes outside it.
 */
import { ManualClock } from '../../src/core/clock.js';
import type { ContactLimits } from '../../src/pacer/contact.js';
import { Releaser } from '../../src/pacer/release.js';
import { RedisLock } from '../../src/queues/lock.js';
import { InstantProvider } from '../../src/simulate/engine.js';
import type { KyselyStore } from '../../src/store/index.js';
import { redisConnection } from './dispatch.js';

/** Count per clock time (epoch ms) of a column of a campaign's messages. */
export async function countsBy(store: KyselyStore, campaignId: string, column: 'queued_at' | 'sent_at'): Promise<Map<number, number>> {
  const rows = await store.handle.db
    .selectFrom('messages')
    .select([column, (eb) => eb.fn.countAll().as('n')])
    .where('campaign_id', '=', campaignId)
    .where(column, 'is not', null)
    .groupBy(column)
    .execute();
  return new Map(rows.map((r) => [Date.parse((r as Record<string, string>)[column]!), Number(r.n)]));
}

export interface DayOptions {
  readonly store: KyselyStore;
  readonly prefix: string;
  /** Per-second ceilings of the channels. */
  readonly ceilings: Partial<Record<'sms' | 'email' | 'voice' | 'call', number>>;
  /** [open, close) in clock ms: ticks every `tickMs` inside, every minute outside. */
  readonly window: readonly [number, number];
  readonly tickMs: number;
  readonly from: number;
  readonly to: number;
  /** Called before each tick. */
  readonly before?: (at: number) => Promise<void>;
  /** The clock time at which the leader process dies and another takes over. */
  readonly killLeaderAt?: number;
  /** Contact limits across campaigns (pacer/contact.ts). @defaultValue none: these tests play pacing, several campaigns to one cohort a day */
  readonly contact?: ContactLimits | null;
}

export async function runDays(o: DayOptions): Promise<void> {
  const clock = new ManualClock(o.from);
  const redis = redisConnection()();
  const sink = new InstantProvider(o.store, clock, { sms: null, email: null, voice: null, call: null, whatsapp: null, ...o.ceilings });
  const releaser = (owner: string): Releaser =>
    new Releaser({ store: o.store.dispatch, sink, lock: new RedisLock(redis, o.prefix, owner, 60_000), clock, maxStepMs: o.tickMs, reconcileMs: Number.MAX_SAFE_INTEGER, contact: o.contact ?? null });
  let leader = releaser('leader-1');
  try {
    for (let t = o.from; t < o.to; ) {
      clock.set(t);
      if (t === o.killLeaderAt) {
        // A killed leader gives nothing back and remembers nothing: another process takes over
        // once its lock expires (deleted here rather than waited for).
        for (const k of await redis.keys(`${o.prefix}-leader-*`)) await redis.del(k);
        leader = releaser('leader-2');
      }
      await o.before?.(t);
      await leader.tick();
      t += t >= o.window[0] && t < o.window[1] ? o.tickMs : 300_000;
    }
  } finally {
    await redis.quit();
  }
}
