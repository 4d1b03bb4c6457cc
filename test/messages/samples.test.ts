import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplates, sampleContext, type Channel, type MessageContext, type TemplateLibrary } from '../../src/messages/index.js';

const TEMPLATES = join(import.meta.dirname, '../../templates');
const LANGUAGES = ['it', 'en', 'de'] as const;
// The templates the product ships, by channel (see templates/README.md).
const SHIPPED: Record<string, readonly Channel[]> = {
  invite: ['sms', 'email', 'voice', 'call'],
  reminder: ['sms', 'email', 'voice'],
  followup: ['sms', 'email', 'call'],
  'call-script': ['call'],
};

let lib: TemplateLibrary;
beforeAll(async () => {
  lib = await loadTemplates(TEMPLATES);
});

const variants = (language: string): MessageContext[] => {
  const base = sampleContext(language);
  return [
    base,
    { ...base, citizen: { ...base.citizen, sex: 'M' } },
    { ...base, citizen: { ...base.citizen, sex: 'X' } },
    { ...base, citizen: { ...base.citizen, sex: null, given_name: null, family_name: null, full_name: '' } },
    { ...base, appointment: { present: false, center: { name: '', address: '', municipality: '' }, start: null } },
  ];
};

describe('shipped templates', () => {
  it('exist for every channel the product uses, in Italian, English and German; invite, reminder and reply SMS and the invite and reminder emails also in Romanian and Arabic', () => {
    const more = new Set(['invite/sms', 'reminder/sms', 'invite/email', 'reminder/email']);
    for (const [id, channels] of Object.entries(SHIPPED)) {
      for (const channel of channels) expect(lib.languages(id, channel), `${id}/${channel}`).toEqual(more.has(`${id}/${channel}`) ? ['ar', 'de', 'en', 'it', 'ro'] : ['de', 'en', 'it']);
    }
    expect(lib.languages('reply', 'sms')).toEqual(['ar', 'de', 'en', 'it', 'ro']);
  });

  it('pass the campaign check in it/en/de with SMS held to two segments for the sample citizens', () => {
    for (const [templateId, channels] of Object.entries(SHIPPED)) {
      const issues = lib.check({ templateId, channels, languages: [...LANGUAGES], defaultLanguage: 'it', sms: { maxSegments: 2 } });
      expect(issues, templateId).toEqual([]);
    }
  });

  it("measure SMS length with the campaign's own link base when a sample context is given", () => {
    const sample = sampleContext('it', 'https://prenotazioni.vaccinazioni.regione.example.it');
    // One segment with the short sample base; a long public URL pushes it to a second one.
    expect(lib.check({ templateId: 'invite', channels: ['sms'], languages: ['it'], defaultLanguage: 'it', sms: { maxSegments: 1 } })).toEqual([]);
    const issues = lib.check({ templateId: 'invite', channels: ['sms'], languages: ['it'], defaultLanguage: 'it', sms: { maxSegments: 1 }, sample });
    expect(issues.map((i) => [i.code, i.where])).toEqual([['SMS_TOO_LONG', 'invite/sms.it']]);
  });

  it('render fully in every language: no unfilled placeholder, no "undefined" or "null", a subject and an HTML part for email', () => {
    for (const [templateId, channels] of Object.entries(SHIPPED)) {
      for (const channel of channels) {
        for (const language of LANGUAGES) {
          // Templates that need an appointment are only rendered with one.
          const contexts = templateId === 'followup' || templateId === 'call-script' ? variants(language) : variants(language).slice(0, 4);
          for (const context of contexts) {
            const msg = lib.render({ templateId, channel, context, defaultLanguage: 'it' });
            const label = `${templateId}/${channel}.${language}`;
            expect(msg.language, label).toBe(language);
            const all = msg.channel === 'email' ? `${msg.subject}\n${msg.text}\n${msg.html}` : msg.text;
            expect(all, label).not.toMatch(/\{\{|\}\}|undefined|null|NaN/);
            if (msg.channel === 'email') {
              expect(msg.subject.length, label).toBeGreaterThan(10);
              expect(msg.html, label).toContain(`<html lang="${language}" dir="ltr">`);
              expect(msg.html, label).toContain(context.links.optout);
            }
          }
        }
      }
    }
  });

  it('keep the Italian invitation SMS in GSM-7 and in one segment, saying who writes, when, where and how to answer, without transliteration', () => {
    for (const context of variants('it').slice(0, 4)) {
      const msg = lib.render({ templateId: 'invite', channel: 'sms', context, defaultLanguage: 'it', sms: { transliterate: false } });
      expect(msg.sms.encoding).toBe('GSM-7');
      expect(msg.sms.segments).toBe(1);
      expect(msg.text).toMatch(/^SSN: vaccino lun 1\/3 09:30, Centro vaccinale Fiera di Roma, Via Portuense 1645\. Risponda SI, NO o CAMBIA /);
      expect(msg.text.endsWith(context.links.page)).toBe(true);
    }
  });

  it('write every SMS with GSM-7 characters only, so transliteration is needed for names alone', () => {
    for (const templateId of ['invite', 'reminder', 'followup']) {
      for (const language of LANGUAGES) {
        for (const context of variants(language)) {
          if (templateId !== 'followup' && !context.appointment.present) continue;
          const msg = lib.render({ templateId, channel: 'sms', context, defaultLanguage: 'it', sms: { transliterate: false } });
          expect(msg.sms.encoding, `${templateId}/sms.${language}`).toBe('GSM-7');
        }
      }
    }
  });

  it('speak dates and times in voice calls as a speaker says them', () => {
    const spoken = { it: ['lunedì primo marzo', '9 e 30'], en: ['Monday the 1st of March', '9:30 am'], de: ['Montag, den 1. März', '9 Uhr 30'] };
    for (const language of LANGUAGES) {
      const text = lib.render({ templateId: 'invite', channel: 'voice', context: sampleContext(language), defaultLanguage: 'it' }).text;
      for (const phrase of spoken[language]) expect(text).toContain(phrase);
      expect(text).not.toContain('2021');
    }
  });

  it('check identity by name only in call scripts and never read out the birth date', () => {
    const context = sampleContext('it');
    const text = lib.render({ templateId: 'call-script', channel: 'call', context, defaultLanguage: 'it' }).text;
    expect(text).toContain("Parlo con la Signora Maria Grazia Dell'Acqua?");
    expect(text).not.toContain('1941');
  });

  it('offer a slot request instead of an appointment in follow-ups to people without one', () => {
    const context = variants('it')[4] as MessageContext;
    const sms = lib.render({ templateId: 'followup', channel: 'sms', context, defaultLanguage: 'it' });
    expect(sms.text).toContain('Se desidera vaccinarsi');
    expect(sms.text).not.toContain('Vaccinazione:');
  });
});
