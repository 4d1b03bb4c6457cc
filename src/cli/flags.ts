/**
 * Numeric command-line flags, each with both bounds: a flag's number sizes loops, timers and
 * queues, so `--concurrency 1e9` or `--watch 1e12` is a usage error (exit 2), not a hung worker.
 */
import { InvitoError } from '../core/errors.js';

/** Releases a second a campaign may be capped at: above every provider's ceiling already. */
export const MAX_RATE = 10_000;
/** How much faster than real time a campaign clock may run (a year in about half a minute). */
export const MAX_TIME_SCALE = 1_000_000;

export interface FlagBounds {
  readonly min: number;
  readonly max: number;
  /** A whole number only. @defaultValue false */
  readonly integer?: boolean;
  /** The lower bound itself is not allowed (`--rate` above 0). @defaultValue false */
  readonly above?: boolean;
}

/** The flag's value as a number within its bounds, or `USAGE` naming the flag and the bounds. */
export function numberFlag(flag: string, value: string, b: FlagBounds): number {
  const text = value.trim();
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
  const fits = Number.isFinite(n) && (b.above ? n > b.min : n >= b.min) && n <= b.max && (!b.integer || Number.isInteger(n));
  if (!fits) {
    const kind = b.integer ? 'a whole number' : 'a number';
    const range = b.above ? `above ${b.min} and at most ${b.max.toLocaleString('en')}` : `from ${b.min.toLocaleString('en')} to ${b.max.toLocaleString('en')}`;
    throw new InvitoError('USAGE', `${flag} must be ${kind} ${range}, not ${JSON.stringify(value.slice(0, 40))}`);
  }
  return n;
}
