import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvitoError } from '../../src/core/errors.js';
import { loadTemplates, type TemplateLibrary } from '../../src/messages/index.js';
import { CITIZEN, context, templateFolder } from './fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function library(files: Record<string, string>): Promise<TemplateLibrary> {
  const folder = await templateFolder(files);
  cleanups.push(folder.remove);
  return loadTemplates(folder.dir);
}

async function loadError(files: Record<string, string>): Promise<InvitoError> {
  const folder = await templateFolder(files);
  cleanups.push(folder.remove);
  const error = await loadTemplates(folder.dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvitoError);
  return error as InvitoError;
}

function renderError(fn: () => unknown): InvitoError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvitoError);
    return e as InvitoError;
  }
  throw new Error('expected the render to throw');
}

const EMAIL = (subject: string, text: string, html: string): string => `---\nsubject: ${subject}\n---\n${text}\n--- html ---\n${html}\n`;

describe('strict variables', () => {
  it('fails a render that reads a missing variable with TEMPLATE_MISSING_VARIABLE naming template, variable and citizen id, not the name', async () => {
    const lib = await library({ 'x/sms.it.hbs': 'Ciao {{citizen.given_name}}, {{citizen.nickname}}' });
    const err = renderError(() => lib.render({ templateId: 'x', channel: 'sms', context: context(), defaultLanguage: 'it' }));
    expect(err.code).toBe('TEMPLATE_MISSING_VARIABLE');
    expect(err.message).toContain('x/sms.it');
    expect(err.message).toContain('citizen.nickname');
    expect(err.message).toContain(CITIZEN.citizen_id);
    for (const personal of ['Mario', 'Rossi', 'MARIO', '1950-06-15']) expect(err.message).not.toContain(personal);
    expect(err.issues[0]?.where).toMatch(/x\/sms\.it\.hbs:1:32$/);
  });

  it('fails on a missing variable in a branch this citizen does not take, so every citizen gets the same verdict', async () => {
    const lib = await library({ 'x/sms.it.hbs': '{{#if (eq citizen.sex "X")}}{{citizen.pronoun}}{{/if}}ok' });
    const err = renderError(() => lib.render({ templateId: 'x', channel: 'sms', context: context({ sex: 'M' }), defaultLanguage: 'it' }));
    expect(err.code).toBe('TEMPLATE_MISSING_VARIABLE');
    expect(err.message).toContain('citizen.pronoun');
  });

  it('fails on a missing variable used only as a helper argument or an #if condition', async () => {
    const lib = await library({ 'x/sms.it.hbs': '{{#if appointment.room}}{{date appointment.when}}{{/if}}' });
    const err = renderError(() => lib.render({ templateId: 'x', channel: 'sms', context: context(), defaultLanguage: 'it' }));
    expect(err.issues.map((i) => i.message)).toEqual(['variable appointment.room is not defined', 'variable appointment.when is not defined']);
  });

  it('lets {{#if}} test optional data that is present but null (names unknown, no appointment)', async () => {
    const lib = await library({
      'x/sms.it.hbs': '{{#if citizen.given_name}}Ciao {{citizen.given_name}}{{else}}Buongiorno{{/if}}{{#if appointment.present}} il {{date appointment.start}}{{/if}}.',
    });
    const ctx = context({ given_name: null }, { start: null });
    expect(lib.render({ templateId: 'x', channel: 'sms', context: ctx, defaultLanguage: 'it' }).text).toBe('Buongiorno.');
  });

  it('refuses to format a null appointment start, naming the variable', async () => {
    const lib = await library({ 'x/sms.it.hbs': 'Il {{date appointment.start "full"}}' });
    const err = renderError(() => lib.render({ templateId: 'x', channel: 'sms', context: context({}, { start: null }), defaultLanguage: 'it' }));
    expect(err.code).toBe('TEMPLATE_MISSING_VARIABLE');
    expect(err.message).toContain('appointment.start');
    expect(err.message).toMatch(/x\/sms\.it\.hbs:1:4/);
  });

  it('reports a missing variable inside a partial with the partial file and line', async () => {
    const lib = await library({ 'partials/footer.hbs': 'line one\n{{campaign.signature}}\n', 'x/sms.it.hbs': 'Ciao {{> footer}}' });
    const err = renderError(() => lib.render({ templateId: 'x', channel: 'sms', context: context(), defaultLanguage: 'it' }));
    expect(err.message).toContain('campaign.signature');
    expect(err.message).toMatch(/partials\/footer\.hbs:2:3/);
  });
});

describe('language fallback', () => {
  const files = { 'x/sms.it.hbs': 'italiano', 'x/sms.en.hbs': 'english' };

  it("uses the citizen's language when the template exists in it", async () => {
    const lib = await library(files);
    const msg = lib.render({ templateId: 'x', channel: 'sms', context: context({ language: 'en' }), defaultLanguage: 'it' });
    expect([msg.language, msg.text]).toEqual(['en', 'english']);
  });

  it("falls back from the citizen's language to the campaign default, then to Italian", async () => {
    const lib = await library(files);
    const de = context({ language: 'de' });
    expect(lib.render({ templateId: 'x', channel: 'sms', context: de, defaultLanguage: 'en' }).language).toBe('en');
    expect(lib.render({ templateId: 'x', channel: 'sms', context: de, defaultLanguage: 'fr' }).language).toBe('it');
  });

  it('falls back from a regional tag to its language (de-AT → de, EN → en)', async () => {
    const lib = await library({ 'x/sms.de.hbs': 'deutsch' });
    expect(lib.resolveLanguage('x', 'sms', 'de-AT', 'it')).toBe('de');
    expect(lib.resolveLanguage('x', 'sms', 'fr', 'DE')).toBe('de');
  });

  it('fails with TEMPLATE_LANGUAGE_MISSING when no language in the chain exists', async () => {
    const lib = await library({ 'x/sms.de.hbs': 'deutsch' });
    const err = renderError(() => lib.render({ templateId: 'x', channel: 'sms', context: context({ language: 'fr' }), defaultLanguage: 'en' }));
    expect(err.code).toBe('TEMPLATE_LANGUAGE_MISSING');
  });

  it('fails with TEMPLATE_NOT_FOUND for a template or channel that does not exist', async () => {
    const lib = await library(files);
    expect(renderError(() => lib.render({ templateId: 'nope', channel: 'sms', context: context(), defaultLanguage: 'it' })).code).toBe('TEMPLATE_NOT_FOUND');
    expect(renderError(() => lib.render({ templateId: 'x', channel: 'voice', context: context(), defaultLanguage: 'it' })).code).toBe('TEMPLATE_NOT_FOUND');
  });
});

describe('campaign check', () => {
  it('reports a language that neither the template, the default nor Italian covers', async () => {
    const lib = await library({ 'x/sms.de.hbs': 'deutsch', 'x/email.de.hbs': EMAIL('Betreff', 'Text', '<p>Text</p>') });
    const issues = lib.check({ templateId: 'x', channels: ['sms', 'email'], languages: ['de', 'fr'], defaultLanguage: 'de' });
    expect(issues).toEqual([]);
    const uncovered = lib.check({ templateId: 'x', channels: ['sms'], languages: ['de', 'fr'], defaultLanguage: 'fr' });
    expect(uncovered.map((i) => [i.code, i.where])).toEqual([['TEMPLATE_LANGUAGE_MISSING', 'x/sms.fr']]);
  });

  it('accepts a language covered by fallback (fr citizens get the Italian text)', async () => {
    const lib = await library({ 'x/sms.it.hbs': 'italiano' });
    expect(lib.check({ templateId: 'x', channels: ['sms'], languages: ['fr'], defaultLanguage: 'de' })).toEqual([]);
  });

  it('reports a channel without the template', async () => {
    const lib = await library({ 'x/sms.it.hbs': 'italiano' });
    const issues = lib.check({ templateId: 'x', channels: ['sms', 'voice'], languages: ['it'], defaultLanguage: 'it' });
    expect(issues.map((i) => [i.code, i.where])).toEqual([['TEMPLATE_NOT_FOUND', 'x/voice']]);
  });

  it('reports every missing variable with file and line, branches not taken included', async () => {
    const lib = await library({ 'x/sms.it.hbs': 'Ciao {{citizen.nick}}\n{{#if (eq citizen.sex "Z")}}{{campaign.slogan}}{{/if}}' });
    const issues = lib.check({ templateId: 'x', channels: ['sms'], languages: ['it'], defaultLanguage: 'it' });
    expect(issues.map((i) => i.code)).toEqual(['TEMPLATE_MISSING_VARIABLE', 'TEMPLATE_MISSING_VARIABLE']);
    expect(issues[0]?.where).toMatch(/x\/sms\.it\.hbs:1:8$/);
    expect(issues[1]?.where).toMatch(/x\/sms\.it\.hbs:2:31$/);
  });

  it('reports a helper that cannot serve the language (greeting in French)', async () => {
    const lib = await library({ 'x/sms.fr.hbs': '{{greeting citizen}}' });
    const issues = lib.check({ templateId: 'x', channels: ['sms'], languages: ['fr'], defaultLanguage: 'fr' });
    expect(issues.map((i) => i.code)).toEqual(['TEMPLATE_LANGUAGE_MISSING']);
  });

  it('reports an SMS longer than the campaign allows, once per template', async () => {
    const lib = await library({ 'x/sms.it.hbs': `{{citizen.full_name}} ${'a'.repeat(300)}` });
    const issues = lib.check({ templateId: 'x', channels: ['sms'], languages: ['it'], defaultLanguage: 'it', sms: { maxSegments: 2 } });
    expect(issues.map((i) => [i.code, i.where])).toEqual([['SMS_TOO_LONG', 'x/sms.it']]);
  });
});

describe('escaping', () => {
  const files = {
    'x/email.it.hbs': EMAIL('Per {{citizen.full_name}} da {{campaign.name}}', '{{citizen.full_name}} & {{campaign.name}}', '<p>{{citizen.full_name}} {{campaign.name}}</p>'),
    'x/sms.it.hbs': '{{citizen.full_name}}: {{campaign.name}}',
    'x/voice.it.hbs': '{{campaign.name}}',
  };
  const evil = context({ family_name: '<script>alert(1)</script>' }, { campaignName: 'Salute & Prevenzione "2021"' });

  it('escapes values in the email HTML part', async () => {
    const lib = await library(files);
    const msg = lib.render({ templateId: 'x', channel: 'email', context: evil, defaultLanguage: 'it' });
    expect(msg.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(msg.html).toContain('Salute &amp; Prevenzione &quot;2021&quot;');
    expect(msg.html).not.toContain('<script>');
  });

  it('does not escape SMS, voice, email subject and email text', async () => {
    const lib = await library(files);
    const email = lib.render({ templateId: 'x', channel: 'email', context: evil, defaultLanguage: 'it' });
    expect(email.subject).toBe('Per Mario <script>alert(1)</script> da Salute & Prevenzione "2021"');
    expect(email.text).toBe('Mario <script>alert(1)</script> & Salute & Prevenzione "2021"');
    const sms = lib.render({ templateId: 'x', channel: 'sms', context: evil, defaultLanguage: 'it' });
    expect(sms.text).toBe('Mario <script>alert(1)</script>: Salute & Prevenzione "2021"');
    expect(lib.render({ templateId: 'x', channel: 'voice', context: evil, defaultLanguage: 'it' }).text).toBe('Salute & Prevenzione "2021"');
  });
});

describe('SMS finishing', () => {
  it("transliterates a name that would force UCS-2, unless the campaign turns it off", async () => {
    const lib = await library({ 'x/sms.it.hbs': 'Gentile {{citizen.full_name}}' });
    const ctx = context({ given_name: 'ZOË', family_name: 'NÚÑEZ' });
    const on = lib.render({ templateId: 'x', channel: 'sms', context: ctx, defaultLanguage: 'it' });
    expect(on.text).toBe('Gentile Zoe Nùñez');
    expect(on.sms.encoding).toBe('GSM-7');
    const off = lib.render({ templateId: 'x', channel: 'sms', context: ctx, defaultLanguage: 'it', sms: { transliterate: false } });
    expect(off.text).toBe('Gentile Zoë Núñez');
    expect(off.sms.encoding).toBe('UCS-2');
  });

  it('fails with SMS_TOO_LONG above the segment limit', async () => {
    const lib = await library({ 'x/sms.it.hbs': 'a'.repeat(161) });
    const err = renderError(() => lib.render({ templateId: 'x', channel: 'sms', context: context(), defaultLanguage: 'it', sms: { maxSegments: 1 } }));
    expect(err.code).toBe('SMS_TOO_LONG');
    expect(err.message).toContain(CITIZEN.citizen_id);
  });

  it('rejects a segment limit below one as CONFIG_INVALID instead of failing every SMS', async () => {
    const lib = await library({ 'x/sms.it.hbs': 'ciao' });
    const err = renderError(() => lib.render({ templateId: 'x', channel: 'sms', context: context(), defaultLanguage: 'it', sms: { maxSegments: 0 } }));
    expect(err.code).toBe('CONFIG_INVALID');
  });

  it('trims the line break every template file ends with (it would cost a septet)', async () => {
    const lib = await library({ 'x/sms.it.hbs': 'ciao\n' });
    expect(lib.render({ templateId: 'x', channel: 'sms', context: context(), defaultLanguage: 'it' }).sms.units).toBe(4);
  });
});

describe('helpers in templates', () => {
  it('formats the appointment in the language of the template, in the campaign zone', async () => {
    const lib = await library({
      'x/sms.it.hbs': '{{date appointment.start "full"}} {{time appointment.start}}',
      'x/sms.de.hbs': '{{date appointment.start "full"}} {{time appointment.start}}',
      'x/sms.en.hbs': '{{datetime appointment.start "long"}}',
    });
    const at = (language: string) =>
      lib.render({ templateId: 'x', channel: 'sms', context: context({ language }, { start: '2021-03-28T07:30:00Z' }), defaultLanguage: 'it', sms: { transliterate: false } }).text;
    expect(at('it')).toBe('domenica 28 marzo 2021 09:30');
    expect(at('de')).toBe('Sonntag, 28. März 2021 09:30');
    expect(at('en')).toBe('28 March 2021 at 09:30');
  });

  it('chooses by value with a fallback, and supplies defaults for null', async () => {
    const lib = await library({ 'x/sms.it.hbs': '{{choose citizen.sex "M" "signore" "F" "signora" "persona"}} {{default citizen.given_name "cittadino"}}' });
    const render = (sex: 'M' | 'F' | 'X' | null) =>
      lib.render({ templateId: 'x', channel: 'sms', context: context({ sex, given_name: null }), defaultLanguage: 'it' }).text;
    expect([render('M'), render('F'), render('X'), render(null)]).toEqual(['signore cittadino', 'signora cittadino', 'persona cittadino', 'persona cittadino']);
  });

  it('greets by the citizen recorded sex, title-casing registry names', async () => {
    const lib = await library({ 'x/sms.it.hbs': '{{greeting citizen}}, {{titlecase "DELL\'ACQUA"}}' });
    const render = (sex: 'M' | 'F' | 'X' | null) =>
      lib.render({ templateId: 'x', channel: 'sms', context: context({ sex }), defaultLanguage: 'it' }).text;
    expect(render('F')).toBe("Gentile Signora Rossi, Dell'Acqua");
    expect(render('X')).toBe("Gentile Mario Rossi, Dell'Acqua");
  });
});

describe('loading', () => {
  it('compiles once: rendering works after the template folder is deleted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'invito-templates-'));
    await cp(join(import.meta.dirname, '../../templates'), dir, { recursive: true });
    const lib = await loadTemplates(dir);
    await rm(dir, { recursive: true, force: true });
    const sms = lib.render({ templateId: 'invite', channel: 'sms', context: context(), defaultLanguage: 'it' });
    const email = lib.render({ templateId: 'invite', channel: 'email', context: context(), defaultLanguage: 'it' });
    expect(sms.text).toContain('Centro vaccinale Nuvola');
    expect(email.html).toContain('Centro vaccinale Nuvola');
  });

  it('reports a syntax error as TEMPLATE_SYNTAX with file and line', async () => {
    const err = await loadError({ 'x/sms.it.hbs': 'line one\n{{#if citizen.sex}}x{{/iff}}' });
    expect(err.code).toBe('TEMPLATE_SYNTAX');
    expect(err.issues[0]?.where).toMatch(/x\/sms\.it\.hbs:2:\d+$/);
  });

  it('gives file lines, not part lines, for an error in the HTML part of an email', async () => {
    const err = await loadError({ 'x/email.it.hbs': EMAIL('Oggetto', 'testo\nsu due righe', '<p>\n{{citizen.full_name</p>') });
    expect(err.issues[0]?.where).toMatch(/x\/email\.it\.hbs:8(:\d+)?$/);
  });

  it('reports every problem at once: unknown helper, bad style, choose without fallback, missing partial', async () => {
    const err = await loadError({
      'x/sms.it.hbs': '{{shout citizen.full_name}}',
      'x/voice.it.hbs': '{{date appointment.start "sometime"}}',
      'x/call.it.hbs': '{{choose citizen.sex "M" "signore"}}',
      'y/sms.it.hbs': '{{> missing}}',
    });
    expect(err.code).toBe('TEMPLATE_SYNTAX');
    expect(err.issues.map((i) => (i as { code?: string }).code).sort()).toEqual(['TEMPLATE_NOT_FOUND', 'TEMPLATE_SYNTAX', 'TEMPLATE_SYNTAX', 'TEMPLATE_SYNTAX']);
    const messages = err.issues.map((i) => i.message).join('\n');
    for (const expected of ['unknown helper "shout"', 'style must be one of', 'helper "choose" takes', 'partial "missing" not found']) {
      expect(messages).toContain(expected);
    }
  });

  it('requires the email layout: front matter with subject, then text, then --- html ---', async () => {
    expect((await loadError({ 'x/email.it.hbs': 'no front matter' })).code).toBe('TEMPLATE_SYNTAX');
    expect((await loadError({ 'x/email.it.hbs': '---\nsubject: Ciao\n---\ntesto senza html\n' })).issues[0]?.message).toContain('--- html ---');
    expect((await loadError({ 'x/email.it.hbs': '---\nsubject: Ciao\nfrom: x@y\n---\nt\n--- html ---\nh\n' })).issues[0]?.message).toContain('from');
  });

  it('rejects a file name that is not <channel>.<lang>.hbs', async () => {
    const err = await loadError({ 'x/fax.it.hbs': 'x' });
    expect(err.issues[0]?.where).toMatch(/x\/fax\.it\.hbs$/);
  });

  it('fails with FILE_UNREADABLE for a folder that does not exist', async () => {
    await expect(loadTemplates(join(tmpdir(), 'invito-no-such-folder'))).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
  });

  it('lists templates and languages', async () => {
    const lib = await library({ 'b/sms.it.hbs': '1', 'b/sms.de.hbs': '2', 'a/call.en.hbs': '3', 'partials/p.hbs': 'p' });
    expect(lib.templateIds()).toEqual(['a', 'b']);
    expect(lib.languages('b', 'sms')).toEqual(['de', 'it']);
    expect(lib.has('a', 'call', 'en')).toBe(true);
    expect(lib.has('a', 'sms', 'en')).toBe(false);
  });
});
