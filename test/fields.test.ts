import { describe, expect, it } from 'vitest';
import { parsePhone, parsePhoneUncached } from '../src/registry/fields.js';
import { seeded } from './support/random.js';

const rng = seeded;

describe('phone numbers', () => {
  it('the shape cache gives exactly libphonenumber\'s answer on random numbers of many countries and forms', () => {
    const r = rng(7);
    const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');
    const forms = [
      () => `3${digits(2)} ${digits(7)}`, // Italian mobile, national
      () => `+393${digits(9)}`,
      () => `00393${digits(8 + Math.floor(r() * 2))}`,
      () => `0${digits(1 + Math.floor(r() * 3))} ${digits(5 + Math.floor(r() * 4))}`, // Italian landlines of every length
      () => `+49${digits(9 + Math.floor(r() * 3))}`, // Germany
      () => `+33 ${digits(9)}`, // France
      () => `+44 7${digits(9)}`, // UK mobile
      () => `+1 (${digits(3)}) ${digits(3)}-${digits(4)}`, // North America
      () => `+${digits(2 + Math.floor(r() * 2))}${digits(8 + Math.floor(r() * 5))}`, // anywhere
      () => `${digits(9 + Math.floor(r() * 3))}`,
    ];
    // 60 shapes per form, each seen with many different last four digits, so most answers
    // come from the cache and are compared with libphonenumber's own.
    const shapes = forms.flatMap((f) => Array.from({ length: 60 }, () => f()));
    let valid = 0;
    for (let i = 0; i < 60_000; i++) {
      const shape = shapes[Math.floor(r() * shapes.length)]!;
      const text = shape.slice(0, -4) + digits(4);
      const expected = parsePhoneUncached(text);
      expect(parsePhone(text), text).toEqual(expected);
      if (expected.ok) valid++;
    }
    expect(valid).toBeGreaterThan(10_000); // the sample exercises valid numbers, not only rejects
  });

  it('normalises Italian numbers written in the usual ways to E.164', () => {
    for (const t of ['333 1234567', '+39 333 1234567', '0039 333 1234567', '333-123-4567', '(333) 1234567']) {
      expect(parsePhone(t)).toEqual({ ok: true, value: '+393331234567' });
    }
    expect(parsePhone('06 6880 1234')).toEqual({ ok: true, value: '+390668801234' });
    expect(parsePhone('12345')).toMatchObject({ ok: false });
  });
});
