/**
 * One segment (issue 13, item 2): the default Italian invitation SMS fits one GSM-7 segment for
 * at least 90% of a registry `invito generate citizens` makes, at real centre names — measured by
 * `invito plan` (the share it prints), and the same texts counted again by split-sms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import splitSms from 'split-sms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign } from '../../src/campaigns/load.js';
import { contextFor, provisionalStart, templateLibrary } from '../../src/campaigns/messages.js';
import { cohortQuery } from '../../src/cohort/criteria.js';
import { analyseSms } from '../../src/messages/index.js';
import { KyselyStore } from '../../src/store/index.js';
import { DateTime } from 'luxon';
import { built, runCli } from '../support/cli.js';

const CAMPAIGN = join(import.meta.dirname, '../../campaigns/over80-dose1.yaml');

describe.skipIf(!built)('the Italian invitation SMS in one segment', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-one-segment-'));
    db = join(dir, 'invito.db');
    for (const args of [
      ['generate', 'citizens', '--count', '8000', '--out', join(dir, 'c.csv')],
      ['generate', 'centers', '--out', join(dir, 'k.csv')],
      ['--db', db, 'import', 'centers', join(dir, 'k.csv')],
      ['--db', db, 'import', 'citizens', join(dir, 'c.csv')],
    ]) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('plan prints the share of one-segment invitations: at least 90% at the default public URL', async () => {
    const r = await runCli(['--db', db, 'plan', CAMPAIGN, '--json']);
    expect(r.code).toBe(0);
    const invite = JSON.parse(r.stdout).steps.find((s: { step: string }) => s.step === 'invite');
    expect(invite.sms.oneSegmentShare).toBeGreaterThanOrEqual(0.9);
    const text = await runCli(['--db', db, 'plan', CAMPAIGN]);
    expect(text.stdout).toMatch(/SMS in one segment: (9\d|100)\.\d%/);
  });

  it('split-sms counts the same segments for the invitations of 200 cohort members at their centres, and 90% or more in one', async () => {
    const store = await KyselyStore.open(db);
    try {
      const campaign = (await loadCampaign(CAMPAIGN)).campaign;
      const library = await templateLibrary();
      const sample = await store.campaigns.cohortSample(cohortQuery(campaign, campaign.reference_date), 200, ['it']);
      expect(sample.length).toBeGreaterThanOrEqual(100);
      const from = DateTime.fromISO(campaign.reference_date, { zone: campaign.timezone });
      let one = 0;
      for (const citizen of sample) {
        const center = await store.campaigns.centerFor(citizen);
        if (!center) continue;
        const context = contextFor({ campaign, stepId: 'invite', citizen, center, start: provisionalStart(center, campaign, from) });
        const { text } = library.render({ templateId: 'invite', channel: 'sms', context, defaultLanguage: 'it', sms: { maxSegments: 10 } });
        const theirs = splitSms.split(text).parts.length;
        expect([text, analyseSms(text).segments]).toEqual([text, theirs]);
        if (theirs === 1) one++;
      }
      expect(one / sample.length).toBeGreaterThanOrEqual(0.9);
    } finally {
      await store.close();
    }
  });
});
