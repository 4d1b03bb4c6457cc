/**
 * Campaign errors say what is wrong with what: the offending value (a campaign file holds no
 * personal data), the valid choices, the nearest key for a misspelt one, and for a missing
 * template the `file:line:column` of the step that uses it with the nearest template id.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCampaign } from '../src/campaigns/check.js';
import { loadCampaign, parseCampaign } from '../src/campaigns/load.js';
import { templateLibrary } from '../src/campaigns/messages.js';
import { editDistance, nearest } from '../src/core/similar.js';
import { loadTemplates } from '../src/messages/index.js';
import { issuesOf } from './support/campaigns.js';

const TEMPLATES = join(import.meta.dirname, '..', 'templates');

const VALID = `id: c1
name: "Prima dose"
reference_date: 2021-03-01
cohort:
  age: { min: 80 }
steps:
  - id: invite
    channels: [sms, email]
    template: invite
  - id: reminder
    channels: [sms]
    template: reminder
    send: { before_appointment: { days: 1 } }
pacing:
  daily_target: 1000
`;


describe('schema errors quote the value and list the choices', () => {
  it('an unknown channel is named with the channels there are', () => {
    const issues = issuesOf(VALID.replace('[sms, email]', '[sms, pigeon]'));
    expect(issues).toEqual([{ where: 'c.yaml:8:21', message: 'steps[0].channels[1]: "pigeon" is not a channel (sms, email, voice, call, whatsapp)' }]);
  });

  it('an unknown region is quoted with the region codes', () => {
    const [issue] = issuesOf(VALID.replace('age: { min: 80 }', 'age: { min: 80 }\n  regions: [LAZ, ATLANTIS]'));
    expect(issue!.message).toMatch(/^cohort\.regions\[1\]: "ATLANTIS" is not a region code \(ABR, .*LAZ.*\)$/);
  });

  it('a number is quoted as written', () => {
    const [issue] = issuesOf(VALID.replace('daily_target: 1000', 'daily_target: -5'));
    expect(issue).toEqual({ where: 'c.yaml:15:17', message: 'pacing.daily_target: -5 must be greater than 0' });
  });

  it('a long or control-character value is cut and cleaned, never echoed raw', () => {
    const [issue] = issuesOf(VALID.replace('id: c1', `id: "BAD\\u001b[31m${'x'.repeat(200)}"`));
    expect(issue!.message).toMatch(/^id: "BAD\?\[31mx+…" must be lower-case/);
    expect(issue!.message).not.toContain('\u001b');
    expect(issue!.message.length).toBeLessThan(200);
  });
});

describe('an unknown key suggests the nearest valid one', () => {
  it('"regoins" — did you mean "regions"?', () => {
    const issues = issuesOf(VALID.replace('age: { min: 80 }', 'age: { min: 80 }\n  regoins: [LAZ]'));
    expect(issues).toEqual([{ where: 'c.yaml:6:3', message: 'unknown key "cohort.regoins" — did you mean "regions"?' }]);
  });

  it('inside a union (a step trigger) the keys of every variant are offered', () => {
    const [issue] = issuesOf(VALID.replace('before_appointment:', 'before_apointment:'));
    expect(issue!.message).toBe('unknown key "steps[1].send.before_apointment" — did you mean "before_appointment"?');
    expect(issue!.where).toBe('c.yaml:13:13');
  });

  it('inside a step, and in a nested object with defaults', () => {
    const step = issuesOf(VALID.replace('    template: invite', '    tempalte: invite')).map((i) => i.message);
    expect(step).toContain('unknown key "steps[0].tempalte" — did you mean "template"?');
    expect(step).toContain('steps[0].template is required');
    expect(issuesOf(VALID + 'appointments: { slot_minuts: 10 }\n')[0]!.message).toBe('unknown key "appointments.slot_minuts" — did you mean "slot_minutes"?');
  });

  it('a key far from every valid one gets no guess', () => {
    expect(issuesOf(VALID + 'colour: blue\n')).toEqual([{ where: 'c.yaml:16:1', message: 'unknown key "colour"' }]);
  });

  it('the distance counts a swap of neighbours as one edit', () => {
    expect(editDistance('regoins', 'regions')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(nearest('wndows', ['windows', 'steps'])).toBe('windows');
    expect(nearest('xyz', ['windows', 'steps'])).toBeNull();
  });
});

describe('a missing template is reported at the step that uses it', () => {
  it('names file:line:column of the step\'s template and the nearest template id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invito-msg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, VALID.replace('template: reminder', 'template: remindr'));
    const loaded = await loadCampaign(file);
    const issues = await checkCampaign({ campaign: loaded.campaign, file, where: loaded.where, library: await templateLibrary(TEMPLATES) });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.where).toBe(`${file}:12:15`);
    expect(issues[0]!.message).toMatch(/^steps\[1\]\.template: no sms template "remindr" in .* — did you mean "reminder"\?$/);
  });

  it('a template without the channel a step asks for names the step, and suggests a template that has it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invito-tpl-'));
    cpSync(TEMPLATES, dir, { recursive: true });
    // "invite" loses its email texts; nothing close to "invite" has one.
    for (const lang of ['it', 'en', 'de', 'fr', 'ro', 'ar']) rmSync(join(dir, 'invite', `email.${lang}.hbs`), { force: true });
    const library = await loadTemplates(dir);
    const loaded = parseCampaign(VALID, 'c.yaml');
    const issues = await checkCampaign({ campaign: loaded.campaign, file: 'c.yaml', where: loaded.where, library });
    const missing = issues.filter((i) => i.message.includes('no email template'));
    expect(missing).toHaveLength(1);
    expect(missing[0]!.where).toBe('c.yaml:9:15');
    expect(missing[0]!.message).toMatch(/^steps\[0\]\.template: no email template "invite"/);
  });
});
