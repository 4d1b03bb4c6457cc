/**
 * The console in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
 * `scripts/setup.mjs --chromium` and `.ci/run`) driven by playwright-core, which never
 * downloads a browser. A real server on port 0, a real SQLite store with a launched call
 * campaign, an operator with a real scrypt password: sign in, take a call, walk the script,
 * record "booked", and check the store.
 *
 * `INVITO_UPDATE_SCREENSHOT=1` also writes the operator screen to docs/console-operator.png.
 */
import { AuditLog } from '../../src/authority/audit.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignZones } from '../../src/console/zones.js';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.js';
import { KyselyConsoleStore } from '../../src/store/console.js';
import { launchChromium } from '../support/browser.js';
import { DIALECTS, type TestStore } from '../support/stores.js';
import { callWorld, deskAt, taskRow } from './support.js';

const PASSWORD = 'una password lunga abbastanza';

describe('web console in Chromium', () => {
  let t: TestStore;
  let server: RunningHttpServer;
  let browser: BrowserContext;
  let profile: string;
  let shots: string;

  beforeAll(async () => {
    t = await DIALECTS[0]!.open();
    await callWorld(t.store, { n: 4 });
    // Names the test data leaves plain, for a screenshot that reads like a real call.
    await t.store.db.updateTable('citizens').set({ given_name: 'Giuseppina', family_name: 'Bianchi' }).where('citizen_id', '=', 'P00001').execute();
    const { desk, clock } = deskAt(t.store);
    await desk.addOperator({ operatorId: 'giulia', name: 'Giulia Conti', languages: ['it'], password: PASSWORD });
    // An earlier call that went unanswered, for the card's history: the same citizen comes back first after recycling.
    await desk.addOperator({ operatorId: 'marco', name: 'Marco Ferri', languages: ['it'] });
    const first = await desk.next('marco');
    await desk.done('marco', first!.task.taskId, { disposition: 'no_answer', note: 'Squilla a vuoto, nessuna segreteria.' });
    clock.advance(3 * 3_600_000);
    server = await startHttpServer({
      store: t.store.feedback,
      authToken: 'console-browser-test',
      port: 0,
      host: '127.0.0.1',
      now: () => clock.now(),
      console: { desk, store: new KyselyConsoleStore(t.store.db), campaignZone: campaignZones(t.store.desk), history: t.store.history, audit: new AuditLog(t.store.audit) },
    });
    profile = mkdtempSync(join(tmpdir(), 'invito-chromium-'));
    shots = mkdtempSync(join(tmpdir(), 'invito-shots-'));
    browser = await launchChromium(profile, {
      viewport: { width: 1280, height: 800 },
      locale: 'it-IT',
      timezoneId: 'Europe/Rome',
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.dispose();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (shots) rmSync(shots, { recursive: true, force: true });
  });

  it('an operator signs in, takes a call, walks the script and books it; the store has the outcome and the answers', async () => {
    const page = browser.pages()[0] ?? (await browser.newPage());

    // Without a session the desk sends the browser to the sign-in page.
    await page.goto(`${server.url}/console/desk`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');

    await page.getByLabel('Operator id').fill('giulia');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/console/desk');
    expect(await page.locator('header.bar').innerText()).toContain('Giulia Conti');

    // The keys work as the page says: N takes the next call, digits answer the question asked.
    await page.keyboard.press('n');
    await page.waitForURL('**/console/calls/**');
    const taskId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(await page.locator('h2.name').innerText()).toBe('Giuseppina Bianchi');
    expect(await page.locator('p.phone').innerText()).toMatch(/^\+39333\d+$/);
    expect(await page.locator('dl.card').innerText()).toContain('Nuvola');
    expect(await page.locator('ul.history').first().innerText()).toContain('Squilla a vuoto');

    await page.getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByText('Have you already been vaccinated in this campaign?').waitFor();
    await page.keyboard.press('2');
    await page.getByText('Is the appointment offered convenient?').waitFor();

    const shot = join(shots, 'console-operator.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    if (process.env.INVITO_UPDATE_SCREENSHOT) await page.screenshot({ path: join(import.meta.dirname, '../../docs/console-operator.png') });

    await page.getByRole('button', { name: 'Yes, confirm it' }).click();
    await page.getByText('Script done').waitFor();
    await page.getByLabel(/Wrap-up note/).fill('Conferma per telefono; porterà la tessera sanitaria.');
    await page.getByRole('button', { name: 'Booked ✓' }).click();
    await page.waitForURL('**/console/desk?done=**');
    expect(await page.getByRole('status').innerText()).toContain(`Task ${taskId} recorded: Booked, closed.`);

    const row = await taskRow(t.store, taskId);
    expect(row?.state).toBe('closed');
    expect(row?.closed_reason).toBe('booked');
    expect(JSON.parse(row!.answers!)).toEqual({ identity: 'yes', vaccinated: 'no', offer: 'yes' });
    const attempts = await t.store.db.selectFrom('call_attempts').selectAll().where('task_id', '=', taskId).orderBy('at').execute();
    expect(attempts.map((a) => [a.operator_id, a.disposition])).toEqual([['marco', 'no_answer'], ['giulia', 'booked']]);
    const attempt = attempts[1]!;
    expect(attempt.note).toBe('Conferma per telefono; porterà la tessera sanitaria.');
    const appointment = await t.store.db.selectFrom('appointments').select('state').where('appointment_id', '=', row!.message_id).executeTakeFirst();
    expect(appointment?.state).toBe('confirmed');
  });

  it('a POST from the signed-in browser without the CSRF token is refused and takes no call', async () => {
    const leased = async () => (await t.store.db.selectFrom('call_tasks').select('task_id').where('state', '=', 'leased').execute()).length;
    const before = await leased();
    const r = await browser.request.post(`${server.url}/console/desk/next`, { form: { other: 'x' }, maxRedirects: 0 });
    expect(r.status()).toBe(403);
    expect(r.headers()['x-invito-error']).toBe('CSRF_INVALID');
    expect(await leased()).toBe(before);
  });

  it('after signing out, the desk sends the browser back to the sign-in page', async () => {
    const page = browser.pages()[0]!;
    await page.goto(`${server.url}/console/desk`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/console/sign-in');
    await page.goto(`${server.url}/console/desk`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
  });
});
