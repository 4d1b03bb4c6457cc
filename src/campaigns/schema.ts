/**
 * The campaign definition (`campaigns/*.yaml`), validated like code: every object is strict,
 * so a misspelt key is an error rather than a silently ignored setting. Later capabilities add
 * keys here (send windows, capacity, reminders); each key is optional or has a stated default.
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { CHANNELS } from '../core/channels.js';
import { daysInMonth } from '../core/calendar.js';
import { REGIONS } from '../registry/regions.js';


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

const code = z.string().regex(/^[A-Z0-9_-]{1,32}$/, { error: 'must be an upper-case code such as HCW' });
const age = z.int({ error: 'must be a whole number of years' }).min(0, { error: 'must be 0 or more' }).max(130, { error: 'must be at most 130' });
const count = z.int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 or more' });

const priorityGroup = z.strictObject({
  code,
  rank: z.int({ error: 'must be a whole number' }).min(1, { error: 'must be 1 or more (1 goes first)' }),
});

const cohort = z
  .strictObject({
    age: z
      .strictObject({ min: age.optional(), max: age.optional() })
      .refine((a) => a.min === undefined || a.max === undefined || a.min <= a.max, { error: 'min must not be greater than max' })
      .optional(),
    priority_groups: z
      .strictObject({
        include: z.array(code).default([]),
        exclude: z.array(code).default([]),
      })
      .optional(),
    regions: z
      .array(z.enum(Object.keys(REGIONS) as [keyof typeof REGIONS], { error: `must be a region code (${Object.keys(REGIONS).join(', ')})` }))
      .optional(),
    doses: z
      .strictObject({ min: count.optional(), max: count.optional() })
      .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, { error: 'min must not be greater than max' })
      .optional(),
  })
  .default({});

const step = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, { error: 'must be lower-case letters, digits and "-"' }),
  channels: z
    .array(z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }))
    .min(1, { error: 'needs at least one channel' })
    .refine((cs) => new Set(cs).size === cs.length, { error: 'lists a channel twice' }),
  template: z.string().regex(/^[a-z0-9-]{1,60}$/, { error: 'must be a template id (a folder name in templates/)' }),
});

export const campaignSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]{1,60}$/, { error: 'must be lower-case letters, digits and "-" (it names queues and jobs)' }),
    name: z.string().min(1, { error: 'must not be empty' }),
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), { error: 'is not an IANA time zone such as Europe/Rome' })
      .default('Europe/Rome'),
    /** Default language of messages when a citizen's language has no template. */
    language: z.string().regex(/^[a-z]{2}$/, { error: 'must be an ISO 639-1 code such as it' }).default('it'),
    reference_date: isoDate,
    priority_groups: z
      .array(priorityGroup)
      .default([])
      .refine((gs) => new Set(gs.map((g) => g.code)).size === gs.length, { error: 'lists a group code twice' }),
    cohort,
    steps: z
      .array(step)
      .min(1, { error: 'needs at least one step' })
      .refine((ss) => new Set(ss.map((s) => s.id)).size === ss.length, { error: 'two steps have the same id' }),
    pacing: z.strictObject({
      daily_target: z.int({ error: 'must be a whole number' }).positive({ error: 'must be greater than 0' }),
    }),
    /** The error brake: a campaign pauses itself when too many of its messages fail. */
    errors: z
      .strictObject({
        /** Failed share of finished messages above which the campaign pauses. */
        pause_above: z.number().gt(0, { error: 'must be greater than 0' }).max(1, { error: 'must be at most 1' }).default(0.25),
        /** Finished messages needed before the share is judged. */
        min_finished: z.int().min(1).default(200),
      })
      .default({ pause_above: 0.25, min_finished: 200 }),
    sms: z
      .strictObject({
        /** Longest SMS allowed, in segments; `validate` renders worst cases against it. */
        max_segments: z.int().min(1).max(10).default(3),
        /** Replace characters that force UCS-2 by GSM-7 look-alikes. */
        transliterate: z.boolean().default(true),
        /** Price of one segment, for the cost forecast in `plan` (currency of the contract). */
        price_per_segment: z.number().nonnegative().default(0.05),
      })
      .default({ max_segments: 3, transliterate: true, price_per_segment: 0.05 }),
  });

export type Campaign = z.output<typeof campaignSchema>;
export type CampaignStep = Campaign['steps'][number];
export type CohortCriteria = Campaign['cohort'];
