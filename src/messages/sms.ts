/**
 * SMS accounting: which encoding a text needs and how many segments it costs.
 *
 * The alphabet is the GSM 03.38 / 3GPP TS 23.038 default alphabet with its default
 * extension table; national language shift tables are not used (Italian networks and
 * handsets do not need them, and the providers invito targets do not send them).
 */

/** How a text travels: 7-bit GSM septets or UTF-16 code units. */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** What an SMS text costs. */
export interface SmsInfo {
  readonly encoding: SmsEncoding;
  /** User-perceived length in Unicode code points. */
  readonly characters: number;
  /** Septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2. */
  readonly units: number;
  /** Concatenated segments the provider bills; 0 for an empty text. */
  readonly segments: number;
}

/** Units that fit one single-part message, and one part of a concatenated message (the rest is the UDH). */
export const SMS_LIMITS = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
} as const satisfies Record<SmsEncoding, { single: number; multi: number }>;

// Basic table, in 3GPP order, without ESC (0x1B): ESC is not a character a text can hold.
// 0x09 is the capital Ç (the lower-case ç of early GSM 03.38 editions is not in the table).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
// Reached through ESC, so each costs two septets.
const GSM_EXTENSION = '\f^{}\\[]~|€';

// Septets per UTF-16 unit: 0 = not in GSM-7, 1 = basic table, 2 = extension table.
// A flat array keeps analyseSms a tight loop (it runs once per rendered SMS).
const SEPTETS = new Uint8Array(0x20ad);
for (const ch of GSM_BASIC) SEPTETS[ch.charCodeAt(0)] = 1;
for (const ch of GSM_EXTENSION) SEPTETS[ch.charCodeAt(0)] = 2;

const septetsOf = (code: number): number => (code < SEPTETS.length ? (SEPTETS[code] as number) : 0);

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** Whether the whole text can be sent as GSM-7. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (septetsOf(text.charCodeAt(i)) === 0) return false;
  return true;
}

/**
 * Encoding, length and segment count of an SMS text.
 *
 * GSM-7: 160 septets fit one message, 153 each part of a longer one; an extension
 * character (ESC + char) is never split across two parts. UCS-2 is used as soon as one
 * character is outside GSM-7: 70 units in one message, 67 per part; a character outside
 * the BMP takes two units and its surrogate pair is never split.
 *
 * @example
 * analyseSms('Ciao €') // { encoding: 'GSM-7', characters: 6, units: 7, segments: 1 }
 */
export function analyseSms(text: string): SmsInfo {
  const n = text.length;
  let septets = 0;
  let gsm = true;
  for (let i = 0; i < n; i++) {
    const s = septetsOf(text.charCodeAt(i));
    if (s === 0) {
      gsm = false;
      break;
    }
    septets += s;
  }
  if (gsm) {
    return { encoding: 'GSM-7', characters: n, units: septets, segments: n === 0 ? 0 : gsmSegments(text, septets) };
  }
  let characters = 0;
  for (let i = 0; i < n; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    characters++;
  }
  return { encoding: 'UCS-2', characters, units: n, segments: ucs2Segments(text) };
}

function gsmSegments(text: string, septets: number): number {
  const { single, multi } = SMS_LIMITS['GSM-7'];
  if (septets <= single) return 1;
  let segments = 1;
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    const s = septetsOf(text.charCodeAt(i));
    if (used + s > multi) {
      segments++;
      used = 0;
    }
    used += s;
  }
  return segments;
}

function ucs2Segments(text: string): number {
  const { single, multi } = SMS_LIMITS['UCS-2'];
  const n = text.length;
  if (n <= single) return 1;
  let segments = 1;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const pair = isHighSurrogate(text.charCodeAt(i)) && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1));
    const w = pair ? 2 : 1;
    if (used + w > multi) {
      segments++;
      used = 0;
    }
    used += w;
    if (pair) i++;
  }
  return segments;
}

// Look-alikes for characters that would force UCS-2. Letters with diacritics are handled by
// rule in transliterateChar; this table holds punctuation, spaces and letters that Unicode
// does not decompose.
const REPLACEMENTS: ReadonlyMap<string, string> = new Map([
  ...[...'‘’‚‛′`´‹›'].map((c) => [c, "'"] as const),
  ...[...'“”„‟″«»'].map((c) => [c, '"'] as const),
  ...[...'‐‑‒–—―−'].map((c) => [c, '-'] as const),
  ['…', '...'],
  ['•', '-'],
  ['\t', ' '],
  ...[...'\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000'].map(
    (c) => [c, ' '] as const,
  ),
  // Invisible characters: removing them changes nothing a reader sees.
  ...[...'\u00ad\u200b\u2060\ufeff'].map((c) => [c, ''] as const),
  ['ẞ', 'SS'],
  ['ł', 'l'],
  ['Ł', 'L'],
  ['đ', 'd'],
  ['Đ', 'D'],
  ['ð', 'd'],
  ['Ð', 'D'],
  ['ħ', 'h'],
  ['Ħ', 'H'],
  ['ı', 'i'],
  ['œ', 'oe'],
  ['Œ', 'OE'],
  ['þ', 'th'],
  ['Þ', 'Th'],
  ['ª', 'a'],
  ['º', 'o'],
]);

const GRAVE = '\u0300';
const ACUTE = '\u0301';
const COMBINING = /^[\u0300-\u036f]+$/;
// GSM-7 has à è é ì ò ù, so only these lower-case vowels reach the rule: á→à keeps one
// character and an accent on the right vowel (a' would cost a septet more and read worse in a name).
const LOWER_ACCENTED: Readonly<Record<string, string>> = { a: 'à', i: 'ì', o: 'ò', u: 'ù' };

function transliterateChar(ch: string): string {
  const mapped = REPLACEMENTS.get(ch);
  if (mapped !== undefined) return mapped;
  const decomposed = ch.normalize('NFD');
  const base = decomposed[0] ?? '';
  const marks = decomposed.slice(1);
  if (!/^[A-Za-z]$/.test(base) || !COMBINING.test(marks)) return ch;
  const graveOrAcute = marks === GRAVE || marks === ACUTE;
  // The Italian convention where capital accented letters are unavailable: È → E'.
  if (graveOrAcute && base >= 'A' && base <= 'Z') return `${base}'`;
  if (graveOrAcute) return LOWER_ACCENTED[base] ?? base;
  return base;
}

/**
 * Replaces characters that would force UCS-2 by GSM-7 look-alikes, where one exists.
 *
 * GSM-7 characters are never changed; characters with no look-alike (emoji, non-Latin
 * scripts) are kept, so such a message honestly stays UCS-2. The input is first put in
 * NFC, so a decomposed `e` + U+0301 becomes the GSM-7 `é`. The full rule set is in
 * `templates/README.md`.
 *
 * @example
 * transliterate('È “vero” – già') // "E' \"vero\" - già"
 */
export function transliterate(text: string): string {
  if (isGsm7(text)) return text;
  let out = '';
  for (const ch of text.normalize('NFC')) {
    out += septetsOf(ch.charCodeAt(0)) > 0 && ch.length === 1 ? ch : transliterateChar(ch);
  }
  return out;
}
