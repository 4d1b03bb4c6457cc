/**
 * The layout of a centre-day's places and the acceptance estimate: pure arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { acceptanceEstimate, appointmentWindow, slotStarts } from '../../src/pacer/slots.js';
import { type OpeningRule, parseOpening } from '../../src/registry/opening.js';

const rules = (text: string): OpeningRule[] => {
  const p = parseOpening(text);
  if (!p.ok) throw new Error(p.reason);
  return p.value;
};

const count = (starts: string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const s of starts) out[s] = (out[s] ?? 0) + 1;
  return out;
};

describe('slotStarts', () => {
  it('gives exactly capacity places, in time order, spread over both opening ranges in slot buckets', () => {
    // Monday 1 March 2021: 08:00-09:00 and 14:00-15:00 are four half-hour buckets; 8 places, 2 each.
    const starts = slotStarts(rules('mon-fri 08:00-09:00 14:00-15:00; sat 08:00-13:00'), 8, '2021-03-01', 'Europe/Rome', 30);
    expect(starts).toHaveLength(8);
    expect(count(starts)).toEqual({
      '2021-03-01T08:00:00.000+01:00': 2,
      '2021-03-01T08:30:00.000+01:00': 2,
      '2021-03-01T14:00:00.000+01:00': 2,
      '2021-03-01T14:30:00.000+01:00': 2,
    });
    expect([...starts].sort()).toEqual(starts);
  });

  it('gives the remainder to the first buckets of the day', () => {
    const starts = slotStarts(rules('daily 08:00-09:00'), 7, '2021-03-01', 'Europe/Rome', 15);
    expect(Object.values(count(starts))).toEqual([2, 2, 2, 1]);
    expect(starts[0]).toBe('2021-03-01T08:00:00.000+01:00');
    expect(starts[6]).toBe('2021-03-01T08:45:00.000+01:00');
  });

  it('uses only the buckets it needs when the capacity is smaller than the buckets', () => {
    const starts = slotStarts(rules('daily 08:00-20:00'), 3, '2021-03-01', 'Europe/Rome', 15);
    expect(starts).toEqual(['2021-03-01T08:00:00.000+01:00', '2021-03-01T08:15:00.000+01:00', '2021-03-01T08:30:00.000+01:00']);
  });

  it('gives no places on a weekday the centre is closed (Sunday for mon-sat)', () => {
    expect(slotStarts(rules('mon-sat 08:00-20:00'), 375, '2021-03-07', 'Europe/Rome', 15)).toEqual([]);
    expect(slotStarts(rules('mon-sat 08:00-20:00'), 375, '2021-03-06', 'Europe/Rome', 15)).toHaveLength(375);
  });

  it('carries the summer offset from the spring-forward day on, and the winter one the day before', () => {
    const before = slotStarts(rules('daily 09:00-10:00'), 1, '2021-03-27', 'Europe/Rome', 60);
    const change = slotStarts(rules('daily 09:00-10:00'), 1, '2021-03-28', 'Europe/Rome', 60);
    expect(before).toEqual(['2021-03-27T09:00:00.000+01:00']);
    expect(change).toEqual(['2021-03-28T09:00:00.000+02:00']);
    const autumn = slotStarts(rules('daily 09:00-10:00'), 1, '2021-10-31', 'Europe/Rome', 60);
    expect(autumn).toEqual(['2021-10-31T09:00:00.000+01:00']);
  });

  it('a range across the spring-forward hour has one hour fewer of buckets, and every start is a real instant', () => {
    // 01:00-04:00 on 28 March 2021 in Rome lasts two real hours: 02:00-03:00 does not exist.
    const starts = slotStarts(rules('daily 01:00-04:00'), 2, '2021-03-28', 'Europe/Rome', 60);
    expect(starts).toEqual(['2021-03-28T01:00:00.000+01:00', '2021-03-28T03:00:00.000+02:00']);
    const all = slotStarts(rules('daily 01:00-04:00'), 10, '2021-03-28', 'Europe/Rome', 60);
    expect(new Set(all).size).toBe(2);
  });

  it('a range across the fall-back hour has one hour more of buckets, the repeated hour with both offsets', () => {
    const starts = slotStarts(rules('daily 01:00-04:00'), 4, '2021-10-31', 'Europe/Rome', 60);
    expect(starts).toEqual([
      '2021-10-31T01:00:00.000+02:00',
      '2021-10-31T02:00:00.000+02:00',
      '2021-10-31T02:00:00.000+01:00',
      '2021-10-31T03:00:00.000+01:00',
    ]);
  });

  it('refuses a day that is not a date, an unknown time zone or a fractional capacity (USAGE)', () => {
    const r = rules('daily 08:00-20:00');
    expect(() => slotStarts(r, 10, '2021-02-30', 'Europe/Rome', 15)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => slotStarts(r, 10, '2021-03-01', 'Mars/Olympus', 15)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => slotStarts(r, 1.5, '2021-03-01', 'Europe/Rome', 15)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('acceptanceEstimate', () => {
  const a = { expected: 0.7, min: 0.3, max: 0.95, prior_weight: 200 };

  it('is the prior before any answer', () => {
    expect(acceptanceEstimate(a, 0, 0)).toBeCloseTo(0.7, 12);
  });

  it('blends the prior (worth prior_weight answers) with the answers recorded', () => {
    // (0.7·200 + 100) / (200 + 100 + 100) = 240 / 400
    expect(acceptanceEstimate(a, 100, 100)).toBeCloseTo(0.6, 12);
  });

  it('never goes below min however many decline, nor above max however many confirm', () => {
    expect(acceptanceEstimate(a, 0, 100_000)).toBe(0.3);
    expect(acceptanceEstimate(a, 100_000, 0)).toBe(0.95);
  });
});

describe('appointmentWindow', () => {
  it('starts lead_days after today and spans horizon_days days, across month ends', () => {
    expect(appointmentWindow('2021-03-01', { lead_days: 2, horizon_days: 28 })).toEqual({ fromDay: '2021-03-03', toDay: '2021-03-30' });
    expect(appointmentWindow('2021-02-27', { lead_days: 0, horizon_days: 3 })).toEqual({ fromDay: '2021-02-27', toDay: '2021-03-01' });
    expect(() => appointmentWindow('1 March', { lead_days: 0, horizon_days: 3 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
