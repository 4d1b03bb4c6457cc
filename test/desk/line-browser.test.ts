/**
 * The free-phone line in Chromium (Debian's, driven by playwright-core): an operator with a phone
 * signs in and says "ready for inbound"; a caller presses 3 and is bridged to them through the
 * sandbox; the operator's desk then holds the caller's card (the outbound call's screen); the
 * supervisor's line view shows the queue, the operator ready, and the hour's service level.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCampaign } from '../../src/campaigns/load.js';
import { Desk } from '../../src/desk/desk.js';
import { VOICE_PATHS } from '../../src/feedback/ivr.js';
import { citizens } from '../support/dispatch.js';
import { allSent, feedbackRig, send } from '../support/feedback.js';
import { DIALECTS } from '../support/stores.js';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'una password lunga abbastanza';
const CAMPAIGN = parseCampaign(
  `id: line
name: Prima dose
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - { id: invite, channels: [sms], template: invite }
pacing: { daily_target: 100000 }
windows: { sms: daily 00:00-24:00 }
holidays: none
sms: { max_segments: 6 }
`,
  'line.yaml',
).campaign;

describe('the free-phone line in Chromium', () => {
  const rig = feedbackRig(DIALECTS[0]!, {}, { console: true });
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`node scripts/setup.mjs --chromium\` (apt-get install chromium, as root)`);
    profile = mkdtempSync(join(tmpdir(), 'invito-chromium-line-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 800 },
      locale: 'it-IT',
      timezoneId: 'Europe/Rome',
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('an operator says ready for inbound, gets the caller and their card; the supervisor sees the queue, who is ready and the service level', { timeout: 120_000 }, async () => {
    const r = rig();
    const people = citizens(1, 1, 0, 'L').map((c) => ({ ...c, phone: '+393338800001', language: 'it' }));
    await send(r, people, CAMPAIGN, allSent(r, 'line', 1), 'the invitation sent');
    const desk = new Desk({ store: r.t.store.desk });
    await desk.addOperator({ operatorId: 'giulia', name: 'Giulia Conti', languages: ['it'], password: PASSWORD });
    await desk.addOperator({ operatorId: 'sara', name: 'Sara Neri', languages: ['it'], role: 'supervisor', password: PASSWORD });
    await r.t.store.line.setPhone('giulia', '+393471234567');
    const base = `${r.server.publicUrl}/console`;

    const page = browser.pages()[0] ?? (await browser.newPage());
    const signIn = async (id: string) => {
      await page.goto(`${base}/sign-in`);
      await page.getByLabel('Operator id').fill(id);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };
    await signIn('giulia');
    await page.waitForURL('**/console/desk');
    expect(await page.locator('#line-state').innerText()).toContain('Not taking inbound calls');
    await page.getByRole('button', { name: 'Ready for inbound' }).click();
    await page.waitForURL('**/console/desk');
    expect(await page.locator('#line-state').innerText()).toMatch(/Ready for inbound on …567/);

    const call = await r.sandbox.ring({ webhookUrl: `${r.server.publicUrl}${VOICE_PATHS.inbound}`, from: '+393338800001', keys: ['3'] });
    expect(call.queue?.result).toBe('bridged');
    await page.reload();
    // The call is a task leased to her: its card is the outbound call's screen.
    await page.getByRole('link', { name: /Return to task line-CA/ }).click();
    await page.waitForURL('**/console/calls/line-CA*');
    expect(await page.locator('h2.name').innerText()).toBe('Anna Rossi');
    await page.getByRole('button', { name: 'Sign out' }).click();

    await signIn('sara');
    await page.waitForURL('**/console/supervisor');
    await page.getByRole('link', { name: 'Line', exact: true }).click();
    await page.waitForURL('**/console/supervisor/line');
    const queue = page.locator('#line-queues tr[data-queue="it"] td');
    expect(await queue.allInnerTexts()).toEqual(['it', '0', '0', '1', '0']);
    const hour = page.locator('#line-hours tbody tr').last().locator('td');
    expect((await hour.allInnerTexts()).slice(1)).toEqual(['1', '1', '1', '100%']);
    expect(await page.locator('#line-operators').innerText()).toMatch(/giulia\s+it\s+ready/);
  });
});
