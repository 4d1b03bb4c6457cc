/**
 * The console's actions leave their rows in the audit log (issue 15, item 5), on both dialects:
 * a failed sign-in (under a known id and an unknown one), a sign-in, a disposition, an opt-out
 * recorded by an operator (do not call), a supervisor's unlock, and a sign-out — with the
 * account id and the client's address, ids and codes only: no password, name or phone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/authority/audit.js';
import { Client, type ConsoleWorld, PASSWORD, seedCalls, startConsole } from '../desk/console-support.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`the console's audit trail on ${dialect.name}`, () => {
    let t: TestStore;
    let world: ConsoleWorld;
    beforeEach(async () => {
      t = await dialect.open();
      await seedCalls(t.store, 2);
      world = await startConsole(t.store);
      await world.desk.addOperator({ operatorId: 'op1', name: 'Olga Operatrice', languages: ['it'], password: PASSWORD });
      await world.desk.addOperator({ operatorId: 'sup', name: 'Sara Supervisora', languages: ['it'], role: 'supervisor', password: PASSWORD });
    });
    afterEach(async () => {
      await world.server.close();
      await t.dispose();
    });

    it('records failed sign-ins, the sign-in, each disposition, an opt-out, an unlock and the sign-out, by id and address', async () => {
      const stranger = new Client(world.server.url);
      await stranger.signIn('nobody', 'wrong password');
      await stranger.signIn('op1', 'wrong password');

      const op = new Client(world.server.url);
      await op.signIn('op1');
      for (const disposition of ['booked', 'do_not_call']) {
        const taken = await op.post('/console/desk/next');
        expect(taken.status).toBe(303);
        await op.get(taken.location!);
        const done = await op.post(`${taken.location!}/done`, { disposition });
        expect(done.status).toBe(303);
      }
      await op.post('/console/sign-out');

      const sup = new Client(world.server.url);
      await sup.signIn('sup');
      expect((await sup.post('/console/supervisor/operators/op1/unlock')).status).toBe(303);

      const log = await new AuditLog(t.store.audit).list();
      const tasks = await t.store.db.selectFrom('call_tasks').select(['task_id', 'citizen_id', 'closed_reason']).orderBy('task_id').execute();
      const optedOut = tasks.find((x) => x.closed_reason === 'do_not_call')!;
      expect(log.map((e) => [e.actor, e.action, e.target])).toEqual([
        ['-', 'sign-in.failed', null],
        ['op1', 'sign-in.failed', null],
        ['op1', 'sign-in', null],
        ['op1', 'call.disposition', tasks.find((x) => x.closed_reason === 'booked')!.task_id],
        ['op1', 'call.disposition', optedOut.task_id],
        ['op1', 'citizen.opt-out', optedOut.citizen_id],
        ['op1', 'sign-out', null],
        ['sup', 'sign-in', null],
        ['sup', 'account.unlock', 'op1'],
      ]);
      expect(log[0]!.details).toEqual({ code: 'SIGN_IN_FAILED' });
      expect(log[3]!.details).toMatchObject({ disposition: 'booked' });
      expect(log.every((e) => e.origin === '127.0.0.1')).toBe(true);
      // Ids and codes only: the typed password, the names and the citizens' phones are nowhere.
      const text = JSON.stringify(log);
      for (const secret of ['wrong password', PASSWORD, 'Olga', 'Sara', '+39', 'nobody']) expect(text).not.toContain(secret);
    });
  });
}
