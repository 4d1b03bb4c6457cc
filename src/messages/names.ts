/**
 * Names and salutations. Registries often hold names in capitals (`DELL'ACQUA MARIA`);
 * letters to citizens must not shout at them.
 */

/** Sex as recorded in the registry; null when unknown. */
export type Sex = 'M' | 'F' | 'X' | null;

// A word starts at the beginning, after a space, a hyphen or an apostrophe (straight or typographic).
const WORD_START = /(^|[\s\-'’])(\p{L})/gu;

/**
 * Title case for personal names: every word, hyphenated part and part after an apostrophe
 * starts with a capital, the rest is lower case; runs of spaces become one.
 *
 * Particles are capitalised too (`DE LUCA` → `De Luca`, the Italian registry convention);
 * names with inner capitals (`McDonald`) cannot be recovered from capitals and come out as `Mcdonald`.
 *
 * @example
 * titlecase("DELL'ACQUA  MARIA-GRAZIA") // "Dell'Acqua Maria-Grazia"
 */
export function titlecase(text: string): string {
  return text
    .trim()
    .split(/\s+/u)
    .join(' ')
    .toLowerCase()
    .replace(WORD_START, (_m, sep: string, letter: string) => sep + letter.toUpperCase());
}

/** The parts of a citizen's record a salutation needs; names already in title case. */
export interface GreetingSubject {
  readonly sex: Sex;
  readonly family_name: string | null;
  readonly full_name: string;
}

/** `written` opens a letter, an email or an SMS; `spoken` opens a call. */
export type GreetingStyle = 'written' | 'spoken';
export const GREETING_STYLES: readonly GreetingStyle[] = ['written', 'spoken'];

interface GreetingForms {
  /** Title before a family name, by sex. */
  readonly female: string;
  readonly male: string;
  /** Title used when only the sex is known; null where the language needs a name after it. */
  readonly femaleAlone: string | null;
  readonly maleAlone: string | null;
  /** Before the full name, for X or unknown sex. */
  readonly neutral: string;
  /** When no name is known at all. */
  readonly anonymous: string;
}

const GREETINGS: Readonly<Record<GreetingStyle, Readonly<Record<string, GreetingForms>>>> = {
  written: {
    // Italian drops the final -e of "Signore" before a name: "Gentile Signor Rossi".
    it: { female: 'Gentile Signora', male: 'Gentile Signor', femaleAlone: 'Gentile Signora', maleAlone: 'Gentile Signore', neutral: 'Gentile', anonymous: 'Buongiorno' },
    de: { female: 'Sehr geehrte Frau', male: 'Sehr geehrter Herr', femaleAlone: null, maleAlone: null, neutral: 'Guten Tag', anonymous: 'Guten Tag' },
    en: { female: 'Dear Ms', male: 'Dear Mr', femaleAlone: 'Dear Madam', maleAlone: 'Dear Sir', neutral: 'Dear', anonymous: 'Hello' },
    ro: { female: 'Stimată doamnă', male: 'Stimate domnule', femaleAlone: 'Stimată doamnă', maleAlone: 'Stimate domnule', neutral: 'Bună ziua,', anonymous: 'Bună ziua' },
    ar: { female: 'السيدة الفاضلة', male: 'السيد الفاضل', femaleAlone: 'سيدتي الفاضلة', maleAlone: 'سيدي الفاضل', neutral: 'مرحباً', anonymous: 'مرحباً' },
  },
  spoken: {
    it: { female: 'Buongiorno, Signora', male: 'Buongiorno, Signor', femaleAlone: 'Buongiorno, Signora', maleAlone: 'Buongiorno, Signore', neutral: 'Buongiorno,', anonymous: 'Buongiorno' },
    de: { female: 'Guten Tag, Frau', male: 'Guten Tag, Herr', femaleAlone: null, maleAlone: null, neutral: 'Guten Tag,', anonymous: 'Guten Tag' },
    en: { female: 'Hello, Ms', male: 'Hello, Mr', femaleAlone: null, maleAlone: null, neutral: 'Hello,', anonymous: 'Hello' },
  },
};

/**
 * The salutation for a citizen, without final punctuation: gendered title and family name
 * for F and M (`Gentile Signora Rossi`, `Sehr geehrter Herr Rossi`, `Dear Ms Rossi`), the
 * neutral form and the full name for X or unknown sex (`Gentile Maria Rossi`, `Guten Tag
 * Maria Rossi`, `Dear Maria Rossi`), the title alone or a neutral opening when names are
 * unknown. The spoken style opens a call (`Buongiorno, Signora Rossi`).
 *
 * @returns null when there are no forms for the language (the caller reports it).
 */
export function greeting(subject: GreetingSubject, language: string, style: GreetingStyle = 'written'): string | null {
  const forms = GREETINGS[style][language];
  if (forms === undefined) return null;
  const female = subject.sex === 'F';
  const male = subject.sex === 'M';
  if ((female || male) && subject.family_name) return `${female ? forms.female : forms.male} ${subject.family_name}`;
  if (subject.full_name) return `${forms.neutral} ${subject.full_name}`;
  const alone = female ? forms.femaleAlone : male ? forms.maleAlone : null;
  return alone ?? forms.anonymous;
}
