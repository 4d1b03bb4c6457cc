/**
 * The campaign definition (`campaigns/*.yaml`), validated like code: every object is strict,
 * so a misspelt key is an error rather than a silently ignored setting. Later capabilities add
 * keys here (send windows, capacity, reminders); each key is optional or has a stated default.
 */
import Holidays from 'date-holidays';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { SCOPE_CODE } from '../authority/access.js';
import type { CohortRules } from '../cohort/criteria.js';
import { CHANNELS } from '../core/channels.js';
import { FALLBACK_TRIGGERS } from '../core/lifecycle.js';
import { daysInMonth } from '../core/calendar.js';
import { parseOpening } from '../registry/opening.js';
import { REGIONS } from '../registry/regions.js';
import { callsSchema } from './schema-desk.js';


const isoDate = z
  .string({ error: 'must be a date YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD' })
  .refine(
    (s) => {
      const [y, m, d] = s.split('-').map(Number) as [number, number, number];
      return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
    },
    { error: 'is not a real calendar date' },
  );

/** Whether date-holidays knows a code (`IT`, `IT-32`); `none` turns holidays off. */
function knownHolidays(code: string): boolean {
  if (code === 'none') return true;
  const [country, state] = code.split('-') as [string, string | undefined];
  const hd = new Holidays();
  if (!(country in (hd.getCountries() ?? {}))) return false;
  return state === undefined || state in (hd.getStates(country) ?? {});
}

/**
 * A whole number within bounds, the bounds in its message. Every number of a campaign has both
 * ends: the pacer and the forecast do arithmetic and loops with them, and a typo such as
 * `horizon_days: 2800` must be refused at its line, not discovered by a worker.
 */
export const wholeNumber = (min: number, max: number, what = 'whole number') =>
  z
    .int({ error: `must be a ${what}` })
    .min(min, { error: `must be at least ${min.toLocaleString('en')}` })
    .max(max, { error: `must be at most ${max.toLocaleString('en')}` });

/** A number (not necessarily whole) within bounds; `above` excludes its lower end. */
export const boundedNumber = (min: number, max: number, { above = false } = {}) =>
  (above ? z.number({ error: 'must be a number' }).gt(min, { error: `must be greater than ${min}` }) : z.number({ error: 'must be a number' }).min(min, { error: `must be at least ${min}` })).max(max, {
    error: `must be at most ${max.toLocaleString('en')}`,
  });

/** Invitations a day, at most: more than Italy's population, so only a typo reaches it. */
export const MAX_DAILY_TARGET = 100_000_000;
/** Dates a list (`closed_dates`, `by_date`) may hold: ten years of days. */
const MAX_DATES = 3660;

const code = z.string().regex(/^[A-Z0-9_-]{1,32}$/, { error: 'must be an upper-case code such as HCW' });
const age = wholeNumber(0, 130, 'whole number of years');
const count = wholeNumber(0, 20);

const priorityGroup = z.strictObject({
  code,
  rank: z.int({ error: 'must be a whole number' }).min(1, { error: 'must be 1 or more (1 goes first)' }).max(1000, { error: 'must be at most 1,000' }),
});

const cohort = z
  .strictObject({
    age: z
      .strictObject({ min: age.optional(), max: age.optional() })
      .refine((a) => a.min === undefined || a.max === undefined || a.min <= a.max, { error: 'min must not be greater than max' })
      .optional(),
    priority_groups: z
      .strictObject({
        include: z.array(code).max(1000, { error: 'lists more than 1,000 groups' }).default([]),
        exclude: z.array(code).max(1000, { error: 'lists more than 1,000 groups' }).default([]),
      })
      .optional(),
    regions: z
      .array(z.enum(Object.keys(REGIONS) as [keyof typeof REGIONS], { error: `is not a region code (${Object.keys(REGIONS).join(', ')})` }))
      .max(100, { error: 'lists more than 100 regions' })
      .optional(),
    doses: z
      .strictObject({ min: count.optional(), max: count.optional() })
      .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, { error: 'min must not be greater than max' })
      .optional(),
    /**
     * Days since the last dose (the registry's `last_dose_date`), on the day of release: second
     * doses and boosters. A citizen with no dose recorded is not in the cohort.
     */
    last_dose: z
      .strictObject({ min_days: wholeNumber(0, 3660, 'whole number of days').optional(), max_days: wholeNumber(0, 3660, 'whole number of days').optional() })
      .refine((d) => d.min_days === undefined || d.max_days === undefined || d.min_days <= d.max_days, { error: 'min_days must not be greater than max_days' })
      .optional(),
  })
  .default({});

/** Opening-hours syntax shared with the centres: `mon-sat 09:00-20:00; sun 10:00-12:00`. */
const hours = z.string().refine((t) => parseOpening(t).ok, { error: 'must be hours such as "mon-sat 09:00-20:00" (see the centres\' opening)' });

/** A local time of day, `HH:MM`. */
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a time HH:MM' });

/**
 * When a step goes out. The first step is the invitation (paced by the daily target, and it
 * carries the appointment); later steps are triggered by the appointment or by silence.
 */
const send = z.union([
  z.strictObject({
    /** A reminder: `days` before the appointment's day, at local time `at` (moved into the send window). */
    before_appointment: z.strictObject({ days: wholeNumber(0, 14, 'whole number of days'), at: timeOfDay.default('10:00') }),
  }),
  z.strictObject({
    /** A follow-up for citizens who neither confirmed nor declined within `days` of the invitation. */
    no_answer_after: z.strictObject({ days: wholeNumber(1, 60, 'whole number of days') }),
  }),
  z.strictObject({
    /**
     * A new invitation, with a new slot, `days` after an appointment that ended `no_show`
     * (`invito import vaccinations` found no dose that day). Released like the first invitation.
     */
    no_show_after: z.strictObject({ days: wholeNumber(0, 60, 'whole number of days') }),
  }),
]);

/** A language tag as campaigns key things by language: `it`, `de`, `pt-br`. */
const languageKey = z.string().regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/, { error: 'must be a language tag such as it, de or pt-br' });
const contentSid = z.string().regex(/^HX[0-9a-f]{32}$/, { error: 'must be a Twilio content template SID (HX and 32 hexadecimal digits)' });

/**
 * How a step speaks WhatsApp (messages/whatsapp.ts): business-initiated messages must use a
 * content template Meta approved, so the step names it, per language, and fills its variables.
 */
const whatsappContent = z.strictObject({
  /** The approved content template: one SID for every language, or one per language (`it: HX…`). */
  content_sid: z.union([
    contentSid,
    z.record(languageKey, contentSid).refine((m) => Object.keys(m).length > 0, { error: 'names no language' }),
  ], { error: 'must be a content template SID (HX…) or one per language (it: HX…)' }),
  /**
   * The template's variables (`{{1}}`, `{{2}}`, …), each a Handlebars expression over the message
   * context, with the templates' helpers. Absent: messages/whatsapp.ts DEFAULT_WHATSAPP_VARIABLES.
   */
  variables: z
    .record(z.string(), z.string().min(1, { error: 'must not be empty' }).max(500, { error: 'must be at most 500 characters' }))
    .refine((vs) => Object.keys(vs).every((k) => /^[1-9][0-9]?$/.test(k)), { error: "are numbered as the template's {{1}}, {{2}}, …: every key must be a variable number such as 1 or 2" })
    .optional(),
});

const step = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, { error: 'must be lower-case letters, digits and "-"' }),
  channels: z
    .array(z.enum(CHANNELS, { error: `is not a channel (${CHANNELS.join(', ')})` }))
    .min(1, { error: 'needs at least one channel' })
    .refine((cs) => new Set(cs).size === cs.length, { error: 'lists a channel twice' }),
  template: z.string().regex(/^[a-z0-9-]{1,60}$/, { error: 'must be a template id (a folder name in templates/)' }),
  send: send.optional(),
  /**
   * Fallback channels: when an attempt ends in one of `on`, the next of `channels` after it that
   * reaches the citizen is tried, in its window, with the same appointment; at most `max`
   * fallbacks a citizen, each channel once. `false` turns it off. Absent: on for invitations (the
   * first step and `no_show_after` re-invitations) with every trigger and `max: 2`, off for
   * reminders and follow-ups (pacer/fallback.ts `fallbackOf`).
   */
  fallback: z
    .union([
      z.literal(false),
      z.strictObject({
        on: z
          .array(z.enum(FALLBACK_TRIGGERS, { error: `is not a fallback trigger (${FALLBACK_TRIGGERS.join(', ')})` }))
          .max(FALLBACK_TRIGGERS.length)
          .default([...FALLBACK_TRIGGERS]),
        max: wholeNumber(0, 3, 'whole number of fallbacks').default(2),
      }),
    ])
    .optional(),
  /** The WhatsApp content template of this step: required when `channels` lists `whatsapp`. */
  whatsapp: whatsappContent.optional(),
}).refine((s) => !s.channels.includes('whatsapp') || s.whatsapp !== undefined, {
  error: 'a step sending by whatsapp needs whatsapp.content_sid (the approved content template)',
  path: ['whatsapp'],
});

/** Send windows per channel, in the campaign's time zone. */
export const DEFAULT_WINDOWS = {
  sms: 'mon-sat 09:00-20:00',
  email: 'mon-sat 09:00-20:00',
  voice: 'mon-sat 09:00-19:00',
  call: 'mon-sat 09:00-19:00',
  whatsapp: 'mon-sat 09:00-20:00',
} as const;

const share = z.number().gt(0, { error: 'must be greater than 0' }).max(1, { error: 'must be at most 1' });

const pacing = z
  .strictObject({
    /** Invitations per day: a number, or `capacity` (the open slots of the target day over the expected acceptance). */
    daily_target: z.union(
      [
        z.int({ error: 'must be a whole number or "capacity"' }).positive({ error: 'must be greater than 0' }).max(MAX_DAILY_TARGET, { error: `must be at most ${MAX_DAILY_TARGET.toLocaleString('en')}` }),
        z.literal('capacity'),
      ],
      { error: 'must be a whole number or "capacity"' },
    ),
    /** Targets for given days, overriding `daily_target` (a replay of real figures, a slow start). */
    by_date: z
      .record(isoDate, wholeNumber(0, MAX_DAILY_TARGET))
      .refine((r) => Object.keys(r).length <= MAX_DATES, { error: `lists more than ${MAX_DATES.toLocaleString('en')} days` })
      .default({}),
    /** A day's shortfall (an outage, ceilings too low) is added to the next open day's target. */
    carry_over: z.boolean().default(true),
    /** Acceptance: the share of invitations confirmed, for `daily_target: capacity` and the forecast. */
    acceptance: z
      .strictObject({
        /** The prior: what is expected before answers come in. */
        expected: share.default(0.7),
        /** Bounds of the estimate learnt from the answers recorded so far. */
        min: share.default(0.3),
        max: share.default(0.95),
        /** Answers (confirmed + declined) the estimate weighs as much as the prior. */
        prior_weight: wholeNumber(1, 1_000_000).default(200),
      })
      .refine((a) => a.min <= a.expected && a.expected <= a.max, { error: 'needs min ≤ expected ≤ max' })
      .default({ expected: 0.7, min: 0.3, max: 0.95, prior_weight: 200 }),
  });

const appointments = z
  .strictObject({
    /** Whole days between the invitation and the appointment, at least. */
    lead_days: wholeNumber(0, 60, 'whole number of days').default(2),
    /** How many days after the lead time a free slot is looked for. */
    horizon_days: wholeNumber(1, 120, 'whole number of days').default(28),
    /** Length of a slot; a centre-day's capacity is spread evenly over its slots. */
    slot_minutes: wholeNumber(5, 240, 'whole number of minutes').default(15),
  })
  .default({ lead_days: 2, horizon_days: 28, slot_minutes: 15 });

const replyWordList = z
  .array(z.string().trim().min(1, { error: 'must not be empty' }).max(40, { error: 'must be at most 40 characters' }))
  .min(1, { error: 'needs at least one word' })
  .max(20, { error: 'lists more than 20 words' });

export const campaignSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]{1,60}$/, { error: 'must be lower-case letters, digits and "-" (it names queues and jobs)' }),
    name: z.string().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }),
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), { error: 'is not an IANA time zone such as Europe/Rome' })
      .default('Europe/Rome'),
    /**
     * Whose campaign it is: region or ASL codes (authority/access.ts). A user sees it when every
     * code is in their scope; without it, only users of the whole installation do.
     */
    scope: z
      .array(z.string().regex(SCOPE_CODE, { error: 'is not a region or ASL code (letters, digits, ".", "_", "-")' }))
      .min(1, { error: 'needs at least one region or ASL code' })
      .max(100, { error: 'lists more than 100 codes' })
      .optional(),
    /** Default language of messages when a citizen's language has no template. */
    language: z.string().regex(/^[a-z]{2}$/, { error: 'must be an ISO 639-1 code such as it' }).default('it'),
    reference_date: isoDate,
    priority_groups: z
      .array(priorityGroup)
      .max(1000, { error: 'lists more than 1,000 groups' })
      .default([])
      .refine((gs) => new Set(gs.map((g) => g.code)).size === gs.length, { error: 'lists a group code twice' }),
    cohort,
    /**
     * A rolling campaign selects its cohort again each open day (ages counted on that day, the
     * days since the last dose too) and adds the newly eligible, in priority order after those
     * already in it; nobody the campaign has invited is added twice. Absent: the cohort is the
     * launch's (ages on `reference_date`).
     */
    rolling: z.boolean().optional(),
    /**
     * Who writes, as messages sign it (`{{campaign.sender}}`): short, since every SMS carries it
     * (`ASL Roma 1`, `Regione Lazio`). Absent: `SSN`.
     */
    sender: z.string().trim().min(1, { error: 'must not be empty' }).max(30, { error: 'must be at most 30 characters (every SMS carries it)' }).optional(),
    steps: z
      .array(step)
      .min(1, { error: 'needs at least one step' })
      .max(20, { error: 'has more than 20 steps' })
      .refine((ss) => new Set(ss.map((s) => s.id)).size === ss.length, { error: 'two steps have the same id' })
      .refine((ss) => ss[0]?.send === undefined, { error: 'the first step is the invitation: it takes no "send" trigger' })
      .refine((ss) => ss.slice(1).every((s) => s.send !== undefined), { error: 'every step after the first needs a "send" trigger (before_appointment, no_answer_after or no_show_after)' }),
    pacing,
    /** Send windows per channel (local time); a channel left out keeps its default. */
    windows: z
      .strictObject({ sms: hours.optional(), email: hours.optional(), voice: hours.optional(), call: hours.optional(), whatsapp: hours.optional() })
      .default({}),
    /** Public holidays (an ISO country code for `date-holidays`, or `none`): nothing is sent on them. */
    holidays: z
      .string()
      .regex(/^([A-Z]{2}(-[A-Z0-9]{1,3})?|none)$/, { error: 'must be a country code such as IT (or a subdivision such as IT-32), or none' })
      .refine(knownHolidays, { error: 'is not a country or subdivision known to date-holidays (IT, IT-32, DE-BY, …)' })
      .default('IT'),
    /** Extra days without sends (local dates). */
    closed_dates: z.array(isoDate).max(MAX_DATES, { error: `lists more than ${MAX_DATES.toLocaleString('en')} days` }).default([]),
    appointments,
    /** The call desk: recycling rules, the script's decision tree, leases (see schema-desk.ts). */
    calls: callsSchema,
    /** The error brake: a campaign pauses itself when too many of its messages fail. */
    errors: z
      .strictObject({
        /** Failed share of finished messages above which the campaign pauses. */
        pause_above: z.number().gt(0, { error: 'must be greater than 0' }).max(1, { error: 'must be at most 1' }).default(0.25),
        /** Finished messages needed before the share is judged. */
        min_finished: wholeNumber(1, 10_000_000).default(200),
      })
      .default({ pause_above: 0.25, min_finished: 200 }),
    /**
     * Contact limits for this campaign's citizens, counted over all campaigns (pacer/contact.ts):
     * they can only lower the installation's (`INVITO_MAX_PER_DAY`, `INVITO_MAX_PER_WEEK`).
     */
    contact: z
      .strictObject({
        max_per_day: wholeNumber(1, 1000, 'whole number of messages').optional(),
        max_per_week: wholeNumber(1, 1000, 'whole number of messages').optional(),
      })
      .optional(),
    /**
     * The words an SMS reply is read with, per language (feedback/replies.ts): each list given
     * replaces that language's default list for its word (confirm, decline, change).
     */
    replies: z
      .record(
        languageKey,
        z.strictObject({
          confirm: replyWordList.optional(),
          decline: replyWordList.optional(),
          change: replyWordList.optional(),
        }),
      )
      .optional(),
    /** The free-phone line, for this campaign's callers (feedback/ivr.ts): how long they wait for an operator before a callback is offered. */
    inbound: z.strictObject({ max_wait_minutes: wholeNumber(1, 120, 'whole number of minutes').default(5) }).optional(),
    sms: z
      .strictObject({
        /** Longest SMS allowed, in segments; `validate` renders worst cases against it. */
        max_segments: wholeNumber(1, 10).default(3),
        /** Replace characters that force UCS-2 by GSM-7 look-alikes. */
        transliterate: z.boolean().default(true),
        /** Price of one segment, for the cost forecast in `plan` (currency of the contract). */
        price_per_segment: boundedNumber(0, 100).default(0.05),
      })
      .default({ max_segments: 3, transliterate: true, price_per_segment: 0.05 }),
  });

/** A type that must be assignable to `Shape`: the schema's output builds on the layers' shapes below it. */
type BuildsOn<T extends Shape, Shape> = T;
export type Campaign = BuildsOn<z.output<typeof campaignSchema>, CohortRules>;
export type CampaignStep = Campaign['steps'][number];
export type CohortCriteria = Campaign['cohort'];
export type StepTrigger = NonNullable<CampaignStep['send']>;
