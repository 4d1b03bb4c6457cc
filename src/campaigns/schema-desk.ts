/**
 * The `calls` keys of a campaign: how the call desk works its tasks (call windows are in
 * `windows.call`). Owned by the desk; every key has a default so campaigns may leave it out.
 *
 * @example
 * calls:
 *   lease_minutes: 10
 *   recycle:
 *     no_answer: { after_minutes: 120, max_attempts: 4 }
 *   script:
 *     start: identity
 *     nodes:
 *       identity:
 *         question: Am I speaking with the citizen?
 *         answers:
 *           - { id: yes, label: "Yes", next: offer }
 *           - { id: wrong, label: "Wrong number", outcome: wrong_number }
 */
import { z } from 'zod';

/** What a call can end with. `callback` needs a time; `do_not_call` bars the citizen from every campaign's calls. */
export const DISPOSITIONS = [
  'booked',
  'declined',
  'already_vaccinated',
  'no_answer',
  'busy',
  'voicemail',
  'wrong_number',
  'callback',
  'moved',
  'deceased',
  'do_not_call',
] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** Dispositions after which the task is called again later (until its attempts run out). */
export const RECYCLED = ['no_answer', 'busy', 'voicemail'] as const;
export type RecycledDisposition = (typeof RECYCLED)[number];

/**
 * Where a script answer leads when it ends the call: a disposition, or `other_slot` (the citizen
 * wants the vaccine on another day: pick another slot, then it is `booked`).
 */
export const SCRIPT_OUTCOMES = [...DISPOSITIONS, 'other_slot'] as const;
export type ScriptOutcome = (typeof SCRIPT_OUTCOMES)[number];

const nodeId = z.string().regex(/^[a-z0-9_-]{1,40}$/, { error: 'must be lower-case letters, digits, "_" and "-"' });

const answer = z
  .strictObject({
    id: nodeId,
    label: z.string().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }),
    /** The next question. */
    next: nodeId.optional(),
    /** The outcome this answer records (and suggests as the disposition). */
    outcome: z.enum(SCRIPT_OUTCOMES, { error: `must be one of ${SCRIPT_OUTCOMES.join(', ')}` }).optional(),
    /** Flags the task for a health worker (symptoms, worries): the operator writes a triage note. */
    triage: z.boolean().default(false),
  })
  .refine((a) => (a.next === undefined) !== (a.outcome === undefined), { error: 'needs exactly one of "next" or "outcome"' });

const node = z.strictObject({
  question: z.string().min(1, { error: 'must not be empty' }).max(1000, { error: 'must be at most 1,000 characters' }),
  /** What the operator may read or do at this step (shown under the question). */
  hint: z.string().max(2000, { error: 'must be at most 2,000 characters' }).optional(),
  answers: z
    .array(answer)
    .min(1, { error: 'needs at least one answer' })
    .max(20, { error: 'has more than 20 answers' })
    .refine((as) => new Set(as.map((a) => a.id)).size === as.length, { error: 'two answers have the same id' }),
});

/** The default decision tree: identity, already vaccinated, the offer, worries. */
export const DEFAULT_SCRIPT = {
  start: 'identity',
  nodes: {
    identity: {
      question: 'Am I speaking with the citizen?',
      hint: 'Name only. If someone else answers, do not say why you are calling.',
      answers: [
        { id: 'yes', label: 'Yes', next: 'vaccinated' },
        { id: 'not_home', label: 'Someone else; call back later', outcome: 'callback' },
        { id: 'wrong', label: 'Wrong number', outcome: 'wrong_number' },
      ],
    },
    vaccinated: {
      question: 'Have you already been vaccinated in this campaign?',
      answers: [
        { id: 'yes', label: 'Yes', outcome: 'already_vaccinated' },
        { id: 'no', label: 'No', next: 'offer' },
      ],
    },
    offer: {
      question: 'Is the appointment offered convenient?',
      answers: [
        { id: 'yes', label: 'Yes, confirm it', outcome: 'booked' },
        { id: 'other_day', label: 'Yes, but another day', outcome: 'other_slot' },
        { id: 'worried', label: 'Has symptoms or worries', next: 'worries', triage: true },
        { id: 'no', label: 'Does not want it', outcome: 'declined' },
        { id: 'never', label: 'Never call again', outcome: 'do_not_call' },
      ],
    },
    worries: {
      question: 'After hearing the answer to their worry, do they want the appointment?',
      hint: 'Write a triage note: a health worker will call them back. Give no medical advice.',
      answers: [
        { id: 'yes', label: 'Yes, confirm it', outcome: 'booked' },
        { id: 'later', label: 'After talking to a health worker', outcome: 'callback' },
        { id: 'no', label: 'No', outcome: 'declined' },
      ],
    },
  },
} as const;

export const scriptSchema = z
  .strictObject({
    /** The first question. */
    start: nodeId,
    nodes: z.record(nodeId, node).refine((n) => Object.keys(n).length <= 100, { error: 'has more than 100 nodes' }),
  })
  .superRefine((s, ctx) => {
    if (!s.nodes[s.start]) ctx.addIssue({ code: 'custom', path: ['start'], message: `names no node (nodes: ${Object.keys(s.nodes).join(', ')})` });
    for (const [id, n] of Object.entries(s.nodes)) {
      n.answers.forEach((a, i) => {
        if (a.next !== undefined && !s.nodes[a.next]) ctx.addIssue({ code: 'custom', path: ['nodes', id, 'answers', i, 'next'], message: `names no node "${a.next}"` });
      });
    }
  });

const recycleRule = z.strictObject({
  /** Minutes before the citizen is called again. */
  after_minutes: z.int().min(1).max(10080),
  /** Calls at most (this one included); the task then closes as `unreachable`. */
  max_attempts: z.int().min(1).max(50),
});

export const DEFAULT_RECYCLE = {
  no_answer: { after_minutes: 120, max_attempts: 4 },
  busy: { after_minutes: 15, max_attempts: 6 },
  voicemail: { after_minutes: 240, max_attempts: 3 },
} as const;

const callsObject = z.strictObject({
  /** How long a task stays with the operator who took it; then it goes back to the list. */
  lease_minutes: z.int().min(1).max(240).default(10),
  /** Calls one operator completes in an hour: paces the hopper. */
  calls_per_hour: z.number().gt(0).max(120).default(10),
  /** Hours of work the list holds for the operators on shift. */
  hopper_hours: z.number().gt(0).max(24).default(1),
  /** An operator seen within this many minutes is on shift. */
  shift_idle_minutes: z.int().min(1).max(480).default(30),
  /** Campaigns with a lower number are called first (then each campaign's own priority order). */
  priority: z.int().min(1).max(100).default(1),
  /** How far ahead a callback may be set. */
  callback_max_days: z.int().min(1).max(90).default(14),
  /** When to call again after no answer, busy and voicemail; a rule left out keeps its default. */
  recycle: z
    .strictObject({
      no_answer: recycleRule.default(DEFAULT_RECYCLE.no_answer),
      busy: recycleRule.default(DEFAULT_RECYCLE.busy),
      voicemail: recycleRule.default(DEFAULT_RECYCLE.voicemail),
    })
    .default(() => ({ ...DEFAULT_RECYCLE })),
  /** The script's decision tree. */
  script: scriptSchema.default(() => scriptSchema.parse(DEFAULT_SCRIPT)),
  /** Template of the call script. @defaultValue the step's own template when it has a call text, else `call-script` */
  template: z.string().regex(/^[a-z0-9-]{1,60}$/, { error: 'must be a template id (a folder name in templates/)' }).optional(),
});

export const callsSchema = callsObject.default(() => callsObject.parse({}));

export type CallsConfig = z.output<typeof callsSchema>;
export type ScriptTree = CallsConfig['script'];
export type ScriptNode = ScriptTree['nodes'][string];
export type ScriptAnswer = ScriptNode['answers'][number];
