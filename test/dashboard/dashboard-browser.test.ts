/**
 * The dashboard in Chromium (Debian's, driven by playwright-core), signing in as each role after
 * a campaign of Lazio ran through the real pipeline: the viewer of Lazio sees the campaign, its
 * charts drawn from node_modules under the CSP (no console error, no blocked resource) and no
 * pause button; the viewer of Tuscany sees no campaign and gets "not found" at its address; the
 * manager pauses it through the confirmation; the admin finds the pause in the audit log. Pages
 * in Italian. With INVITO_WRITE_SCREENSHOTS=1 the screenshots go to docs/screenshots/.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Desk } from '../../src/desk/desk.js';
import { launchChromium } from '../support/browser.js';
import { citizens } from '../support/dispatch.js';
import { allSent, feedbackRig, send, smsCampaign } from '../support/feedback.js';
import { DIALECTS } from '../support/stores.js';

const PASSWORD = 'una password lunga abbastanza';
const CAMPAIGN = 'lazio-over60';
const DOCS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');

describe('the dashboard in Chromium', () => {
  const rig = feedbackRig(DIALECTS[0]!, {}, { console: true });
  let browser: BrowserContext;
  let profile: string;
  let shots: string;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'invito-chromium-dash-'));
    shots = mkdtempSync(join(tmpdir(), 'invito-shots-dash-'));
    browser = await launchChromium(profile, { viewport: { width: 1280, height: 900 }, locale: 'it-IT', timezoneId: 'Europe/Rome' });
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (shots) rmSync(shots, { recursive: true, force: true });
  });

  const shot = async (page: Page, name: string) => {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.INVITO_WRITE_SCREENSHOTS === '1') {
      mkdirSync(DOCS, { recursive: true });
      copyFileSync(file, join(DOCS, `${name}.png`));
    }
  };

  it('each role sees and does what it may, in Italian, with the charts drawn under the CSP', { timeout: 180_000 }, async () => {
    const r = rig();
    const people = citizens(24, 24, 0, 'B');
    await send(r, people, smsCampaign(CAMPAIGN, 'scope: [LAZ]'), allSent(r, CAMPAIGN, 24), 'the invitations sent');
    await r.sandbox.idle();
    const desk = new Desk({ store: r.t.store.desk });
    for (const [id, name, role, scopes] of [
      ['ada', 'Ada Marini', 'admin', []],
      ['mara', 'Mara Ricci', 'manager', ['LAZ']],
      ['vito', 'Vito Sala', 'viewer', ['LAZ']],
      ['tosca', 'Tosca Bini', 'viewer', ['TOS']],
    ] as const) {
      await desk.addOperator({ operatorId: id, name, languages: ['it'], role, scopes: [...scopes], password: PASSWORD });
    }
    const page = browser.pages()[0] ?? (await browser.newPage());
    const problems: string[] = [];
    // Every failed load is named by its URL (the console's own line about it names none).
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    });
    page.on('response', (res) => {
      if (res.status() >= 400 && !res.url().includes(`/campaigns/${CAMPAIGN}`)) problems.push(`${res.status()} ${res.url()}`);
    });
    // A load cut short by the next navigation (ERR_ABORTED) is not a failure; a blocked one is.
    page.on('requestfailed', (q) => {
      if (q.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${q.url()} ${q.failure()?.errorText ?? ''}`);
    });
    const signIn = async (id: string) => {
      await page.goto(`${r.server.publicUrl}/console/sign-in`);
      await page.getByLabel('Operator id').fill(id);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${r.server.publicUrl}/`);
    };
    const signOut = () => page.getByRole('button', { name: 'Esci' }).click();

    // The viewer of Lazio: the list, the campaign, its charts; no pause.
    await signIn('vito');
    expect(await page.locator('h1').innerText()).toBe('Benvenuto, Vito Sala');
    await shot(page, 'dashboard-campagne');
    await page.getByRole('link', { name: CAMPAIGN }).click();
    await page.waitForURL(`**/campaigns/${CAMPAIGN}`);
    await page.waitForFunction(() => (window as unknown as { Chart?: { instances: object } }).Chart !== undefined && Object.keys((window as unknown as { Chart: { instances: object } }).Chart.instances).length >= 4);
    expect(await page.locator('#funnel tbody tr').first().locator('td').allInnerTexts()).toEqual(['Selezionati', '24']);
    expect(await page.getByRole('link', { name: 'Metti in pausa' }).count()).toBe(0);
    await shot(page, 'dashboard-campagna');
    expect(problems).toEqual([]);
    await signOut();

    // The viewer of Tuscany: nothing of Lazio.
    await signIn('tosca');
    expect(await page.locator('#campaigns-none').innerText()).toBe('Nessuna campagna nel tuo ambito.');
    const away = await page.goto(`${r.server.publicUrl}/campaigns/${CAMPAIGN}`);
    expect(away!.status()).toBe(404);
    await signOut();

    // The manager pauses through the confirmation.
    await page.goto(`${r.server.publicUrl}/`);
    await signIn('mara');
    await page.goto(`${r.server.publicUrl}/campaigns/${CAMPAIGN}`);
    await page.getByRole('link', { name: 'Metti in pausa' }).click();
    await shot(page, 'dashboard-conferma');
    await page.getByLabel('Motivo (facoltativo)').fill('centro chiuso per lavori');
    await page.getByRole('button', { name: 'Conferma' }).click();
    await page.waitForURL(`**/campaigns/${CAMPAIGN}?done=pause`);
    expect(await page.locator('.alert.ok').innerText()).toBe(`Campagna ${CAMPAIGN} in pausa.`);
    expect(await page.locator('#status').innerText()).toBe('in pausa');
    expect((await r.t.store.campaignRecords.get(CAMPAIGN))!.status).toBe('paused');
    await signOut();

    // The admin: the pause in the audit log.
    await signIn('ada');
    await page.getByRole('link', { name: 'Registro attività' }).click();
    await page.waitForURL('**/audit');
    expect(await page.locator('#audit tr[data-action="campaign.pause"] td').nth(1).innerText()).toBe('mara');
    await shot(page, 'dashboard-registro');
    expect(problems).toEqual([]);
  });
});
