/** The desk's rules that the store's statements carry out, as pure functions. */
import { describe, expect, it } from 'vitest';
import { ACTIVE_TASK_STATES, ADOPTION, appointmentSteps, barredReason, countSignIn, LIST_ORDER, NEXT_CALL, parseAnswers, placeGone } from '../../src/desk/rules.js';
import type { SlotRequest } from '../../src/pacer/appointments.js';

const attempt = { now: '2026-03-02T10:00:00.000Z', windowStart: '2026-03-02T09:45:00.000Z', maxFailures: 3, lockUntil: '2026-03-02T10:15:00.000Z' };

describe('the next call', () => {
  it('puts callbacks first, then campaign priority, the campaign order and the id; the list goes by campaign first', () => {
    expect(NEXT_CALL.callback).toBe('callback');
    expect(NEXT_CALL.then).toEqual(['priority', 'seq', 'taskId']);
    expect(LIST_ORDER).toEqual(['campaignId', 'priority', 'seq', 'taskId']);
    expect(NEXT_CALL.maxSteps).toBe(200);
  });

  it('adopts a task without its message last in its campaign, at priority 1 when the campaign is unknown; the hopper counts open and leased tasks', () => {
    expect(ADOPTION).toEqual({ defaultPriority: 1, lastSeq: 2 ** 31 - 1 });
    expect(ACTIVE_TASK_STATES).toEqual(['open', 'leased']);
  });

  it('never calls a do-not-call citizen (that reason first) or an opted-out one', () => {
    expect(barredReason({ optedOut: true, doNotCallAt: '2026-03-01T00:00:00.000Z' })).toBe('do_not_call');
    expect(barredReason({ optedOut: true, doNotCallAt: null })).toBe('opted_out');
    expect(barredReason({ optedOut: false, doNotCallAt: null })).toBeNull();
  });
});

describe('sign-in counting', () => {
  it('refuses while a lock is in force, without counting', () => {
    expect(countSignIn({ failures: 3, failedSince: attempt.windowStart, lockedUntil: '2026-03-02T10:05:00.000Z' }, attempt)).toEqual({ allowed: false, lockedUntil: '2026-03-02T10:05:00.000Z' });
  });

  it('counts one more failure inside the window, and the attempt that reaches the limit sets the lock', () => {
    expect(countSignIn({ failures: 1, failedSince: '2026-03-02T09:50:00.000Z', lockedUntil: null }, attempt)).toEqual({ allowed: true, next: { failures: 2, failedSince: '2026-03-02T09:50:00.000Z', lockedUntil: null } });
    expect(countSignIn({ failures: 2, failedSince: '2026-03-02T09:50:00.000Z', lockedUntil: null }, attempt)).toEqual({ allowed: true, next: { failures: 3, failedSince: '2026-03-02T09:50:00.000Z', lockedUntil: attempt.lockUntil } });
  });

  it('starts a fresh count after the window or after a lock that ended', () => {
    const fresh = { allowed: true, next: { failures: 1, failedSince: attempt.now, lockedUntil: null } };
    expect(countSignIn({ failures: 2, failedSince: '2026-03-02T09:00:00.000Z', lockedUntil: null }, attempt)).toEqual(fresh);
    expect(countSignIn({ failures: 3, failedSince: '2026-03-02T09:50:00.000Z', lockedUntil: '2026-03-02T09:59:00.000Z' }, attempt)).toEqual(fresh);
    expect(countSignIn({ failures: 0, failedSince: null, lockedUntil: null }, attempt)).toEqual(fresh);
  });
});

describe("an end of call's appointment", () => {
  const request = { appointmentId: 'a' } as unknown as SlotRequest;
  it('does nothing without an appointment (a campaign without centres)', () => {
    expect(appointmentSteps({ kind: 'confirm', appointmentId: 'a' }, null)).toEqual([]);
    expect(appointmentSteps({ kind: 'release', appointmentId: 'a', reason: 'declined' }, null)).toEqual([]);
  });

  it('releases with the reason; rebooks then confirms; takes a released place back before confirming', () => {
    expect(appointmentSteps({ kind: 'release', appointmentId: 'a', reason: 'moved' }, 'held')).toEqual([{ step: 'release', reason: 'moved' }]);
    expect(appointmentSteps({ kind: 'rebook', appointmentId: 'a', request }, 'held')).toEqual([{ step: 'rebook', request }, { step: 'confirm' }]);
    expect(appointmentSteps({ kind: 'confirm', appointmentId: 'a' }, 'held')).toEqual([{ step: 'confirm' }]);
    expect(appointmentSteps({ kind: 'confirm', appointmentId: 'a' }, 'released')).toEqual([{ step: 'reclaim' }, { step: 'confirm' }]);
    expect(placeGone('a').code).toBe('APPOINTMENT_STATE');
  });
});

describe('recorded answers', () => {
  it('read back as an object, anything else as none', () => {
    expect(parseAnswers('{"q1":"yes"}')).toEqual({ q1: 'yes' });
    expect(parseAnswers(null)).toEqual({});
    expect(parseAnswers('')).toEqual({});
    expect(parseAnswers('[1]')).toEqual({});
    expect(parseAnswers('not json')).toEqual({});
  });
});
