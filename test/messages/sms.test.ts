import splitSms from 'split-sms';
import { describe, expect, it } from 'vitest';
import { analyseSms, isGsm7, transliterate } from '../../src/messages/index.js';
import { seeded } from '../support/random.js';

const a = (n: number): string => 'a'.repeat(n);
const zh = (n: number): string => 'ж'.repeat(n); // one UTF-16 unit, outside GSM-7
const EMOJI = '😀'; // outside the BMP: a surrogate pair

describe('GSM-7 segments', () => {
  it('fits 160 septets in one segment and needs two for 161', () => {
    expect(analyseSms(a(160))).toEqual({ encoding: 'GSM-7', characters: 160, units: 160, segments: 1 });
    expect(analyseSms(a(161))).toEqual({ encoding: 'GSM-7', characters: 161, units: 161, segments: 2 });
  });

  it('splits long texts into 153-septet parts: 306 is two, 307 is three', () => {
    expect(analyseSms(a(306)).segments).toBe(2);
    expect(analyseSms(a(307)).segments).toBe(3);
  });

  it('counts an extension character as two septets: 159 letters and € make 161 septets, two segments', () => {
    expect(analyseSms(a(159) + '€')).toEqual({ encoding: 'GSM-7', characters: 160, units: 161, segments: 2 });
  });

  it('counts every extension-table character as two septets', () => {
    expect(analyseSms('€[]{}~^\\|\f').units).toBe(20);
  });

  it('never splits an escape pair across segments', () => {
    // 152 + 2 + 152 = 306 septets would fill two parts exactly, but the € cannot straddle.
    expect(analyseSms(a(152) + '€' + a(152))).toMatchObject({ units: 306, segments: 3 });
    expect(analyseSms(a(151) + '€' + a(153))).toMatchObject({ units: 306, segments: 2 });
  });

  it('keeps the Italian, German and Spanish letters of the default alphabet in GSM-7', () => {
    expect(analyseSms('àèéìòù ÄÖÜäöü ñÑ É Ç ß Øø Åå Ææ £¥§¿¡ ΔΦΓΛΩΠΨΣΘΞ').encoding).toBe('GSM-7');
  });

  it('treats characters missing from the 3GPP table as UCS-2: È, lower-case ç, backtick, curly quote', () => {
    for (const ch of ['È', 'ç', '`', '’', '–', '\u00a0']) expect(analyseSms(`ok ${ch}`).encoding).toBe('UCS-2');
  });

  it('counts no segment for an empty text', () => {
    expect(analyseSms('')).toEqual({ encoding: 'GSM-7', characters: 0, units: 0, segments: 0 });
  });
});

describe('UCS-2 segments', () => {
  it('switches the whole text to UCS-2 for a single emoji, counting it as two units and one character', () => {
    expect(analyseSms(a(10) + EMOJI)).toEqual({ encoding: 'UCS-2', characters: 11, units: 12, segments: 1 });
  });

  it('fits 70 units in one segment and needs two for 71', () => {
    expect(analyseSms(zh(70)).segments).toBe(1);
    expect(analyseSms(zh(71)).segments).toBe(2);
    expect(analyseSms(zh(68) + EMOJI).segments).toBe(1);
    expect(analyseSms(zh(69) + EMOJI).segments).toBe(2);
  });

  it('moves an emoji straddling the 67-unit boundary whole to the next segment', () => {
    // 66 + 2 + 66 = 134 units would fill two 67-unit parts, but the surrogate pair cannot be cut.
    expect(analyseSms(zh(66) + EMOJI + zh(66))).toMatchObject({ encoding: 'UCS-2', units: 134, segments: 3 });
    expect(analyseSms(zh(65) + EMOJI + zh(67))).toMatchObject({ units: 134, segments: 2 });
  });
});

const random = seeded;

const POOLS = {
  ascii: [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?\'"()-+*/=<>#%&@$_\n'],
  gsmLatin: [...'àèéìòùÄÖÜäöüñÑÉÇßØøÅåÆæ£¥§¿¡¤ΔΦΓΛΩΠΨΣΘΞ'],
  extension: [...'€[]{}~^\\|\f'],
  bmp: [...'ÈÁçâ‘’“”–—…\u00a0жλ中`'],
  astral: ['😀', '👍', '🇮', '💉', '𝄞'],
};

function randomText(next: () => number): string {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const length = 1 + Math.floor(next() * 480);
  // Most texts stay GSM-7 (with some extension characters); the rest get a few UCS-2 characters.
  const unicode = next() < 0.4;
  let out = '';
  for (let i = 0; i < length; i++) {
    const r = next();
    if (unicode && r < 0.04) out += pick(POOLS.astral);
    else if (unicode && r < 0.1) out += pick(POOLS.bmp);
    else if (r < 0.16) out += pick(POOLS.extension);
    else if (r < 0.3) out += pick(POOLS.gsmLatin);
    else out += pick(POOLS.ascii);
  }
  return out;
}

describe('cross-check against split-sms', () => {
  it('agrees with split-sms on encoding, units and segments for 5,000 seeded random texts', () => {
    // split-sms (codesleuth) implements the same rules: its GSM table matches 3GPP TS 23.038
    // (Ç capital only, ß included), it keeps escape pairs and surrogate pairs whole, and it
    // counts UCS-2 in bytes. No known divergence on these inputs, so every text must agree.
    const next = random(20210301);
    const disagreements: string[] = [];
    let ucs2 = 0;
    for (let i = 0; i < 5000; i++) {
      const text = randomText(next);
      const mine = analyseSms(text);
      const theirs = splitSms.split(text);
      const theirEncoding = theirs.characterSet === 'GSM' ? 'GSM-7' : 'UCS-2';
      const theirUnits = theirEncoding === 'GSM-7' ? theirs.bytes : theirs.bytes / 2;
      if (mine.encoding === 'UCS-2') ucs2++;
      if (mine.encoding !== theirEncoding || mine.segments !== theirs.parts.length || mine.units !== theirUnits) {
        disagreements.push(JSON.stringify({ text, mine, theirs: { theirEncoding, theirUnits, parts: theirs.parts.length } }));
      }
    }
    expect(disagreements.slice(0, 3)).toEqual([]);
    // The sample must exercise both encodings and multi-segment texts to mean anything.
    expect(ucs2).toBeGreaterThan(1000);
    expect(ucs2).toBeLessThan(4000);
  });
});

describe('transliterate', () => {
  it('turns typographic punctuation and Italian capitals into GSM-7 look-alikes', () => {
    const text = 'È già “pronto” – sì… l’appuntamento\u00a0alle 9';
    expect(transliterate(text)).toBe('E\' già "pronto" - sì... l\'appuntamento alle 9');
    expect(isGsm7(transliterate(text))).toBe(true);
  });

  it('leaves a GSM-7 text untouched, letters with accents included', () => {
    const text = 'àèéìòù ÄÖÜäöü ñÑ É Ç ß €';
    expect(transliterate(text)).toBe(text);
  });

  it('maps capitals with grave or acute accent to letter + apostrophe, and lower-case á í ó ú to the GSM-7 grave vowel', () => {
    expect(transliterate('À È Ì Ò Ù Á Í Ó Ú')).toBe("A' E' I' O' U' A' I' O' U'");
    expect(transliterate('María Núñez Lucía Ramón')).toBe('Marìa Nùñez Lucìa Ramòn');
  });

  it('strips other diacritics to the base letter, lower-case ç included (only Ç is GSM-7)', () => {
    expect(transliterate('François Łukasz Wałęsa Ștefan Dvořák ê ë')).toBe('Francois Lukasz Walesa Stefan Dvoràk e e');
    expect(transliterate('Çelik')).toBe('Çelik');
  });

  it('composes a decomposed accent first, so e + combining acute becomes the GSM-7 é', () => {
    expect(transliterate('perche\u0301')).toBe('perché');
  });

  it('keeps characters that have no look-alike, so an emoji message honestly stays UCS-2', () => {
    expect(transliterate('Ciao 😀 Ж')).toBe('Ciao 😀 Ж');
    expect(analyseSms(transliterate('Ciao 😀')).encoding).toBe('UCS-2');
  });

  it('makes any mix of GSM-7 text and transliterable characters GSM-7 (2,000 seeded texts)', () => {
    const next = random(7);
    const transliterable = [...'ÈÀÌÒÙÁÍÓÚáíóúâêîôûëïçćčšžłŁőűășțñ‘’“”«»–—…\u00a0\u202f\t\u200bœŒ'];
    const pool = [...POOLS.ascii, ...POOLS.gsmLatin, ...POOLS.extension, ...transliterable];
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const length = 1 + Math.floor(next() * 200);
      for (let j = 0; j < length; j++) text += pool[Math.floor(next() * pool.length)];
      expect(isGsm7(transliterate(text)), JSON.stringify(text)).toBe(true);
    }
  });
});
