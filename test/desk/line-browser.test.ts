/**
 * The free-phone line in Chromium (Debian's, driven by playwright-core): an operator with a phone
 * signs in and says "ready for inbound"; a caller presses 3 and is bridged to them through the
 * sandbox; the operator's desk then holds the caller's card (the outbound call's screen); the
 * supervisor's line view shows the queue, the operator ready, and the hour's service level; a
 * caller nobody identified gets the operator's "not identified" screen; stopping takes her off the line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../src/desk/desk.js';
import { VOICE_PATHS } from '../../src/feedback/ivr.js';
import { citizens } from '../support/dispatch.js';
import { allSent, feedbackRig, send, smsCampaign } from '../support/feedback.js';
import { launchChromium } from '../support/browser.js';
import { DIALECTS } from '../support/stores.js';

const PASSWORD = 'una password lunga abbastanza';
const CAMPAIGN = smsCampaign('line');

describe('the free-phone line in Chromium', () => {
  const rig = feedbackRig(DIALECTS[0]!, {}, { console: true });
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'invito-chromium-line-'));
    browser = await launchChromium(profile, {
      viewport: { width: 1280, height: 800 },
      locale: 'it-IT',
      timezoneId: 'Europe/Rome',
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('an operator says ready for inbound, gets the caller and their card; the supervisor sees the queue, who is ready and the service level; an unidentified caller and stopping', { timeout: 120_000 }, async () => {
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
    await page.getByRole('button', { name: 'Sign out' }).click();

    // A caller nobody knows reaches her too: her screen says so and opens a citizen's record by id.
    await signIn('giulia');
    await page.waitForURL('**/console/desk');
    const stranger = await r.sandbox.ring({ webhookUrl: `${r.server.publicUrl}${VOICE_PATHS.inbound}`, from: '+393330000999', keys: [] });
    expect(stranger.queue?.result).toBe('bridged');
    await page.goto(`${base}/line/${stranger.callSid}`);
    expect(await page.locator('h1').innerText()).toBe('Caller not identified');
    await page.getByLabel('Citizen id').fill('L00000');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.waitForURL('**/console/citizens/L00000');
    // Stop taking inbound calls: no longer ready.
    await page.goto(`${base}/desk`);
    await page.getByRole('button', { name: 'Stop taking inbound calls' }).click();
    await page.waitForURL('**/console/desk');
    expect(await page.locator('#line-state').innerText()).toContain('Not taking inbound calls');
    expect((await r.t.store.line.lineOperator('giulia'))!.ready).toBe(false);
  });
});
