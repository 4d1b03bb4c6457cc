/**
 * The Handlebars helpers every template may use. Arity and literal arguments are checked
 * when templates load (see HELPER_ARITY); these functions check only what depends on the
 * data. They throw HelperError, which the library turns into an InvitoError naming the
 * template, the place and the citizen id.
 */
import type { ErrorCode } from '../core/errors.js';
import { DATE_STYLES, TIME_STYLES, formatInstant, type DateStyle, type InstantKind, type TimeStyle } from './dates.js';
import { GREETING_STYLES, greeting, titlecase, type GreetingStyle, type GreetingSubject } from './names.js';

/** Where a helper call sits, as Handlebars hands it over (`loc.source` is the srcName given to parse). */
export interface CallSite {
  readonly source: string;
  readonly start: { readonly line: number; readonly column: number };
}

/** Per-render data every helper reads: the language the message is written in and the campaign's zone. */
export interface RenderData {
  readonly language: string;
  readonly timezone: string;
  /** `rtl` for a language written right to left (Arabic), else `ltr`: `{{@dir}}` in an email's HTML. */
  readonly dir?: 'rtl' | 'ltr';
}

/** Languages written right to left, among those templates are written in. */
const RTL = new Set(['ar', 'fa', 'he', 'ur']);

/** The writing direction of a language tag (`ar`, `ar-EG` → `rtl`). */
export const directionOf = (language: string): 'rtl' | 'ltr' => (RTL.has(language.split('-')[0]!) ? 'rtl' : 'ltr');

interface HelperOptions {
  readonly data: RenderData;
  readonly loc: CallSite;
}

/** A helper's complaint about the data it was given. */
export class HelperError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly helper: string,
    readonly site: CallSite,
    /** Index of the argument at fault, so the caller can name its variable path. */
    readonly argument: number | null,
    detail: string,
  ) {
    super(detail);
    this.name = 'HelperError';
  }
}

/** Allowed number of positional arguments; `even` when the count must be even (choose: value, pairs, fallback). */
export const HELPER_ARITY: Readonly<Record<string, { min: number; max: number; even?: boolean }>> = {
  date: { min: 1, max: 2 },
  time: { min: 1, max: 2 },
  datetime: { min: 1, max: 2 },
  titlecase: { min: 1, max: 1 },
  greeting: { min: 1, max: 2 },
  eq: { min: 2, max: 2 },
  ne: { min: 2, max: 2 },
  choose: { min: 4, max: Infinity, even: true },
  default: { min: 2, max: 2 },
  short: { min: 2, max: 2 },
};

/**
 * The long words of Italian centre names and their usual abbreviations, longest first, for
 * `{{short}}` (a one-segment SMS has no room for "PUNTO DI SOMMINISTRAZIONE VACCINALE").
 */
const ABBREVIATIONS: readonly [RegExp, string][] = [
  [/\bpunto di somministrazione vaccinale\b/giu, 'Punto vaccinale'],
  [/\bpunto vaccinale territoriale\b/giu, 'PVT'],
  [/\bazienda ospedaliera universitaria\b/giu, 'AOU'],
  [/\bazienda ospedaliera\b/giu, 'AO'],
  [/\bazienda sanitaria locale\b/giu, 'ASL'],
  [/\bpresidio ospedaliero\b/giu, 'PO'],
  [/\bcentro vaccinale\b/giu, 'Centro vacc.'],
  [/\bpoliambulatorio\b/giu, 'Poliamb.'],
  [/\bospedale\b/giu, 'Osp.'],
  [/\bsomministrazione\b/giu, 'somm.'],
  [/\bvaccinazioni\b/giu, 'vacc.'],
  [/\bpresso\b/giu, ''],
];

/** A name shortened to at most `max` characters: title case (for a name in capitals), the usual abbreviations, then cut at a word. */
export function shorten(value: string, max: number): string {
  let text = value === value.toUpperCase() ? titlecase(value) : value.trim().replace(/\s+/gu, ' ');
  if (text.length <= max) return text;
  for (const [re, abbr] of ABBREVIATIONS) text = text.replace(re, abbr);
  text = text.replace(/\s{2,}/gu, ' ').replace(/\s+([,.])/gu, '$1').trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : text.slice(0, max)).replace(/[\s,.'-]+$/u, '');
}

/** The literal values a helper's style argument may take, checked at load when the argument is a literal. */
export const HELPER_STYLES: Readonly<Record<string, readonly string[]>> = {
  date: DATE_STYLES,
  time: TIME_STYLES,
  datetime: DATE_STYLES,
  greeting: GREETING_STYLES,
};

type Helper = (...args: unknown[]) => unknown;

// Handlebars passes its options object as the last argument.
const split = (args: unknown[]): { params: unknown[]; options: HelperOptions } => ({
  params: args.slice(0, -1),
  options: args[args.length - 1] as HelperOptions,
});

function instant(kind: InstantKind, value: unknown, style: DateStyle | TimeStyle, options: HelperOptions): string {
  if (value === null || value === undefined) {
    throw new HelperError('TEMPLATE_MISSING_VARIABLE', kind, options.loc, 0, 'has no value (null)');
  }
  const text = typeof value === 'string' ? formatInstant(kind, value, options.data.timezone, options.data.language, style) : null;
  if (text === null) throw new HelperError('TEMPLATE_SYNTAX', kind, options.loc, 0, 'needs an ISO-8601 datetime with offset');
  return text;
}

function styleArg<S extends string>(helper: string, value: unknown, allowed: readonly S[], fallback: S, options: HelperOptions): S {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as S)) {
    throw new HelperError('TEMPLATE_SYNTAX', helper, options.loc, 1, `style must be one of ${allowed.join(', ')}`);
  }
  return value as S;
}

/** The helper functions, by name. The same set is registered in the text and the HTML environment. */
export const HELPERS: Readonly<Record<string, Helper>> = {
  date(...args) {
    const { params, options } = split(args);
    return instant('date', params[0], styleArg<DateStyle>('date', params[1], DATE_STYLES, 'full', options), options);
  },
  time(...args) {
    const { params, options } = split(args);
    return instant('time', params[0], styleArg<TimeStyle>('time', params[1], TIME_STYLES, 'short', options), options);
  },
  datetime(...args) {
    const { params, options } = split(args);
    return instant('datetime', params[0], styleArg<DateStyle>('datetime', params[1], DATE_STYLES, 'full', options), options);
  },
  titlecase(...args) {
    const { params } = split(args);
    const value = params[0];
    return value === null || value === undefined ? '' : titlecase(String(value));
  },
  greeting(...args) {
    const { params, options } = split(args);
    const subject = params[0] as GreetingSubject | null | undefined;
    if (subject === null || typeof subject !== 'object' || !('full_name' in subject)) {
      throw new HelperError('TEMPLATE_SYNTAX', 'greeting', options.loc, 0, 'needs the citizen object: {{greeting citizen}}');
    }
    const style = styleArg<GreetingStyle>('greeting', params[1], GREETING_STYLES, 'written', options);
    const text = greeting(subject, options.data.language, style);
    if (text === null) {
      throw new HelperError('TEMPLATE_LANGUAGE_MISSING', 'greeting', options.loc, null, `has no forms for language ${options.data.language}`);
    }
    return text;
  },
  eq(...args) {
    const { params } = split(args);
    return params[0] === params[1];
  },
  ne(...args) {
    const { params } = split(args);
    return params[0] !== params[1];
  },
  choose(...args) {
    const { params } = split(args);
    const [value, ...rest] = params;
    for (let i = 0; i + 1 < rest.length; i += 2) if (rest[i] === value) return rest[i + 1];
    return rest[rest.length - 1];
  },
  short(...args) {
    const { params, options } = split(args);
    const [value, max] = params;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 5) throw new HelperError('TEMPLATE_SYNTAX', 'short', options.loc, 1, 'needs a whole number of characters (5 or more)');
    return value === null || value === undefined ? '' : shorten(String(value), max);
  },
  default(...args) {
    const { params } = split(args);
    const [value, fallback] = params;
    return value === null || value === undefined || value === '' ? fallback : value;
  },
};
