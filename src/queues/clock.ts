/**
 * The campaign clock shared by every process of an installation. Under `--time-scale K` the
 * first process writes the anchor (virtual start, real start, K) into Redis and the others
 * read it, so workers, the releaser and `serve` agree on what time it is.
 */
import type { Redis } from 'ioredis';
import { type Clock, decodeAnchor, encodeAnchor, scaledClock, systemClock } from '../core/clock.js';
import { InvitoError } from '../core/errors.js';

export const clockKey = (prefix: string): string => `${prefix}-clock`;

/**
 * The clock to run on: the system clock when `scale` is absent and no anchor is stored;
 * otherwise the stored anchor, written first when absent (from `start`, default now).
 */
export async function sharedClock(redis: Redis, prefix: string, scale?: number, start?: string): Promise<Clock> {
  const key = clockKey(prefix);
  if (scale !== undefined && scale !== 1) {
    const virtualStart = start ? Date.parse(start) : Date.now();
    if (!Number.isFinite(virtualStart)) throw new InvitoError('USAGE', `--start must be an ISO date-time, not ${start}`);
    await redis.set(key, encodeAnchor({ scale, virtualStart, realStart: Date.now() }), 'NX');
  }
  const stored = await redis.get(key);
  const anchor = stored ? decodeAnchor(stored) : null;
  if (!anchor) return systemClock;
  if (scale !== undefined && anchor.scale !== scale) {
    throw new InvitoError('USAGE', `this installation already runs at --time-scale ${anchor.scale}; stop its processes and delete ${key} to change it`);
  }
  return scaledClock(anchor.scale, anchor.virtualStart, anchor.realStart);
}
