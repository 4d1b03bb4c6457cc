/**
 * Guessing at the console's sign-in: failures counted per account (on the operator row, in
 * both dialects) and per client address, the account lock and how it lifts, what the log says
 * about a failure, and HSTS. The real server on port 0 over loopback, clients on 127.0.0.x
 * addresses so the server sees several clients.
 */
import { AuditLog } from '../../src/authority/audit.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Desk, SIGN_IN_LOCK } from '../../src/desk/desk.js';
import { KyselyStore } from '../../src/store/index.js';
import { DIALECTS, type TestStore } from '../support/stores.js';
import { CALL_TIME, Client, type ConsoleWorld, PASSWORD, alertOf, startConsole } from './console-support.js';
import { built, runCli } from '../support/cli.js';

const operatorRow = (t: TestStore, id: string) => t.store.db.selectFrom('operators').selectAll().where('operator_id', '=', id).executeTakeFirstOrThrow();
const sessionRows = (t: TestStore) => t.store.db.selectFrom('sessions').selectAll().execute();
const hasSession = (r: { setCookies: string[] }) => r.setCookies.some((c) => c.startsWith('invito_console=') && !/Max-Age=0/.test(c));

/** A pino logger whose JSON lines land in `lines`, as the server's logger would write them. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }) as Logger, lines };
}

/** Signs `count` clients in at once, each with its own form token, all posting together. */
async function guessAtOnce(base: string, attempts: readonly { id: string; password: string }[], localAddress?: string) {
  const clients = attempts.map(() => new Client(base, localAddress));
  await Promise.all(clients.map((c) => c.get('/console/sign-in')));
  return Promise.all(clients.map((c, i) => c.post('/console/sign-in', { operator: attempts[i]!.id, password: attempts[i]!.password })));
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`console sign-in limits on ${dialect.name}`, () => {
    let t: TestStore;
    let w: ConsoleWorld;
    let log: ReturnType<typeof capture>;

    beforeEach(async () => {
      t = await dialect.open();
      log = capture();
      w = await startConsole(t.store, { logger: log.logger });
      await w.desk.addOperator({ operatorId: 'op1', name: 'Olga Operatrice', languages: ['it'], password: PASSWORD });
      await w.desk.addOperator({ operatorId: 'op2', name: 'Otto Operatore', languages: ['it'], password: PASSWORD });
      await w.desk.addOperator({ operatorId: 'sup', name: 'Sara Supervisora', languages: ['it'], role: 'supervisor', password: PASSWORD });
    });

    afterEach(async () => {
      await w.server.close();
      await t.dispose();
    });

    it('fifty wrong passwords at once: at most five are checked, the rest are refused (SIGN_IN_LOCKED or SIGN_IN_THROTTLED), and then the right password is refused too, from any address, until the lock ends', async () => {
      const answers = await guessAtOnce(w.server.url, Array.from({ length: 50 }, (_, i) => ({ id: 'op1', password: `guess number ${i}` })));
      const failed = answers.filter((a) => a.status === 401);
      const refused = answers.filter((a) => (a.status === 423 && a.headers.get('x-invito-error') === 'SIGN_IN_LOCKED') || (a.status === 429 && a.headers.get('x-invito-error') === 'SIGN_IN_THROTTLED'));
      expect(failed.length).toBeLessThanOrEqual(SIGN_IN_LOCK.maxFailures - 1);
      expect(refused.length).toBe(50 - failed.length);
      expect(answers.some(hasSession)).toBe(false);
      const lockUntil = new Date(Date.parse(CALL_TIME) + SIGN_IN_LOCK.lockMs).toISOString();
      expect((await operatorRow(t, 'op1')).locked_until).toBe(lockUntil);

      // From an address that never failed: the account is locked whatever the password, and the
      // answer to the right one is the answer to a wrong one.
      const right = await new Client(w.server.url, '127.0.0.2').signIn('op1', PASSWORD);
      const wrong = await new Client(w.server.url, '127.0.0.2').signIn('op1', 'still guessing');
      expect(right.status).toBe(423);
      expect(right.headers.get('x-invito-error')).toBe('SIGN_IN_LOCKED');
      expect(alertOf(right.text)).toMatch(/locked .* until 2026-03-03 \d\d:\d\d/);
      expect(Number(right.headers.get('retry-after'))).toBe(SIGN_IN_LOCK.lockMs / 1000);
      expect(hasSession(right)).toBe(false);
      expect({ status: wrong.status, alert: alertOf(wrong.text) }).toEqual({ status: right.status, alert: alertOf(right.text) });
      expect(await sessionRows(t)).toHaveLength(0);
      // The other accounts are not touched.
      expect((await new Client(w.server.url, '127.0.0.2').signIn('op2')).status).toBe(303);

      w.clock.advance(SIGN_IN_LOCK.lockMs);
      const after = await new Client(w.server.url, '127.0.0.3').signIn('op1');
      expect(after.status).toBe(303);
      expect(await operatorRow(t, 'op1')).toMatchObject({ failed_sign_ins: 0, locked_until: null });
    });

    it('twenty failed sign-ins from one address, on ids that are no account, refuse even a right password from it (SIGN_IN_THROTTLED, Retry-After) while other addresses sign in', async () => {
      const answers = await guessAtOnce(w.server.url, Array.from({ length: 20 }, (_, i) => ({ id: `nobody${i}`, password: PASSWORD })), '127.0.0.4');
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(401));
      const throttled = await new Client(w.server.url, '127.0.0.4').signIn('op1');
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('x-invito-error')).toBe('SIGN_IN_THROTTLED');
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(alertOf(throttled.text)).toMatch(/Too many failed sign-ins from this address/);
      expect(log.lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ msg: 'console sign-in failed', operatorId: 'op1', address: '127.0.0.4', code: 'SIGN_IN_THROTTLED' }));
      // Refused before the account was asked: op1 has no failure to its name.
      expect(await operatorRow(t, 'op1')).toMatchObject({ failed_sign_ins: 0, locked_until: null });
      expect((await new Client(w.server.url, '127.0.0.5').signIn('op1')).status).toBe(303);
    });

    it("a supervisor lifts the lock with the supervisor page's Unlock button (a POST refused without the session's CSRF token, and to operators)", async () => {
      for (let i = 0; i < SIGN_IN_LOCK.maxFailures; i++) await w.desk.authenticate('op1', 'wrong').catch(() => {});
      for (let i = 0; i < SIGN_IN_LOCK.maxFailures; i++) await w.desk.authenticate('op2', 'wrong').catch(() => {});
      expect((await new Client(w.server.url, '127.0.0.6').signIn('op1')).status).toBe(423);

      const operator = new Client(w.server.url, '127.0.0.6');
      await w.desk.unlockOperator('op2');
      await operator.signIn('op2');
      const forbidden = await operator.post('/console/supervisor/operators/op1/unlock');
      expect(forbidden.headers.get('x-invito-error')).toBe('FORBIDDEN');

      const sup = new Client(w.server.url, '127.0.0.6');
      expect((await sup.signIn('sup')).status).toBe(303);
      const page = await sup.get('/console/supervisor');
      expect(page.text).toContain('Locked accounts');
      expect(page.text).toContain('action="/console/supervisor/operators/op1/unlock"');
      const forged = await sup.request('POST', '/console/supervisor/operators/op1/unlock', { _csrf: 'forged' });
      expect(forged.headers.get('x-invito-error')).toBe('CSRF_INVALID');
      expect((await operatorRow(t, 'op1')).locked_until).not.toBeNull();

      const unlock = await sup.post('/console/supervisor/operators/op1/unlock');
      expect(unlock.status).toBe(303);
      expect(unlock.location).toBe('/console/supervisor?unlocked=op1');
      const done = await sup.get(unlock.location!);
      expect(alertOf(done.text)).toBe('Operator op1 can sign in again.');
      expect(done.text).not.toContain('Locked accounts');
      expect(log.lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ msg: 'operator unlocked', operatorId: 'sup', unlocked: 'op1' }));
      expect((await new Client(w.server.url, '127.0.0.6').signIn('op1')).status).toBe(303);
    });

    it('every failed sign-in is logged with the operator id and the client address, never the password; an id that is no account is not logged (it may be a password typed in the wrong field)', async () => {
      await new Client(w.server.url, '127.0.0.7').signIn('op1', 'Secret-Guess-1');
      await new Client(w.server.url, '127.0.0.8').signIn('Secret-Typed-As-Id', 'Secret-Guess-2');
      for (let i = 0; i < SIGN_IN_LOCK.maxFailures; i++) await new Client(w.server.url, '127.0.0.7').signIn('op2', `Secret-Guess-${i + 3}`);
      await new Client(w.server.url, '127.0.0.7').signIn('op1', PASSWORD);

      const entries = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const failures = entries.filter((e) => e.msg === 'console sign-in failed').map(({ operatorId, address, code, level }) => ({ operatorId, address, code, level }));
      expect(failures).toEqual([
        { operatorId: 'op1', address: '127.0.0.7', code: 'SIGN_IN_FAILED', level: 40 },
        { operatorId: null, address: '127.0.0.8', code: 'SIGN_IN_FAILED', level: 40 },
        ...Array.from({ length: SIGN_IN_LOCK.maxFailures - 1 }, () => ({ operatorId: 'op2', address: '127.0.0.7', code: 'SIGN_IN_FAILED', level: 40 })),
        { operatorId: 'op2', address: '127.0.0.7', code: 'SIGN_IN_LOCKED', level: 40 },
      ]);
      expect(entries).toContainEqual(expect.objectContaining({ msg: 'console sign-in', operatorId: 'op1' }));
      const all = log.lines.join('');
      expect(all).not.toContain('Secret-');
      expect(all).not.toContain(PASSWORD);
    });

    it('HSTS is on every console response when the public URL is https, and absent over http', async () => {
      const secure = await startConsole(t.store, { publicUrl: 'https://invito.example.org' });
      try {
        const c = new Client(secure.server.url);
        const answers = [await c.get('/console/sign-in'), await c.get('/console/desk'), await c.get('/console/console.css'), await c.post('/console/sign-in', { operator: 'op1', password: 'wrong' })];
        expect(answers.map((a) => a.status)).toEqual([200, 303, 200, 401]);
        for (const a of answers) expect(a.headers.get('strict-transport-security')).toBe('max-age=31536000');
        const signedIn = await c.signIn('op1');
        expect(signedIn.headers.get('strict-transport-security')).toBe('max-age=31536000');
      } finally {
        await secure.server.close();
      }
      const plain = new Client(w.server.url);
      for (const a of [await plain.get('/console/sign-in'), await plain.signIn('op1')]) expect(a.headers.get('strict-transport-security')).toBeNull();
    });

    it('the account lock is on the operator row: failures older than the window do not count, five inside it lock the account for fifteen minutes against the right password, and a lock that ended gives the attempts back', async () => {
      const clock = new ManualClock(CALL_TIME);
      const desk = new Desk({ store: t.store.desk, clock });
      for (let i = 0; i < SIGN_IN_LOCK.maxFailures - 1; i++) await expect(desk.authenticate('op1', 'wrong')).rejects.toMatchObject({ code: 'SIGN_IN_FAILED' });
      clock.advance(SIGN_IN_LOCK.windowMs + 1000);
      for (let i = 0; i < SIGN_IN_LOCK.maxFailures - 1; i++) await expect(desk.authenticate('op1', 'wrong')).rejects.toMatchObject({ code: 'SIGN_IN_FAILED' });
      await expect(desk.authenticate('op1', 'wrong')).rejects.toMatchObject({ code: 'SIGN_IN_LOCKED', lockedUntil: new Date(clock.now().getTime() + SIGN_IN_LOCK.lockMs).toISOString() });
      await expect(desk.authenticate('op1', PASSWORD)).rejects.toMatchObject({ code: 'SIGN_IN_LOCKED' });
      // Another desk on the same store (another process would read the same row) sees the lock.
      await expect(new Desk({ store: t.store.desk, clock }).authenticate('op1', PASSWORD)).rejects.toMatchObject({ code: 'SIGN_IN_LOCKED' });
      expect((await desk.operator('op1')).lockedUntil).toBe(new Date(clock.now().getTime() + SIGN_IN_LOCK.lockMs).toISOString());
      clock.advance(SIGN_IN_LOCK.lockMs - 1000);
      await expect(desk.authenticate('op1', PASSWORD)).rejects.toMatchObject({ code: 'SIGN_IN_LOCKED' });
      clock.advance(1000);
      await expect(desk.authenticate('op1', 'wrong')).rejects.toMatchObject({ code: 'SIGN_IN_FAILED' });
      await expect(desk.authenticate('op1', PASSWORD)).resolves.toMatchObject({ operatorId: 'op1', lockedUntil: null });
      await expect(desk.unlockOperator('nobody')).rejects.toMatchObject({ code: 'OPERATOR_NOT_FOUND' });
    });
  });
}

describe('INVITO_TRUST_PROXY', () => {
  const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

  it("the client's address is the proxy's X-Forwarded-For only when the proxy is trusted, and a value that is no address is CONFIG_INVALID", async () => {
    const { startHttpServer, trustedProxies } = await import('../../src/http/server.js');
    expect(() => trustedProxies('true')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
    expect(() => trustedProxies('1')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
    expect(() => trustedProxies('10.0.0.0/33')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
    expect(trustedProxies(' 127.0.0.1, 10.0.0.0/8 ,::1')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);

    const t = await sqlite.open();
    const { KyselyConsoleStore } = await import('../../src/store/console.js');
    const { campaignZones } = await import('../../src/console/zones.js');
    try {
      const desk = new Desk({ store: t.store.desk });
      await desk.addOperator({ operatorId: 'op1', name: 'Olga', languages: ['it'], password: PASSWORD });
      const addresses: unknown[] = [];
      for (const trustProxy of ['127.0.0.1', undefined]) {
        const log = capture();
        const server = await startHttpServer({
          store: t.store.feedback, authToken: 'token', port: 0, logger: log.logger,
          console: { desk, store: new KyselyConsoleStore(t.store.db), campaignZone: campaignZones(t.store.desk), history: t.store.history, audit: new AuditLog(t.store.audit) },
          ...(trustProxy ? { trustProxy } : {}),
        });
        try {
          const c = new Client(server.url);
          c.headers['x-forwarded-for'] = '203.0.113.9';
          expect((await c.signIn('op1', 'wrong')).status).toBe(401);
        } finally {
          await server.close();
        }
        addresses.push(...log.lines.map((l) => JSON.parse(l) as { msg: string; address?: string }).filter((e) => e.msg === 'console sign-in failed').map((e) => e.address));
      }
      expect(addresses).toEqual(['203.0.113.9', '127.0.0.1']);
    } finally {
      await t.dispose();
    }
  });
});


const invito = (db: string, args: string[]) => runCli(['--db', db, ...args]);

describe.skipIf(!built)('invito operators unlock (built CLI)', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'invito-unlock-'));
    db = join(dir, 'invito.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a lock left in the store by failed sign-ins shows in operators list, holds in another process, and operators unlock lifts it; an unknown id is OPERATOR_NOT_FOUND (exit 4)', async () => {
    let store = await KyselyStore.open(db);
    try {
      const desk = new Desk({ store: store.desk });
      await desk.addOperator({ operatorId: 'op1', name: 'Olga', languages: ['it'], password: PASSWORD });
      for (let i = 0; i < SIGN_IN_LOCK.maxFailures; i++) await desk.authenticate('op1', 'wrong').catch(() => {});
    } finally {
      await store.close();
    }
    const list = await invito(db, ['operators', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^op1\t.*\tlocked until \d{4}-\d\d-\d\dT/m);
    const json = await invito(db, ['operators', 'list', '--json']);
    expect((JSON.parse(json.stdout) as { lockedUntil: string | null }[])[0]!.lockedUntil).not.toBeNull();

    const unlock = await invito(db, ['operators', 'unlock', 'op1']);
    expect(unlock).toMatchObject({ code: 0, stdout: 'unlocked op1\n' });
    store = await KyselyStore.open(db);
    try {
      await expect(new Desk({ store: store.desk }).authenticate('op1', PASSWORD)).resolves.toMatchObject({ operatorId: 'op1', lockedUntil: null });
    } finally {
      await store.close();
    }
    const unknown = await invito(db, ['operators', 'unlock', 'nobody', '--json']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr + unknown.stdout).toContain('OPERATOR_NOT_FOUND');
  });
});
