/**
 * SMS replies that act (issue 13): what a citizen's text means — confirm, decline, change, a
 * letter choosing one of the slots offered, a first name answering "who is this for?" — and
 * what invito answers. Pure rules; `conversation.ts` applies them through the store.
 *
 * Words are compared as `wordKey` makes them: compatibility-normalised, accents, punctuation,
 * symbols and spaces removed, upper-cased, so "Sì!", "si", " S I " and "SÌ" are one word.
 */

/** What a reply word asks for. */
export type ReplyWord = 'confirm' | 'decline' | 'change';
export const REPLY_WORDS: readonly ReplyWord[] = ['confirm', 'decline', 'change'];

/** The words per language (a campaign's `replies:` key overrides a language's list per word). */
export type ReplyWords = Readonly<Record<string, Readonly<Partial<Record<ReplyWord, readonly string[]>>>>>;

/**
 * The defaults. Every language also understands the digits (1 yes, 2 no, 3 change) and every
 * other language's words: a German speaker's "JA" is understood by an Italian campaign.
 */
export const DEFAULT_REPLY_WORDS: ReplyWords = {
  it: { confirm: ['SI', 'SÌ', 'OK', '1', 'CONFERMO'], decline: ['NO', '2', 'NON POSSO'], change: ['CAMBIA', 'ALTRA', '3'] },
  en: { confirm: ['YES', 'OK', '1'], decline: ['NO', '2'], change: ['CHANGE', '3'] },
  de: { confirm: ['JA', 'OK', '1'], decline: ['NEIN', '2'], change: ['ÄNDERN', 'AENDERN', '3'] },
  ro: { confirm: ['DA', 'OK', '1'], decline: ['NU', '2'], change: ['SCHIMBA', 'SCHIMBĂ', '3'] },
  ar: { confirm: ['نعم', 'OK', '1'], decline: ['لا', '2'], change: ['تغيير', '3'] },
};

/**
 * The ids of a WhatsApp content template's quick-reply buttons (Confermo / Non posso / Cambia):
 * a tap posts the id as `ButtonPayload`, which means its word whatever the button's text says.
 * A button whose id is not one of these is read by its text, like a typed reply.
 */
export const BUTTON_IDS: Readonly<Record<string, ReplyWord>> = { CONFIRM: 'confirm', DECLINE: 'decline', CHANGE: 'change' };

/** The word a quick-reply button's id means, or null. */
export const buttonWord = (payload: string | undefined): ReplyWord | null => (payload ? (BUTTON_IDS[wordKey(payload)] ?? null) : null);

/** The letters of the slots a change offers, in order. */
export const OFFER_LETTERS = ['A', 'B', 'C'] as const;
export type OfferLetter = (typeof OFFER_LETTERS)[number];

/** Answers per phone and local day at most: an auto-responder answering our answer would loop. */
export const MAX_ANSWERS_PER_DAY = 3;

/** How long a question invito asked (which slot, which citizen) waits for its answer. */
export const THREAD_HOURS = 24;

/** A reply reduced to what word matching compares (see the module's comment). */
export const wordKey = (text: string): string =>
  text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[\s\p{P}\p{S}]/gu, '')
    .toUpperCase();

/** The words in force: the defaults with the campaign's lists in their place. */
export function mergeWords(campaign: ReplyWords | undefined): ReplyWords {
  if (!campaign) return DEFAULT_REPLY_WORDS;
  const out: Record<string, Partial<Record<ReplyWord, readonly string[]>>> = { ...DEFAULT_REPLY_WORDS };
  for (const [lang, words] of Object.entries(campaign)) out[lang] = { ...(DEFAULT_REPLY_WORDS[lang] ?? {}), ...words };
  return out;
}

/**
 * The word a reply is, or null: the citizen's language first, then every other language (so a
 * word one language gives to `decline` and another to `confirm` means what the citizen's says).
 */
export function replyWord(body: string, words: ReplyWords, language: string): ReplyWord | null {
  const key = wordKey(body);
  if (key === '') return null;
  const order = [language, ...Object.keys(words).filter((l) => l !== language)];
  for (const lang of order) {
    const w = words[lang];
    if (!w) continue;
    for (const kind of REPLY_WORDS) if (w[kind]?.some((x) => wordKey(x) === key)) return kind;
  }
  return null;
}

/** The letter a reply is (A, B or C, among the `offered`), or null. */
export function replyLetter(body: string, offered: number): OfferLetter | null {
  const key = wordKey(body);
  const i = OFFER_LETTERS.indexOf(key as OfferLetter);
  return i >= 0 && i < offered ? OFFER_LETTERS[i]! : null;
}

/** The candidate a reply names by first name (the whole reply, or its first word), or null when none or several match. */
export function replyName<T extends { readonly givenName: string | null }>(body: string, candidates: readonly T[]): T | null {
  const whole = wordKey(body);
  const first = wordKey(body.trim().split(/\s+/u)[0] ?? '');
  for (const key of [whole, first]) {
    if (key === '') continue;
    const hits = candidates.filter((c) => c.givenName !== null && (wordKey(c.givenName) === key || wordKey(c.givenName.split(/\s+/u)[0] ?? '') === key));
    if (hits.length === 1) return hits[0]!;
  }
  return null;
}

/**
 * What invito answers, as the `reply` template's `reply.kind` names it:
 * `confirmed`, `declined`, `moved` (to the slot chosen), `options` (up to three slots, by letter),
 * `no_options` (a change with no free slot), `taken` (the slot chosen went meanwhile: new options),
 * `who` (a shared phone: which citizen, by first name), `not_understood` (how to answer),
 * `no_appointment` (nothing open to answer about).
 */
export type AnswerKind = 'confirmed' | 'declined' | 'moved' | 'options' | 'no_options' | 'taken' | 'who' | 'not_understood' | 'no_appointment';
