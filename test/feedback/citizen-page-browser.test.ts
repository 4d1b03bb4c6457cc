/**
 * The citizen's page behind the short link (issue 13, item 3), in Debian's Chromium at phone size
 * (360×640), in Italian and in Arabic (right to left): it shows who writes and the appointment,
 * fits the screen, and its buttons act by POST — confirm, and a slot press that moves the
 * appointment. Invitations are sent for real by the worker through the sandbox first.
 * `INVITO_SCREENSHOTS=docs/screenshots` writes the screenshots the docs show.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { startServer } from '../../src/app/server.js';
import { parseCampaign } from '../../src/campaigns/load.js';
import { templateLibrary } from '../../src/campaigns/messages.js';
import type { RunningHttpServer } from '../../src/http/server.js';
import { launchCampaign } from '../../src/pacer/launch.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { CENTER, citizens, sandboxProviders, startTestWorker, testPrefix, until } from '../support/dispatch.js';
import { launchChromium } from '../support/browser.js';
import { DIALECTS, type TestStore } from '../support/stores.js';


describe("the citizen's page in Chromium at 360×640", () => {
  let t: TestStore;
  let sandbox: Sandbox;
  let app: App;
  let server: RunningHttpServer;
  let browser: BrowserContext;
  let profile: string;
  let shots: string;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    t = await DIALECTS[0]!.open();
    sandbox = await startSandbox({ callbackDelayMs: 1 });
    app = await openApp({ db: undefined, templates: undefined, redisUrl: undefined }, { store: t.store });
    server = await startServer(app, { config: { authToken: sandbox.authToken, providers: sandboxProviders(sandbox) }, port: 0, console: false, library: await templateLibrary() });
    await t.store.registry.writeCenters('seed', [CENTER]);
    await t.store.registry.writeCitizens('seed', citizens(2, 2, 0, 'G').map((c, i) => ({ ...c, language: i === 0 ? 'it' : 'ar' })));
    const campaign = parseCampaign(
      'id: page\nname: Vaccinazione anti COVID-19\nsender: ASL Roma 1\nreference_date: 2021-03-01\ncohort: { age: { min: 60 } }\nsteps:\n  - { id: invite, channels: [sms], template: invite }\npacing: { daily_target: 100000 }\nwindows: { sms: daily 00:00-24:00 }\nholidays: none\nsms: { max_segments: 6 }\n',
      'page.yaml',
    ).campaign;
    await launchCampaign(t.store.dispatch, campaign, 500, new Date().toISOString());
    const redis = testPrefix();
    const worker = await startTestWorker(t.store, sandbox, redis.prefix, server.url);
    try {
      await until('both invitations sent', async () => (await t.store.db.selectFrom('messages').select('state').where('sent_at', 'is not', null).execute()).length === 2);
    } finally {
      await worker.close();
      await redis.cleanup();
    }
    for (const r of await t.store.db.selectFrom('messages').select(['citizen_id', 'link_token']).execute()) tokens.set(r.citizen_id, r.link_token!);
    profile = mkdtempSync(join(tmpdir(), 'invito-chromium-'));
    shots = process.env.INVITO_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'invito-shots-'));
    mkdirSync(shots, { recursive: true });
    browser = await launchChromium(profile, {
      viewport: { width: 360, height: 640 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      timezoneId: 'Europe/Rome',
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await sandbox?.close();
    await app?.close();
    await t?.dispose();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (shots && !process.env.INVITO_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  });

  const appointment = (id: string) => t.store.db.selectFrom('appointments').selectAll().where('citizen_id', '=', id).executeTakeFirstOrThrow();

  it('in Italian: who writes, the appointment, a map link; it fits 360 px; Confermo confirms by POST and the page says so', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/r/${tokens.get('G00000')}`);
    expect(await page.getAttribute('html', 'lang')).toBe('it');
    expect(await page.textContent('h1')).toBe('Il Suo appuntamento per la vaccinazione');
    expect(await page.textContent('.from')).toContain('ASL Roma 1');
    expect(await page.textContent('dl.appointment')).toContain('Nuvola');
    expect(await page.getAttribute('a[href^="https://www.openstreetmap.org/search"]', 'href')).toContain('Viale%20Asia%2040');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // Every button has a name a screen reader reads, and is reachable by keyboard.
    const names = await page.$$eval('button', (bs) => bs.map((b) => b.textContent?.trim() ?? ''));
    expect(names.every((n) => n.length > 0)).toBe(true);
    await page.screenshot({ path: join(shots, 'citizen-page-it.png'), fullPage: true });
    await page.getByRole('button', { name: 'Confermo' }).click();
    await page.waitForURL(/\?lang=it$/);
    expect(await page.textContent('dd.state')).toBe('confermato');
    expect((await appointment('G00000')).state).toBe('confirmed');
    const ics = await (await fetch(`${server.url}/r/${tokens.get('G00000')}/calendar.ics`)).text();
    expect(ics).toMatch(/BEGIN:VCALENDAR[\s\S]*DTSTART:\d{8}T\d{6}Z[\s\S]*LOCATION:Nuvola/);
    await page.close();
  });

  it('in Arabic, right to left: a slot press moves the appointment, the old place freed; the switch shows it in Italian', async () => {
    const page = await browser.newPage();
    const before = await appointment('G00001');
    await page.goto(`${server.url}/r/${tokens.get('G00001')}`);
    expect([await page.getAttribute('html', 'lang'), await page.getAttribute('html', 'dir')]).toEqual(['ar', 'rtl']);
    expect(await page.textContent('h1')).toBe('موعد التطعيم الخاص بك');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(shots, 'citizen-page-ar.png'), fullPage: true });
    const slots = page.locator('button.slot');
    expect(await slots.count()).toBe(3);
    await slots.nth(1).click();
    await page.waitForURL(/done=moved/);
    expect(await page.textContent('.notice')).toBe('تم تأكيد الموعد الجديد.');
    const after = await appointment('G00001');
    expect(after.state).toBe('confirmed');
    expect([after.day, after.seq]).not.toEqual([before.day, before.seq]);
    const old = await t.store.db.selectFrom('slots').select('appointment_id').where('day', '=', before.day).where('seq', '=', before.seq).executeTakeFirstOrThrow();
    expect(old.appointment_id).toBeNull();
    await page.getByRole('link', { name: 'Italiano' }).click();
    expect(await page.getAttribute('html', 'dir')).toBe('ltr');
    await page.close();
  });
});
