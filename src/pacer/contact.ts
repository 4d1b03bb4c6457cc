/**
 * Contact limits across campaigns (issue 12, item 5): a citizen gets at most `perDay` messages a
 * day and `perWeek` in any seven days from all the installation's campaigns together, whatever
 * the channel. The installation sets them (`INVITO_MAX_PER_DAY`, default 1;
 * `INVITO_MAX_PER_WEEK`, default 3); a campaign's `contact:` key can only lower them. A release
 * over the limit stays pending, in its place, until the day it is allowed — the store's release
 * queries pass over such citizens (`ContactWindow`), so those behind them still go.
 *
 * What counts is a released message in `CONTACT_STATES` (core/lifecycle.ts) whose release falls
 * in the window: the local day (the campaign's time zone) and the six days before it. A message
 * that did not reach the citizen does not count, so its fallback may go the same day. Answers to
 * a citizen's own message are not releases and do not count.
 */
import type { Campaign } from '../campaigns/schema.js';
import { InvitoError } from '../core/errors.js';
import type { ContactWindow } from './store.js';
import type { SendCalendar } from './windows.js';

export interface ContactLimits {
  readonly perDay: number;
  readonly perWeek: number;
}

export const DEFAULT_CONTACT_LIMITS: ContactLimits = { perDay: 1, perWeek: 3 };

/** Days the weekly limit looks back over, today included. */
export const WEEK_DAYS = 7;

/** The installation's limits from `INVITO_MAX_PER_DAY` and `INVITO_MAX_PER_WEEK`; CONFIG_INVALID for anything but a whole number ≥ 1. */
export function contactLimits(env: NodeJS.ProcessEnv = process.env): ContactLimits {
  const read = (key: string, fallback: number): number => {
    const v = env[key];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvitoError('CONFIG_INVALID', `${key} must be a whole number of messages from 1 to 1000, not "${v}"`);
    return n;
  };
  const perDay = read('INVITO_MAX_PER_DAY', DEFAULT_CONTACT_LIMITS.perDay);
  const perWeek = read('INVITO_MAX_PER_WEEK', Math.max(DEFAULT_CONTACT_LIMITS.perWeek, perDay));
  if (perWeek < perDay) throw new InvitoError('CONFIG_INVALID', `INVITO_MAX_PER_WEEK (${perWeek}) must not be below INVITO_MAX_PER_DAY (${perDay})`);
  return { perDay, perWeek };
}

/** A campaign's limits: the installation's, lowered by its `contact:` key (never raised). */
export function campaignLimits(installation: ContactLimits, campaign: Pick<Campaign, 'contact'>): ContactLimits {
  const c = campaign.contact;
  return {
    perDay: Math.min(installation.perDay, c?.max_per_day ?? Infinity),
    perWeek: Math.min(installation.perWeek, c?.max_per_week ?? Infinity),
  };
}

/** The window the store's release queries check on `day` (local): since local midnight, and since the midnight six days before. */
export function contactWindow(limits: ContactLimits, calendar: SendCalendar, day: string): ContactWindow {
  return {
    dayStart: new Date(calendar.dayStart(day)).toISOString(),
    weekStart: new Date(calendar.dayStart(calendar.addDays(day, -(WEEK_DAYS - 1)))).toISOString(),
    perDay: limits.perDay,
    perWeek: limits.perWeek,
  };
}
