import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCampaign } from '../src/campaigns/check.js';
import { parseCampaign } from '../src/campaigns/load.js';
import { templateLibrary } from '../src/campaigns/messages.js';
import { planCampaign } from '../src/pacer/plan.js';
import { preview } from '../src/campaigns/preview.js';
import { InvitoError } from '../src/core/errors.js';
import { loadTemplates } from '../src/messages/index.js';
import type { CitizenRecord } from '../src/registry/store.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const TEMPLATES = join(import.meta.dirname, '..', 'templates');

const campaignText = (extra = '') => `id: c1
name: "Prima dose"
reference_date: 2021-03-01
cohort:
  age: { min: 80 }
steps:
  - id: invite
    channels: [sms, email, call]
    template: invite
pacing: { daily_target: 1000 }
${extra}`;

function person(id: string, extra: Partial<CitizenRecord> = {}): CitizenRecord {
  return {
    citizen_id: id, given_name: 'Anna', family_name: 'Rossi', birth_date: '1935-04-02', sex: 'F', phone: '+393331234567', email: null,
    language: 'it', region: 'LAZ', asl: 'RM1', municipality: 'Roma', doses: 0, last_dose_date: null, opt_out: false,
    priority_groups: [], line: 1, ...extra,
  };
}

const CENTER = {
  center_id: 'LAZ-0001', name: 'Nuvola', region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: 'Viale Asia 40',
  daily_capacity: 375, opening: 'mon-sat 08:00-20:00', catchment: ['RM1'], line: 2,
};

describe('template checks without a registry', () => {
  it('a template missing in every fallback language is an error naming template, channel and language', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invito-tpl-'));
    cpSync(TEMPLATES, dir, { recursive: true });
    rmSync(join(dir, 'invite', 'email.it.hbs'));
    const library = await loadTemplates(dir);
    const { campaign } = parseCampaign(campaignText(), 'c1.yaml');
    const issues = await checkCampaign({ campaign, file: 'c1.yaml', library });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map((i) => i.message).join('\n')).toMatch(/email template "invite" in it\b/);
  });

  it('the shipped sample campaign and templates are sound', async () => {
    const { campaign } = parseCampaign(campaignText(), 'c1.yaml');
    expect(await checkCampaign({ campaign, file: 'c1.yaml', library: await templateLibrary(TEMPLATES) })).toEqual([]);
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`campaign messages on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
      await t.store.registry.writeCenters('seed', [CENTER]);
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('validate renders the longest names in the registry and fails when an SMS passes max_segments', async () => {
      const long = 'Maria Addolorata Immacolata Concetta Assunta';
      await t.store.registry.writeCitizens('seed', [
        person('ok1'),
        person('long1', { given_name: long, family_name: "Dell'Acqua Bianchi Lo Giudice Santangelo Di Pietrantonio Castelnuovo Della Valle" }),
      ]);
      const library = await templateLibrary(TEMPLATES);
      // The invitation SMS names nobody (one segment); the reminder greets the citizen by name.
      const byName = (extra: string) => campaignText(extra).replace('channels: [sms, email, call]\n    template: invite', 'channels: [sms]\n    template: reminder');
      const strict = parseCampaign(byName('sms: { max_segments: 2 }'), 'c1.yaml').campaign;
      const issues = await checkCampaign({ campaign: strict, file: 'c1.yaml', library, store: t.store.campaigns });
      expect(issues).toHaveLength(1);
      expect(issues[0]!.message).toMatch(/citizen long1 needs [3-9] segments, more than sms\.max_segments 2/);
      expect(issues[0]!.message).not.toContain('Addolorata'); // ids only, never names
      const lenient = parseCampaign(byName('sms: { max_segments: 6 }'), 'c1.yaml').campaign;
      expect(await checkCampaign({ campaign: lenient, file: 'c1.yaml', library, store: t.store.campaigns })).toEqual([]);
    });

    it('plan assigns each citizen the first channel that reaches them and prices the SMS', async () => {
      await t.store.registry.writeCitizens('seed', [
        person('sms1'),
        person('sms2', { email: 'a@example.com' }),
        person('mail1', { phone: null, email: 'b@example.com' }),
        person('call1', { phone: null }),
      ]);
      const { campaign } = parseCampaign(campaignText('sms: { price_per_segment: 0.05 }'), 'c1.yaml');
      const plan = await planCampaign(t.store, campaign, await templateLibrary(TEMPLATES));
      expect(plan.steps).toHaveLength(1);
      const step = plan.steps![0]!;
      expect(step.byChannel).toEqual({ sms: 2, email: 1, voice: 0, call: 1, none: 0 });
      expect(step.sms!.messages).toBe(2);
      expect(step.sms!.segmentsPerMessage).toBeGreaterThanOrEqual(1);
      expect(step.sms!.segments).toBe(Math.round(step.sms!.segmentsPerMessage * 2));
      expect(step.sms!.cost).toBeCloseTo(step.sms!.segments * 0.05, 2);
      expect(plan.smsCost).toBe(step.sms!.cost);
    });

    it('preview shows each channel in the citizen language, SMS with encoding and segments, email with its parts', async () => {
      await t.store.registry.writeCitizens('seed', [person('de1', { language: 'de', given_name: 'JÜRGEN', family_name: 'MÜLLER', sex: 'M', email: 'j@example.com' })]);
      const { campaign } = parseCampaign(campaignText(), 'c1.yaml');
      const p = await preview({ campaign, library: await templateLibrary(TEMPLATES), store: t.store.campaigns, citizenId: 'de1' });
      expect(p.appointment).toMatchObject({ center: 'LAZ-0001' });
      expect(p.messages.map((m) => [m.channel, m.language])).toEqual([['sms', 'de'], ['email', 'de'], ['call', 'de']]);
      const sms = p.messages[0]!;
      expect(sms).toMatchObject({ channel: 'sms', encoding: 'GSM-7' });
      if (sms.channel !== 'sms') throw new Error('unreachable');
      expect(sms.text).toMatch(/^SSN: Impfung /);
      expect(sms.segments).toBeGreaterThanOrEqual(1);
      const email = p.messages[1]!;
      if (email.channel !== 'email') throw new Error('unreachable');
      expect(email.text).toContain('Müller');
      expect(email.subject.length).toBeGreaterThan(0);
      expect(email.html).toContain('<');
      expect(email.text).not.toContain('<p>');
    });

    it('preview of an unknown citizen is CITIZEN_NOT_FOUND', async () => {
      const { campaign } = parseCampaign(campaignText(), 'c1.yaml');
      const err = await preview({ campaign, library: await templateLibrary(TEMPLATES), store: t.store.campaigns, citizenId: 'nobody' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvitoError);
      expect((err as InvitoError).code).toBe('CITIZEN_NOT_FOUND');
    });
  });
}
