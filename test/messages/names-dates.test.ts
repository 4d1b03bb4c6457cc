import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ageOn, formatDate, formatDateTime, formatTime, greeting, titlecase } from '../../src/messages/index.js';
import { context } from './fixtures.js';

const rome = (iso: string): DateTime => DateTime.fromISO(iso, { zone: 'Europe/Rome' });

describe('titlecase', () => {
  it('lower-cases registry capitals and capitalises each word', () => {
    expect(titlecase('ROSSI MARIO')).toBe('Rossi Mario');
    expect(titlecase('DE LUCA')).toBe('De Luca');
  });

  it("capitalises after an apostrophe: D'ANGELO → D'Angelo, DELL'ACQUA → Dell'Acqua, typographic ’ too", () => {
    expect(titlecase("D'ANGELO")).toBe("D'Angelo");
    expect(titlecase("DELL'ACQUA")).toBe("Dell'Acqua");
    expect(titlecase('D’AMICO')).toBe('D’Amico');
  });

  it('capitalises each part of a hyphenated name and collapses runs of spaces', () => {
    expect(titlecase('ROSSI-BIANCHI')).toBe('Rossi-Bianchi');
    expect(titlecase('  maria   GRAZIA ')).toBe('Maria Grazia');
  });

  it('keeps accented letters: NICOLÒ → Nicolò, ÉMILE → Émile', () => {
    expect(titlecase('NICOLÒ')).toBe('Nicolò');
    expect(titlecase('ÉMILE ÇELIK')).toBe('Émile Çelik');
  });

  it('builds full_name as given then family name, in title case', () => {
    const ctx = context({ given_name: 'MARIA GRAZIA', family_name: "DELL'ACQUA" });
    expect(ctx.citizen.full_name).toBe("Maria Grazia Dell'Acqua");
    expect(ctx.citizen.given_name).toBe('Maria Grazia');
  });
});

describe('greeting', () => {
  const who = (sex: 'M' | 'F' | 'X' | null, family: string | null = 'Rossi', full = 'Maria Rossi') => ({ sex, family_name: family, full_name: full });

  it('greets by sex in Italian, dropping the -e of Signore before a name', () => {
    expect(greeting(who('F'), 'it')).toBe('Gentile Signora Rossi');
    expect(greeting(who('M'), 'it')).toBe('Gentile Signor Rossi');
    expect(greeting(who('M', null, ''), 'it')).toBe('Gentile Signore');
  });

  it('uses the neutral form with the full name for X and for unknown sex', () => {
    expect(greeting(who('X'), 'it')).toBe('Gentile Maria Rossi');
    expect(greeting(who(null), 'it')).toBe('Gentile Maria Rossi');
    expect(greeting(who('X'), 'de')).toBe('Guten Tag Maria Rossi');
    expect(greeting(who(null), 'en')).toBe('Dear Maria Rossi');
  });

  it('greets by sex in German and English', () => {
    expect(greeting(who('F'), 'de')).toBe('Sehr geehrte Frau Rossi');
    expect(greeting(who('M'), 'de')).toBe('Sehr geehrter Herr Rossi');
    expect(greeting(who('F'), 'en')).toBe('Dear Ms Rossi');
    expect(greeting(who('M'), 'en')).toBe('Dear Mr Rossi');
  });

  it('falls back to a neutral opening when no name is known', () => {
    expect(greeting(who(null, null, ''), 'it')).toBe('Buongiorno');
    expect(greeting(who('F', null, ''), 'de')).toBe('Guten Tag');
    expect(greeting(who('F', null, ''), 'en')).toBe('Dear Madam');
  });

  it('has a spoken form for calls', () => {
    expect(greeting(who('F'), 'it', 'spoken')).toBe('Buongiorno, Signora Rossi');
    expect(greeting(who('M'), 'de', 'spoken')).toBe('Guten Tag, Herr Rossi');
    expect(greeting(who('X'), 'en', 'spoken')).toBe('Hello, Maria Rossi');
  });

  it('has no forms for a language it does not know (the template check reports it)', () => {
    expect(greeting(who('F'), 'fr')).toBeNull();
  });
});

describe('dates and times in the campaign zone', () => {
  const march1 = rome('2021-03-01T08:30:00Z');

  it('writes the full date in Italian, German and English', () => {
    expect(formatDate(march1, 'it', 'full')).toBe('lunedì 1 marzo 2021');
    expect(formatDate(march1, 'de', 'full')).toBe('Montag, 1. März 2021');
    expect(formatDate(march1, 'en', 'full')).toBe('Monday, 1 March 2021');
  });

  it('has long, weekday and short styles', () => {
    expect(formatDate(march1, 'it', 'long')).toBe('1 marzo 2021');
    expect(formatDate(march1, 'it', 'weekday')).toBe('lunedì 1 marzo');
    expect(formatDate(march1, 'de', 'weekday')).toBe('Montag, 1. März');
    expect(formatDate(march1, 'it', 'short')).toBe('01/03/2021');
  });

  it('shows the local time in Rome, not UTC, with a 24-hour clock in every language', () => {
    expect(formatTime(march1, 'it', 'short')).toBe('09:30');
    expect(formatTime(rome('2021-03-01T13:05:00Z'), 'en', 'short')).toBe('14:05');
  });

  it('follows the DST change: 07:30Z is 09:30 on 28 March 2021 (CEST) and 08:30Z is 09:30 the day before (CET)', () => {
    expect(formatTime(rome('2021-03-27T08:30:00Z'), 'it', 'short')).toBe('09:30');
    expect(formatTime(rome('2021-03-28T07:30:00Z'), 'it', 'short')).toBe('09:30');
    expect(formatDateTime(rome('2021-03-28T01:30:00Z'), 'de', 'full')).toBe('Sonntag, 28. März 2021 um 03:30 Uhr');
    expect(formatTime(rome('2021-10-31T08:30:00Z'), 'it', 'short')).toBe('09:30');
    expect(formatTime(rome('2021-10-30T07:30:00Z'), 'it', 'short')).toBe('09:30');
  });

  it('moves to the next local day when UTC is still on the previous one', () => {
    expect(formatDate(rome('2021-02-28T23:30:00Z'), 'it', 'full')).toBe('lunedì 1 marzo 2021');
  });

  it('spells dates and times as a speaker says them, for voice calls', () => {
    expect(formatDate(march1, 'it', 'spoken')).toBe('lunedì primo marzo');
    expect(formatDate(rome('2021-03-02T08:30:00Z'), 'it', 'spoken')).toBe('martedì 2 marzo');
    expect(formatDate(march1, 'de', 'spoken')).toBe('Montag, den 1. März');
    expect(formatDate(rome('2021-03-22T08:30:00Z'), 'en', 'spoken')).toBe('Monday the 22nd of March');
    expect(formatDate(rome('2021-03-11T08:30:00Z'), 'en', 'spoken')).toBe('Thursday the 11th of March');
    expect(formatTime(march1, 'it', 'spoken')).toBe('9 e 30');
    expect(formatTime(rome('2021-03-01T13:00:00Z'), 'de', 'spoken')).toBe('14 Uhr');
    expect(formatTime(rome('2021-03-01T13:00:00Z'), 'en', 'spoken')).toBe('2 pm');
  });

  it('joins date and time as each language does', () => {
    expect(formatDateTime(march1, 'it', 'full')).toBe('lunedì 1 marzo 2021 alle 09:30');
    expect(formatDateTime(march1, 'en', 'long')).toBe('1 March 2021 at 09:30');
  });
});

describe('age', () => {
  it('counts completed years on the given date', () => {
    expect(ageOn('1941-05-17', '2021-05-16')).toBe(79);
    expect(ageOn('1941-05-17', '2021-05-17')).toBe(80);
    expect(context().citizen.age).toBe(70);
  });

  it('lets someone born on 29 February complete a year on 1 March in common years', () => {
    expect(ageOn('2000-02-29', '2021-02-28')).toBe(20);
    expect(ageOn('2000-02-29', '2021-03-01')).toBe(21);
  });
});
