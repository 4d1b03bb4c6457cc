/**
 * Field parsers shared by the registry importers. Each returns a value or a reason; reasons
 * name the field and the rule, never the value (it may be health data).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { parsePhoneNumberFromString as parseWithTypes } from 'libphonenumber-js/max';
import { daysInMonth } from '../core/calendar.js';
import type { PhoneType } from '../core/reach.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const IT_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;


/** The earliest birth year we accept: older would make the oldest person alive look young. */
export const EARLIEST_YEAR = 1890;

/**
 * A calendar date as `YYYY-MM-DD` or `DD/MM/YYYY`, returned as `YYYY-MM-DD`.
 * Hand-checked rather than through luxon: this runs for every row of a 10-million-row import.
 */
export function parseDate(field: string, text: string, today: string): Parsed<string> {
  let y: number;
  let m: number;
  let d: number;
  let match = ISO_DATE.exec(text);
  if (match) {
    y = Number(match[1]);
    m = Number(match[2]);
    d = Number(match[3]);
  } else if ((match = IT_DATE.exec(text))) {
    d = Number(match[1]);
    m = Number(match[2]);
    y = Number(match[3]);
  } else {
    return bad(`${field} is not a date in the form YYYY-MM-DD or DD/MM/YYYY`);
  }
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return bad(`${field} is not a real calendar date`);
  if (y < EARLIEST_YEAR) return bad(`${field} is before ${EARLIEST_YEAR}`);
  const iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  if (iso > today) return bad(`${field} is in the future`);
  return ok(iso);
}

/** A whole number ≥ 0 (`doses`). */
export function parseCount(field: string, text: string, fallback: number): Parsed<number> {
  if (text === '') return ok(fallback);
  if (!/^[+]?\d+$/.test(text)) {
    return bad(/^-\d+$/.test(text) ? `${field} is negative` : `${field} is not a whole number`);
  }
  const n = Number(text);
  return Number.isSafeInteger(n) ? ok(n) : bad(`${field} is too large`);
}

/** A positive whole number (`daily_capacity`). */
export function parsePositive(field: string, text: string): Parsed<number> {
  if (text === '') return bad(`${field} is missing`);
  const n = parseCount(field, text, 0);
  if (!n.ok) return n;
  return n.value > 0 ? n : bad(`${field} must be greater than 0`);
}

/** `true`/`false` (also `1`/`0`), case-insensitive; empty means the default. */
export function parseBool(field: string, text: string, fallback: boolean): Parsed<boolean> {
  if (text === '') return ok(fallback);
  const t = text.toLowerCase();
  if (t === 'true' || t === '1') return ok(true);
  if (t === 'false' || t === '0') return ok(false);
  return bad(`${field} must be true or false`);
}

function parsePhoneSlow(text: string, defaultCountry: 'IT'): Parsed<string> {
  const p = parsePhoneNumberFromString(text, defaultCountry);
  if (!p || !p.isValid()) return bad('phone is not a valid phone number');
  return ok(p.number);
}

/**
 * Numbering plans decide validity by a number's leading digits and its length; the last four
 * digits are free in every plan libphonenumber knows (test/fields.test.ts checks this against
 * libphonenumber itself on random numbers of many countries). So the answer for one number
 * holds for every number that differs only in its last four digits, and a 10-million-row
 * registry needs libphonenumber for a few thousand shapes, not for every row — it was half the
 * cost of an import.
 */
const phoneShapes = new Map<string, { prefix: string } | null>();
const PLAIN_PHONE = /^(\+|00)?\d{9,15}$/;

/** A phone number normalised to E.164; national numbers are read as Italian unless told otherwise. */
export function parsePhone(text: string, defaultCountry: 'IT' = 'IT'): Parsed<string> {
  if (text.length > PHONE_MAX) return bad(`phone is longer than ${PHONE_MAX} characters`);
  const compact = text.replace(/[\s().\-/]/g, '');
  if (!PLAIN_PHONE.test(compact)) return parsePhoneSlow(text, defaultCountry);
  const tail = compact.slice(-4);
  const key = compact.slice(0, -4);
  const shape = phoneShapes.get(key);
  if (shape !== undefined) return shape === null ? bad('phone is not a valid phone number') : ok(shape.prefix + tail);
  const r = parsePhoneSlow(compact, defaultCountry);
  // Only a result that kept the four digits in place says something about the shape.
  if (!r.ok || r.value.endsWith(tail)) {
    if (phoneShapes.size >= 200_000) phoneShapes.clear();
    phoneShapes.set(key, r.ok ? { prefix: r.value.slice(0, -4) } : null);
  }
  return r;
}

/** Types by the number without its last four digits (the shape argument above holds for types too). */
const typeShapes = new Map<string, PhoneType>();

/** libphonenumber's type of an E.164 number (its full metadata, `libphonenumber-js/max`), read once per shape. */
export function phoneType(e164: string | null): PhoneType | null {
  if (e164 === null) return null;
  const key = e164.slice(0, -4);
  let t = typeShapes.get(key);
  if (t === undefined) {
    t = phoneTypeUncached(e164);
    if (typeShapes.size >= 200_000) typeShapes.clear();
    typeShapes.set(key, t);
  }
  return t;
}

/** libphonenumber's type, bypassing the cache: fixed-line and mobile, else `other` (VoIP, toll-free…) or `unknown`. */
export function phoneTypeUncached(e164: string): PhoneType {
  const type = parseWithTypes(e164)?.getType();
  if (type === 'MOBILE') return 'mobile';
  if (type === 'FIXED_LINE') return 'fixed_line';
  return type === undefined || type === 'FIXED_LINE_OR_MOBILE' ? 'unknown' : 'other';
}

/** libphonenumber's answer, bypassing the shape cache (for tests). */
export const parsePhoneUncached = (text: string): Parsed<string> => parsePhoneSlow(text, 'IT');

// Deliberately plain: one @, a dot in the domain, no spaces. Deliverability is the SMTP relay's call.
const EMAIL = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[A-Za-z]{2,}$/;
export function parseEmail(text: string): Parsed<string> {
  if (text.length > EMAIL_MAX) return bad(`email is longer than ${EMAIL_MAX} characters`);
  if (!EMAIL.test(text) || CONTROL.test(text)) return bad('email is not a valid address');
  const at = text.lastIndexOf('@');
  return ok(text.slice(0, at + 1) + text.slice(at + 1).toLowerCase());
}

/**
 * The longest value each free-text column may hold, in characters. Generous for real data
 * (the longest Italian municipality name has 34 letters), small enough that one field cannot
 * flood an SMS preview or a call script.
 */
export const TEXT_LIMITS = {
  given_name: 100,
  family_name: 100,
  municipality: 100,
  asl: 64,
  address: 200,
  name: 200,
  catchment: 100,
  opening: 200,
} as const;

/** Email addresses are at most 254 characters (RFC 5321); phone numbers, formatted, far fewer. */
export const EMAIL_MAX = 254;
export const PHONE_MAX = 32;

/**
 * Characters that have no place in a registry value: C0 and C1 controls (NUL, ESC, BEL…), DEL,
 * and the bidirectional overrides that make text display in another order than it is stored.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const BREAKS = /[\t\r\n]+/g;
export const hasControl = (text: string): boolean => CONTROL.test(text);

/**
 * A free-text value, or null when empty. Line breaks and tabs (a spreadsheet cell typed with
 * Alt+Enter) become one space; any other control character, or a value over `max` characters,
 * is a reason — the caller warns and drops the value.
 */
export function parseText(field: string, text: string, max: number): Parsed<string | null> {
  if (text === '') return ok(null);
  if (text.length > max) return bad(`${field} is longer than ${max} characters`);
  const flat = text.includes('\n') || text.includes('\t') || text.includes('\r') ? text.replace(BREAKS, ' ') : text;
  if (CONTROL.test(flat)) return bad(`${field} contains control characters`);
  return ok(flat);
}

/** Ids end up in job ids and URLs: no `:` (BullMQ), no spaces, no slashes. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
