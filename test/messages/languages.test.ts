/**
 * More languages (issue 13, item 6): invite, reminder and reply SMS in Romanian and Arabic, and the
 * invitation and reminder emails. Arabic is written in UCS-2, so it is counted (70/67 units a
 * segment) and priced as such; Romanian SMS are written without diacritics and stay GSM-7; an
 * Arabic email's HTML is right to left.
 */
import { describe, expect, it } from 'vitest';
import { templateLibrary } from '../../src/campaigns/messages.js';
import type { AnswerKind } from '../../src/feedback/replies.js';
import { sampleContext } from '../../src/messages/index.js';

const KINDS: readonly AnswerKind[] = ['confirmed', 'declined', 'moved', 'options', 'taken', 'no_options', 'who', 'no_appointment', 'not_understood'];

describe('Romanian and Arabic SMS', async () => {
  const lib = await templateLibrary();

  it('the invitation and the reminder render in ro (GSM-7) and ar (UCS-2, counted in 67-unit segments), in their own language', () => {
    for (const templateId of ['invite', 'reminder']) {
      const ro = lib.render({ templateId, channel: 'sms', context: sampleContext('ro'), defaultLanguage: 'it', sms: { transliterate: false, maxSegments: 10 } });
      expect([ro.language, ro.sms.encoding]).toEqual(['ro', 'GSM-7']);
      const ar = lib.render({ templateId, channel: 'sms', context: sampleContext('ar'), defaultLanguage: 'it', sms: { transliterate: false, maxSegments: 10 } });
      expect([ar.language, ar.sms.encoding]).toEqual(['ar', 'UCS-2']);
      expect(ar.sms.segments).toBe(ar.sms.units <= 70 ? 1 : Math.ceil(ar.sms.units / 67));
      expect(ar.text).toMatch(/[\u0600-\u06FF]/u);
    }
    // A campaign with Romanian or Arabic speakers validates at the default sms.max_segments (3).
    for (const templateId of ['invite', 'reminder']) {
      expect(lib.check({ templateId, channels: ['sms'], languages: ['ro', 'ar'], defaultLanguage: 'it', sms: { maxSegments: 3 } }), templateId).toEqual([]);
    }
    // Dates in Arabic keep Latin digits (ar-u-nu-latn), as in the Italian texts around them.
    const ar = lib.render({ templateId: 'invite', channel: 'sms', context: sampleContext('ar'), defaultLanguage: 'it' });
    expect(ar.text).toMatch(/ 1\/3 /);
    expect(ar.text).toContain('09:30');
  });

  it('every kind of answer renders in it, en, de, ro and ar', () => {
    for (const language of ['it', 'en', 'de', 'ro', 'ar']) {
      for (const kind of KINDS) {
        const base = sampleContext(language);
        const reply = { kind, options: [{ letter: 'A', start: '2021-03-02T09:30:00+01:00', center: 'Nuvola' }, { letter: 'B', start: '2021-03-03T10:00:00+01:00', center: 'Fiera' }], names: ['Mario', 'Anna'] };
        const r = lib.render({ templateId: 'reply', channel: 'sms', context: { ...base, reply } as typeof base, defaultLanguage: 'it', sms: { maxSegments: 4 } });
        expect([language, kind, r.language]).toEqual([language, kind, language]);
        expect(r.text).not.toMatch(/\{\{|undefined|\bnull\b/);
        if (kind === 'options') expect(r.text).toMatch(/A: .*B: /);
        if (kind === 'who') expect(r.text).toMatch(/Mario.+Anna/);
      }
    }
  });

  it('the invitation and reminder emails render in ro and ar, greeting by sex and name, the Arabic HTML right to left', () => {
    for (const templateId of ['invite', 'reminder']) {
      for (const [language, greeting, dir] of [['ro', /^Stimată doamnă \S+,/u, 'ltr'], ['ar', /^السيدة الفاضلة \S+،/u, 'rtl']] as const) {
        const base = sampleContext(language);
        const r = lib.render({ templateId, channel: 'email', context: { ...base, citizen: { ...base.citizen, sex: 'F' } }, defaultLanguage: 'it' });
        expect([templateId, r.language]).toEqual([templateId, language]);
        expect(r.text).toMatch(greeting);
        expect(r.html).toContain(`<html lang="${language}" dir="${dir}">`);
        expect(r.text + r.subject).not.toMatch(/\{\{|undefined|\bnull\b/);
      }
      expect(lib.check({ templateId, channels: ['email'], languages: ['ro', 'ar'], defaultLanguage: 'it' }), templateId).toEqual([]);
    }
    const it = lib.render({ templateId: 'invite', channel: 'email', context: sampleContext('it'), defaultLanguage: 'it' });
    expect(it.html).toContain('<html lang="it" dir="ltr">');
  });
});
