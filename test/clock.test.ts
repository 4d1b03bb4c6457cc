import { describe, expect, it } from 'vitest';
import { heldClock } from '../src/core/clock.js';

describe('the held clock (the demo sets up on it)', () => {
  it('stands still at its start until started, then runs scale times faster from that start', async () => {
    const start = Date.parse('2026-12-08T07:59:00Z');
    const clock = heldClock(50_000, start);
    await new Promise((r) => setTimeout(r, 30));
    // Setting up servers takes real time; none of it is taken from the day the demo plays.
    expect(clock.now().getTime()).toBe(start);
    clock.start();
    const t0 = clock.now().getTime();
    expect(t0 - start).toBeLessThan(50_000 * 20);
    await new Promise((r) => setTimeout(r, 30));
    expect(clock.now().getTime() - start).toBeGreaterThanOrEqual(50_000 * 25);
    expect(clock.toReal(50_000)).toBe(1);
  });
});
