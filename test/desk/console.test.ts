/**
 * The web console over plain HTTP, on a real store in both dialects with the real desk and its
 * scrypt hashing: sessions, CSRF, sign-in, roles, the script walk and desk errors on the page.
 */
import { AuditLog } from '../../src/authority/audit.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, type TestStore } from '../support/stores.js';
import { campaignZones } from '../../src/console/zones.js';
import { startHttpServer } from '../../src/http/server.js';
import { KyselyConsoleStore } from '../../src/store/console.js';
import { CAMPAIGN, Client, type ConsoleWorld, alertOf, seedCalls, startConsole } from './console-support.js';
import { callWorld, deskAt } from './support.js';

const task = (t: TestStore, id: string) => t.store.db.selectFrom('call_tasks').selectAll().where('task_id', '=', id).executeTakeFirstOrThrow();
const sessionRows = (t: TestStore) => t.store.db.selectFrom('sessions').selectAll().execute();
const attempts = (t: TestStore) => t.store.db.selectFrom('call_attempts').selectAll().execute();

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`web console on ${dialect.name}`, () => {
    let t: TestStore;
    let w: ConsoleWorld;
    let tasks: string[];
    let client: Client;

    beforeEach(async () => {
      t = await dialect.open();
      tasks = await seedCalls(t.store, 3);
      w = await startConsole(t.store);
      await w.desk.addOperator({ operatorId: 'op1', name: 'Olga Operatrice', languages: ['it'], password: 'correct horse battery staple' });
      await w.desk.addOperator({ operatorId: 'op2', name: 'Otto Operatore', languages: ['it', 'en'], password: 'correct horse battery staple' });
      await w.desk.addOperator({ operatorId: 'sup', name: 'Sara Supervisora', languages: ['it'], role: 'supervisor', password: 'correct horse battery staple' });
      client = new Client(w.server.url);
    });

    afterEach(async () => {
      await w.server.close();
      await t.dispose();
    });

    it('a page without a session redirects to the sign-in page, and a POST without one is refused with SIGN_IN_REQUIRED', async () => {
      const page = await client.get('/console/desk');
      expect(page.status).toBe(303);
      expect(page.location).toBe('/console/sign-in');
      const post = await client.post('/console/desk/next', { _csrf: 'anything' });
      expect(post.status).toBe(401);
      expect(post.headers.get('x-invito-error')).toBe('SIGN_IN_REQUIRED');
      expect(post.text).toContain('action="/console/sign-in"');
      expect((await task(t, tasks[0]!)).state).not.toBe('leased');
    });

    it('signing in stores only a hash of the session id, in an HttpOnly SameSite=Lax cookie that is not Secure over http', async () => {
      const r = await client.signIn('op1');
      expect(r.status).toBe(303);
      expect(r.location).toBe('/console/desk');
      const cookie = r.setCookies.find((c) => c.startsWith('invito_console='))!;
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      // One session for the console and the dashboard at /: the cookie's path is the whole site.
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).not.toMatch(/Secure/);
      const id = client.cookies.get('invito_console')!;
      const rows = await sessionRows(t);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.session_hash).toBe(createHash('sha256').update(id).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(id);
      const desk = await client.get('/console/desk');
      expect(desk.status).toBe(200);
      expect(desk.text).toContain('Olga Operatrice');
      expect(desk.headers.get('cache-control')).toBe('no-store');
    });

    it('the session cookie is Secure when the public URL is https', async () => {
      const secure = await startConsole(t.store, { publicUrl: 'https://invito.example.org' });
      try {
        const c = new Client(secure.server.url);
        const r = await c.signIn('op1');
        expect(r.status).toBe(303);
        expect(r.setCookies.find((s) => s.startsWith('invito_console='))).toMatch(/; Secure/);
      } finally {
        await secure.server.close();
      }
    });

    it('a wrong password, an unknown operator and a disabled one all get the same SIGN_IN_FAILED answer and no session', async () => {
      await w.desk.disableOperator('op2');
      const answers = [];
      for (const [id, pw] of [['op1', 'wrong password'], ['nobody', 'correct horse battery staple'], ['op2', 'correct horse battery staple']] as const) {
        const r = await new Client(w.server.url).signIn(id, pw);
        answers.push({ status: r.status, code: r.headers.get('x-invito-error'), alert: alertOf(r.text), session: r.setCookies.some((c) => c.startsWith('invito_console=')) });
      }
      expect(answers[0]).toEqual({ status: 401, code: 'SIGN_IN_FAILED', alert: expect.stringContaining('Sign-in failed') as unknown, session: false });
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
      expect(await sessionRows(t)).toHaveLength(0);
    });

    it('the sign-in form is refused without its double-submit token (CSRF_INVALID)', async () => {
      const r = await client.request('POST', '/console/sign-in', { operator: 'op1', password: 'correct horse battery staple', _csrf: 'forged' });
      expect(r.status).toBe(403);
      expect(r.headers.get('x-invito-error')).toBe('CSRF_INVALID');
      expect(await sessionRows(t)).toHaveLength(0);
    });

    it("a POST without the session's CSRF token, or with another session's, is refused (CSRF_INVALID) and changes nothing", async () => {
      await client.signIn('op1');
      await client.get('/console/desk');
      const other = new Client(w.server.url);
      await other.signIn('op2');
      await other.get('/console/desk');
      for (const form of [{ _csrf: '' }, { _csrf: other.token }, { _csrf: client.token.slice(0, -1) }]) {
        const r = await client.request('POST', '/console/desk/next', form);
        expect(r.status).toBe(403);
        expect(r.headers.get('x-invito-error')).toBe('CSRF_INVALID');
      }
      for (const id of tasks) expect((await task(t, id)).state).not.toBe('leased');
      const ok = await client.post('/console/desk/next');
      expect(ok.status).toBe(303);
      expect(ok.location).toMatch(/^\/console\/calls\//);
    });

    it('a session ends after 30 minutes without a request, and 12 hours after sign-in however busy', async () => {
      await client.signIn('op1');
      w.clock.advance(29 * 60_000);
      expect((await client.get('/console/desk')).status).toBe(200);
      w.clock.advance(30 * 60_000);
      expect((await client.get('/console/desk')).location).toBe('/console/sign-in');
      expect(await sessionRows(t)).toHaveLength(0);

      await client.signIn('op1');
      for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
        w.clock.advance(20 * 60_000);
        expect((await client.get('/console/desk')).status).toBe(200);
      }
      w.clock.advance(20 * 60_000);
      expect((await client.get('/console/desk')).location).toBe('/console/sign-in');
    });

    it('signing out ends the session: the old cookie opens nothing', async () => {
      await client.signIn('op1');
      const id = client.cookies.get('invito_console')!;
      await client.get('/console/desk');
      const r = await client.post('/console/sign-out');
      expect(r.status).toBe(303);
      expect(r.location).toBe('/console/sign-in');
      expect(await sessionRows(t)).toHaveLength(0);
      const replay = new Client(w.server.url);
      replay.cookies.set('invito_console', id);
      expect((await replay.get('/console/desk')).location).toBe('/console/sign-in');
    });

    it("disabling an operator ends their session at its next request", async () => {
      await client.signIn('op1');
      expect((await client.get('/console/desk')).status).toBe(200);
      await w.desk.disableOperator('op1');
      expect((await client.get('/console/desk')).location).toBe('/console/sign-in');
    });

    it('operators cannot open the supervisor page (FORBIDDEN); supervisors see the lists and can release and reassign a task', async () => {
      await client.signIn('op1');
      const denied = await client.get('/console/supervisor');
      expect(denied.status).toBe(403);
      expect(denied.headers.get('x-invito-error')).toBe('FORBIDDEN');
      const taken = await client.post('/console/desk/next');
      const taskId = decodeURIComponent(taken.location!.split('/').pop()!);
      expect((await task(t, taskId)).lease_operator).toBe('op1');

      const sup = new Client(w.server.url);
      expect((await sup.signIn('sup')).location).toBe('/console/supervisor');
      const page = await sup.get('/console/supervisor');
      expect(page.status).toBe(200);
      expect(page.text).toContain(CAMPAIGN);
      expect(page.text).toContain(`/console/supervisor/tasks/${taskId}/release`);

      const moved = await sup.post(`/console/supervisor/tasks/${encodeURIComponent(taskId)}/reassign`, { operator: 'op2' });
      expect(moved.status).toBe(303);
      expect((await task(t, taskId)).lease_operator).toBe('op2');
      expect(alertOf((await sup.get(moved.location!)).text)).toBe(`Task ${taskId} now belongs to op2.`);
      const released = await sup.post(`/console/supervisor/tasks/${encodeURIComponent(taskId)}/release`);
      expect(released.status).toBe(303);
      expect((await task(t, taskId)).state).toBe('open');
      // Releasing it again: the desk refuses, the page says why, and the task stays as it is.
      const again = await sup.post(`/console/supervisor/tasks/${encodeURIComponent(taskId)}/release`);
      expect(again.status).toBe(409);
      expect(again.headers.get('x-invito-error')).toBe('TASK_STATE');
      expect(alertOf(again.text)).toContain('TASK_STATE');
      expect((await task(t, taskId)).state).toBe('open');
      // op1 no longer holds it: the desk says so on the page.
      const gone = await client.get(`/console/calls/${encodeURIComponent(taskId)}`);
      expect(gone.status).toBe(409);
      expect(gone.headers.get('x-invito-error')).toBe('TASK_NOT_YOURS');
    });

    it('the script walk is kept between posts, an answer not in the tree is refused, and the answers reach the store with the outcome', async () => {
      await client.signIn('op1');
      const taken = await client.post('/console/desk/next');
      const path = taken.location!;
      const taskId = decodeURIComponent(path.split('/').pop()!);
      let page = await client.get(path);
      expect(page.text).toContain('Am I speaking with the citizen?');
      expect(page.text).toContain('+39333111');

      const bad = await client.post(`${path}/answer`, { node: 'identity', answer: 'maybe' });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('x-invito-error')).toBe('USAGE');

      await client.post(`${path}/answer`, { node: 'identity', answer: 'yes' });
      await client.post(`${path}/answer`, { node: 'vaccinated', answer: 'yes' });
      await client.post(`${path}/back`);
      await client.post(`${path}/answer`, { node: 'vaccinated', answer: 'no' });
      await client.post(`${path}/answer`, { node: 'offer', answer: 'yes' });
      page = await client.get(path);
      expect(page.text).toContain('Script done');
      expect(page.text).toMatch(/value="booked" class="" autofocus>Booked ✓/);

      const done = await client.post(`${path}/done`, { disposition: 'booked', note: 'ok', callbackAt: '', callbackFor: 'me' });
      expect(done.status).toBe(303);
      expect(done.location).toBe(`/console/desk?done=${encodeURIComponent(taskId)}`);
      const row = await task(t, taskId);
      expect(row.state).toBe('closed');
      expect(row.closed_reason).toBe('booked');
      expect(JSON.parse(row.answers!)).toEqual({ identity: 'yes', vaccinated: 'no', offer: 'yes' });
      const after = await client.get(done.location!);
      expect(alertOf(after.text)).toContain(`Task ${taskId} recorded: Booked, closed.`);
    });

    it('desk errors show on the call page and change nothing: a callback without a time, a callback in the past, an unknown disposition', async () => {
      await client.signIn('op1');
      const path = (await client.post('/console/desk/next')).location!;
      const taskId = decodeURIComponent(path.split('/').pop()!);
      await client.get(path);
      const cases: { form: Record<string, string>; status: number; code: string }[] = [
        { form: { disposition: 'callback', callbackAt: '', note: 'keep me' }, status: 400, code: 'CALLBACK_INVALID' },
        { form: { disposition: 'callback', callbackAt: '2026-03-02T10:00', note: 'keep me' }, status: 400, code: 'CALLBACK_INVALID' },
        { form: { disposition: 'maybe_later', note: 'keep me' }, status: 400, code: 'DISPOSITION_UNKNOWN' },
      ];
      for (const c of cases) {
        const r = await client.post(`${path}/done`, c.form);
        expect({ status: r.status, code: r.headers.get('x-invito-error') }).toEqual({ status: c.status, code: c.code });
        expect(alertOf(r.text)).toContain(c.code);
        expect(r.text).toContain('>keep me</textarea>');
      }
      const row = await task(t, taskId);
      expect(row.state).toBe('leased');
      expect(Number(row.attempts)).toBe(0);
      expect(await attempts(t)).toHaveLength(0);
    });

    it('a callback typed in the campaign zone is stored as that instant, for anyone', async () => {
      await client.signIn('op1');
      const path = (await client.post('/console/desk/next')).location!;
      const taskId = decodeURIComponent(path.split('/').pop()!);
      await client.get(path);
      // 15:00 in Rome on 3 March is 14:00 UTC.
      const r = await client.post(`${path}/done`, { disposition: 'callback', callbackAt: '2026-03-03T15:00', callbackFor: 'anyone' });
      expect(r.status).toBe(303);
      const row = await task(t, taskId);
      expect(row.state).toBe('open');
      expect(row.due_at).toBe('2026-03-03T14:00:00.000Z');
      expect(row.callback_operator).toBeNull();
    });

    it('every page escapes what it shows', async () => {
      await t.store.db.updateTable('citizens').set({ given_name: '<script>alert(1)</script>' }).execute();
      await client.signIn('op1');
      const page = await client.get((await client.post('/console/desk/next')).location!);
      expect(page.text).not.toContain('<script>');
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    });

    it('the style sheet and the script are the files in public/console/, served without a session with an ETag to revalidate by; nothing else under /console is read from disk', async () => {
      const signIn = await client.get('/console/sign-in');
      expect(signIn.text).toContain('<link rel="stylesheet" href="/console/console.css"><script src="/console/console.js" defer></script>');
      for (const [file, type] of [['console.css', /^text\/css; charset=utf-8$/], ['console.js', /^text\/javascript; charset=utf-8$/]] as const) {
        const r = await client.get(`/console/${file}`);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toMatch(type);
        expect(r.headers.get('cache-control')).toBe('no-cache');
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        const text = readFileSync(join(import.meta.dirname, '../../public/console', file), 'utf8');
        expect(r.text).toBe(text);
        // The ETag is the content's, not the file's size and date (which a new release may share).
        expect(r.headers.get('etag')).toBe(`"${createHash('sha256').update(text).digest('base64url').slice(0, 16)}"`);
        // As a browser revalidates: fetch would add `Cache-Control: no-cache` (a forced reload) to a bare If-None-Match.
        const again = await fetch(`${w.server.url}/console/${file}`, { headers: { 'if-none-match': r.headers.get('etag')!, 'cache-control': 'max-age=0' } });
        expect(again.status).toBe(304);
      }
      for (const path of ['/console/server.ts', '/console/..%2F..%2Fpackage.json', '/console/%2e%2e/%2e%2e/package.json', '/console/console.css/..%2F..%2F..%2Fpackage.json']) {
        const r = await client.get(path);
        expect(r.status).not.toBe(200);
        expect(r.text).not.toContain('"dependencies"');
      }
    });
  });

  describe.skipIf(!dialect.available)(`web console with appointments on ${dialect.name}`, () => {
    it('"yes, but another day" in the script books the citizen on a later free slot and confirms it', async () => {
      const t = await dialect.open();
      try {
        await callWorld(t.store, { n: 3 });
        const { desk, clock } = deskAt(t.store);
        await desk.addOperator({ operatorId: 'op1', name: 'Olga Operatrice', languages: ['it'], password: 'correct horse battery staple' });
        const server = await startHttpServer({
          store: t.store.feedback, authToken: 'x', port: 0, host: '127.0.0.1', now: () => clock.now(),
          console: { desk, store: new KyselyConsoleStore(t.store.db), campaignZone: campaignZones(t.store.desk), history: t.store.history, audit: new AuditLog(t.store.audit) },
        });
        try {
          const client = new Client(server.url);
          await client.signIn('op1');
          const path = (await client.post('/console/desk/next')).location!;
          const taskId = decodeURIComponent(path.split('/').pop()!);
          const appointment = () => t.store.db.selectFrom('appointments').select(['state', 'day']).where('appointment_id', '=', taskId).executeTakeFirstOrThrow();
          const offered = await appointment();
          await client.get(path);
          for (const [node, a] of [['identity', 'yes'], ['vaccinated', 'no'], ['offer', 'other_day']]) await client.post(`${path}/answer`, { node: node!, answer: a! });
          const page = await client.get(path);
          expect(page.text).toContain('name="otherSlot" value="1"');
          const done = await client.post(`${path}/done`, { disposition: 'booked', otherSlot: '1' });
          expect(done.status).toBe(303);
          const now = await appointment();
          expect(now.state).toBe('confirmed');
          expect(now.day > offered.day).toBe(true);
        } finally {
          await server.close();
        }
      } finally {
        await t.dispose();
      }
    });
  });
}
