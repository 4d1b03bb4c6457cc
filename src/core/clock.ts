/**
 * Time, taken from a clock rather than from `Date.now()`, so a campaign can run K times faster
 * (`--time-scale K`: a day in a minute and a half at K = 1000) and a simulation can run with no
 * waiting at all. Everything that decides *when* (the pacer, the send windows, reminders,
 * leases, "today") asks its clock; durations given to the outside world in real milliseconds
 * (BullMQ delays, timers) go through `toReal`.
 */

export interface Clock {
  /** The current (virtual) time. */
  now(): Date;
  /** Real milliseconds that `virtualMs` of clock time take. */
  toReal(virtualMs: number): number;
  /** How many times faster than real time the clock runs (1 for the system clock, Infinity for a manual one). */
  readonly scale: number;
}

export const systemClock: Clock = {
  now: () => new Date(),
  toReal: (ms) => ms,
  scale: 1,
};

/**
 * A clock running `scale` times faster than real time from an anchor: virtual time
 * `virtualStart` at real time `realStart`. Processes that share the anchor (see `clockAnchor`)
 * agree on the time.
 */
export function scaledClock(scale: number, virtualStart: number, realStart: number = Date.now()): Clock {
  if (!(scale >= 1) || !Number.isFinite(scale)) throw new RangeError(`time scale must be a finite number ≥ 1, not ${scale}`);
  return {
    now: () => new Date(virtualStart + (Date.now() - realStart) * scale),
    toReal: (ms) => ms / scale,
    scale,
  };
}

/**
 * A scaled clock that stands still at `virtualStart` until `start()`, then runs like
 * `scaledClock`. The demo builds its server and worker on it: at 50,000× every real
 * millisecond of setting up would otherwise be almost a minute of the day it plays.
 */
export function heldClock(scale: number, virtualStart: number): Clock & { start(): void } {
  let running: Clock | null = null;
  const held = scaledClock(scale, virtualStart);
  return {
    now: () => (running ? running.now() : new Date(virtualStart)),
    toReal: held.toReal,
    scale: held.scale,
    start: () => {
      running ??= scaledClock(scale, virtualStart);
    },
  };
}

/** A clock that moves only when told: simulations and tests. */
export class ManualClock implements Clock {
  readonly scale = Infinity;
  private t: number;
  constructor(start: Date | string | number) {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  toReal(): number {
    return 0;
  }
  set(at: Date | string | number): void {
    this.t = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The shared anchor of a scaled clock, as kept in Redis so every process agrees. */
export interface ClockAnchor {
  readonly scale: number;
  readonly virtualStart: number;
  readonly realStart: number;
}

export const encodeAnchor = (a: ClockAnchor): string => `${a.scale}:${a.virtualStart}:${a.realStart}`;

export function decodeAnchor(text: string): ClockAnchor | null {
  const [scale, virtualStart, realStart] = text.split(':').map(Number);
  return scale && Number.isFinite(virtualStart) && Number.isFinite(realStart) ? { scale, virtualStart: virtualStart!, realStart: realStart! } : null;
}
