/**
 * One BullMQ queue per channel, each with a global rate limit — the provider's ceiling,
 * shared by every worker process on every machine (BullMQ keeps it in Redis).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Channel } from '../core/channels.js';
import { CHANNELS } from '../core/channels.js';
import { type Clock, systemClock } from '../core/clock.js';
import { InvitoError } from '../core/errors.js';
import type { ReleaseSink } from '../pacer/release.js';
import type { Released } from '../pacer/store.js';
import { groupBy } from '../core/collections.js';

/** Queue names (BullMQ forbids `:` in names and ids). */
export const queueName = (channel: Channel): string => `invito-${channel}`;

export interface QueueSettings {
  /** Key prefix in Redis, so several installations can share one. @defaultValue invito */
  readonly prefix: string;
  /** Messages per second per channel across all workers; null = no limit. */
  readonly limits: Readonly<Record<Channel, number | null>>;
  /** Attempts per message, the first included. @defaultValue 5 */
  readonly attempts: number;
  /** First retry delay; doubles each attempt, with jitter. @defaultValue 2000 */
  readonly backoffMs: number;
  /**
   * How many times faster than real time the campaign clock runs (`--time-scale`): the
   * ceilings are per clock second, so BullMQ's real-time limits are this many times higher.
   * @defaultValue 1
   */
  readonly timeScale?: number;
}

/**
 * Settings from the environment: `INVITO_QUEUE_PREFIX`, `INVITO_LIMIT_SMS`, `INVITO_LIMIT_EMAIL`,
 * `INVITO_LIMIT_VOICE`, `INVITO_LIMIT_CALL`, `INVITO_LIMIT_WHATSAPP` (per second; 0 or empty =
 * unlimited), `INVITO_ATTEMPTS`, `INVITO_BACKOFF_MS`.
 * @defaultValue sms 100/s (a Twilio long-code service with several senders), email 50/s,
 * voice 10/s, call unlimited (operators pace themselves), whatsapp 80/s (Meta's default
 * throughput for a business phone number)
 */
export function queueSettings(env: NodeJS.ProcessEnv = process.env): QueueSettings {
  const num = (name: string, fallback: number | null): number | null => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvitoError('CONFIG_INVALID', `${name} must be a number ≥ 0, not ${v}`);
    return n === 0 ? null : n;
  };
  return {
    prefix: env.INVITO_QUEUE_PREFIX || 'invito',
    limits: {
      sms: num('INVITO_LIMIT_SMS', 100),
      email: num('INVITO_LIMIT_EMAIL', 50),
      voice: num('INVITO_LIMIT_VOICE', 10),
      call: num('INVITO_LIMIT_CALL', null),
      whatsapp: num('INVITO_LIMIT_WHATSAPP', 80),
    },
    attempts: num('INVITO_ATTEMPTS', 5) ?? 1,
    backoffMs: num('INVITO_BACKOFF_MS', 2000) ?? 0,
  };
}

/**
 * BullMQ's limiter counts jobs in fixed windows (`max` per `duration`), and windows start back
 * to back, so a sliding second can see up to ceil(1000/duration) + 1 windows: with 25 per
 * 1000 ms a provider could see 50 in one second. The ceiling is a hard limit (a provider
 * throttles or fails what goes past it), so the window is chosen so that even that worst case
 * stays within 90% of the ceiling — the 10% left absorbs network jitter between our start and
 * the provider's clock — while keeping the throughput as close to it as the arithmetic allows.
 */
export function rateLimitFor(perSecond: number): { max: number; duration: number } {
  const allowed = Math.max(1, Math.floor(perSecond * 0.9));
  let best = { max: 1, duration: 60_000, rate: 0 };
  for (let duration = 10; duration <= 60_000; duration += duration < 100 ? 1 : duration < 1000 ? 10 : 1000) {
    // With one job per window each job opens its own window, so jobs are `duration` apart.
    const single = Math.floor(999 / duration) + 1;
    if (single <= allowed && 1000 / duration > best.rate) best = { max: 1, duration, rate: 1000 / duration };
    const max = Math.floor(allowed / (Math.ceil(1000 / duration) + 1));
    if (max >= 2 && (max * 1000) / duration > best.rate) best = { max, duration, rate: (max * 1000) / duration };
  }
  return { max: best.max, duration: best.duration };
}

export interface MessageJob {
  readonly messageId: string;
}

export class Queues implements ReleaseSink {
  private readonly queues = new Map<Channel, Queue<MessageJob>>();

  constructor(
    connection: Redis,
    readonly settings: QueueSettings,
    /** The campaign clock, to turn a release's `notBefore` into a real delay. */
    private readonly clock: Clock = systemClock,
    /**
     * Where the queues' connection errors go. BullMQ prints them with console.error, stack and
     * all, when a queue has no listener. @defaultValue nowhere: the connection's owner logs them
     */
    onError: (e: Error) => void = () => {},
  ) {
    for (const ch of CHANNELS) {
      const q = new Queue<MessageJob>(queueName(ch), { connection, prefix: settings.prefix });
      q.on('error', onError);
      this.queues.set(ch, q);
    }
  }

  queue(channel: Channel): Queue<MessageJob> {
    return this.queues.get(channel)!;
  }

  /** The provider's ceiling for a channel, per clock second (null: unlimited). */
  ceiling(channel: Channel): number | null {
    return this.settings.limits[channel];
  }

  /** Writes the configured ceilings into Redis, where every worker reads them. */
  async applyRateLimits(): Promise<void> {
    for (const ch of CHANNELS) {
      const limit = this.settings.limits[ch];
      const q = this.queue(ch);
      if (limit === null) await q.removeGlobalRateLimit();
      else {
        const { max, duration } = rateLimitFor(limit * (this.settings.timeScale ?? 1));
        await q.setGlobalRateLimit(max, duration);
      }
    }
  }

  /** Adds jobs; the job id is the message id, so adding one twice is a no-op while it exists. */
  async add(released: readonly Released[]): Promise<void> {
    const byChannel = groupBy(released, (r) => r.channel);
    for (const [ch, rs] of byChannel) {
      await this.queue(ch).addBulk(
        rs.map((r) => ({
          name: 'send',
          data: { messageId: r.messageId },
          opts: {
            jobId: r.messageId,
            ...(r.notBefore !== undefined ? { delay: Math.max(0, Math.round(this.clock.toReal(r.notBefore - this.clock.now().getTime()))) } : {}),
            attempts: this.settings.attempts,
            backoff: { type: 'exponential', delay: this.settings.backoffMs, jitter: 0.5 },
            // Redis holds only work in flight: the store is the record.
            removeOnComplete: true,
            removeOnFail: true,
          },
        })),
      );
    }
  }

  /** Jobs waiting or delayed across the channels: the backlog the releaser keeps short. */
  async backlog(): Promise<number> {
    let n = 0;
    for (const q of this.queues.values()) n += await q.getJobCountByTypes('waiting', 'delayed', 'prioritized');
    return n;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

/**
 * Job counts of every channel queue under `prefix` (waiting, delayed, active, failed…), for
 * `GET /metrics`; the queues are opened once and read at each call.
 */
export function queueDepths(connection: Redis, prefix: string, onError: (e: Error) => void = () => {}): { read: () => Promise<{ queue: string; counts: Record<string, number> }[]>; close: () => Promise<void> } {
  const queues = CHANNELS.map((channel) => {
    const q = new Queue(queueName(channel), { connection, prefix });
    q.on('error', onError);
    return { channel, q };
  });
  return {
    // Named by channel (`sms`), as the queue's Redis name is the channel's with a fixed prefix.
    read: () => Promise.all(queues.map(async ({ channel, q }) => ({ queue: channel, counts: await q.getJobCounts('waiting', 'delayed', 'active', 'failed', 'prioritized') }))),
    close: async () => {
      await Promise.all(queues.map(({ q }) => q.close()));
    },
  };
}
