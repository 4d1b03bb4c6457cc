/**
 * `invito operators` and `invito calls` as a user runs them: the built CLI on a SQLite file
 * holding a call campaign whose window is always open (the CLI acts at the real time).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyStore } from '../../src/store/index.js';
import { callWorld } from './support.js';
import { built, type CliRun, runCli } from '../support/cli.js';


const invito = (db: string, args: string[], stdin = ''): Promise<CliRun> => runCli(['--db', db, ...args], { stdin });

// The commands' JSON of several shapes, read by path in the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (r: CliRun) => JSON.parse(r.stdout) as any;

// Each run starts a Node process that loads the whole CLI: seconds apiece on a busy machine.
describe.skipIf(!built)('invito operators and calls (built CLI)', () => {
  let dir: string;
  let db: string;
  let tasks: string[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-calls-'));
    db = join(dir, 'invito.db');
    const store = await KyselyStore.open(db);
    try {
      tasks = (await callWorld(store, { n: 4, always: true })).tasks;
    } finally {
      await store.close();
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('manages operators: add (password from stdin, stored hashed), list, a second add is OPERATOR_EXISTS, disable stops their calls', async () => {
    const ana = await invito(db, ['operators', 'add', 'ana', '--name', 'Ana', '--languages', 'it,de', '--json']);
    expect(ana.code).toBe(0);
    expect(json(ana)).toMatchObject({ operatorId: 'ana', languages: ['it', 'de'], role: 'operator', hasPassword: false });
    const sup = await invito(db, ['operators', 'add', 'sup', '--name', 'Sup', '--languages', 'it', '--supervisor', '--password-stdin', '--json'], 'a long secret\n');
    expect(json(sup)).toMatchObject({ role: 'supervisor', hasPassword: true });
    const check = await KyselyStore.open(db);
    try {
      const row = await check.db.selectFrom('operators').select('password_hash').where('operator_id', '=', 'sup').executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    } finally {
      await check.close();
    }
    const again = await invito(db, ['operators', 'add', 'ana', '--name', 'Ana', '--languages', 'it', '--json']);
    expect(again.code).toBe(4);
    expect(json(again).error.code).toBe('OPERATOR_EXISTS');
    const list = await invito(db, ['operators', 'list', '--json']);
    expect(json(list).map((o: { operatorId: string }) => o.operatorId)).toEqual(['ana', 'sup']);
    expect((await invito(db, ['operators', 'disable', 'ana'])).code).toBe(0);
    const next = await invito(db, ['calls', 'next', '--operator', 'ana', '--json']);
    expect(next.code).toBe(4);
    expect(json(next).error.code).toBe('OPERATOR_DISABLED');
    // Each account change is in the audit log; the refused second add is not.
    const log = json(await invito(db, ['audit', 'list', '--json']));
    expect(log.map((e: { action: string; target: string }) => `${e.action} ${e.target}`)).toEqual(['account.add ana', 'account.add sup', 'account.disable ana']);
  }, 240_000);

  it('operators phone sets the number inbound calls ring (normalised to E.164, shown by its last digits), refuses a bad one and an unknown operator, and --clear removes it', async () => {
    expect((await invito(db, ['operators', 'add', 'eva', '--name', 'Eva', '--languages', 'it'])).code).toBe(0);
    const set = await invito(db, ['operators', 'phone', 'eva', '347 123 4567']);
    expect([set.code, set.stdout]).toEqual([0, 'eva: inbound calls ring …567\n']);
    const phoneOf = async () => {
      const s = await KyselyStore.open(db);
      try {
        return (await s.line.lineOperator('eva'))?.phone ?? null;
      } finally {
        await s.close();
      }
    };
    expect(await phoneOf()).toBe('+393471234567');
    const bad = await invito(db, ['operators', 'phone', 'eva', '12']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/phone: /);
    expect(bad.stderr).not.toContain('12');
    const unknown = await invito(db, ['operators', 'phone', 'nobody', '+393471234567']);
    expect([unknown.code, unknown.stderr]).toEqual([4, expect.stringContaining('OPERATOR_NOT_FOUND')]);
    const cleared = await invito(db, ['operators', 'phone', 'eva', '--clear']);
    expect([cleared.code, cleared.stdout]).toEqual([0, 'eva: no phone, no inbound calls\n']);
    expect(await phoneOf()).toBeNull();
  }, 240_000);

  it('next, done, list, release and reassign follow the desk rules, with clear errors for bad outcomes', async () => {
    await invito(db, ['operators', 'add', 'ana', '--name', 'Ana', '--languages', 'it,de']);
    await invito(db, ['operators', 'add', 'bo', '--name', 'Bo', '--languages', 'it,de']);

    const card = json(await invito(db, ['calls', 'next', '--operator', 'ana', '--json']));
    expect(card.task).toMatchObject({ taskId: tasks[0], state: 'leased', leaseOperator: 'ana' });
    expect(card.script.text).toContain('Anna Rossi');
    const text = await invito(db, ['calls', 'next', '--operator', 'ana']);
    expect(text.stdout).toContain(`task ${tasks[0]}`);
    expect(text.stdout).toContain('SCRIPT TREE');

    const unknown = await invito(db, ['calls', 'done', tasks[0]!, '--operator', 'ana', '--disposition', 'maybe', '--json']);
    expect(unknown.code).toBe(2);
    expect(json(unknown).error.code).toBe('DISPOSITION_UNKNOWN');
    const past = await invito(db, ['calls', 'done', tasks[0]!, '--operator', 'ana', '--disposition', 'callback', '--callback-at', '2020-01-01T10:00:00Z', '--json']);
    expect(past.code).toBe(2);
    expect(json(past).error.code).toBe('CALLBACK_INVALID');
    const foreign = await invito(db, ['calls', 'done', tasks[0]!, '--operator', 'bo', '--disposition', 'booked', '--json']);
    expect(foreign.code).toBe(4);
    expect(json(foreign).error.code).toBe('TASK_NOT_YOURS');

    const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString();
    const cb = json(await invito(db, ['calls', 'done', tasks[0]!, '--operator', 'ana', '--disposition', 'callback', '--callback-at', tomorrow, '--callback-for', 'anyone', '--json']));
    expect(cb.outcome).toBe('callback');
    expect(cb.task).toMatchObject({ state: 'open', callbackOperator: null, dueAt: tomorrow });

    const second = json(await invito(db, ['calls', 'next', '--operator', 'ana', '--json']));
    expect(second.task.taskId).toBe(tasks[1]);
    const booked = await invito(db, ['calls', 'done', tasks[1]!, '--operator', 'ana', '--disposition', 'booked', '--answers', '{"identity":"yes","vaccinated":"no","offer":"yes"}', '--json']);
    expect(booked.code).toBe(0);
    expect(json(booked).task).toMatchObject({ state: 'closed', closedReason: 'booked' });

    const third = json(await invito(db, ['calls', 'next', '--operator', 'ana', '--json']));
    expect(third.task.taskId).toBe(tasks[2]);
    expect(json(await invito(db, ['calls', 'reassign', tasks[2]!, '--to', 'bo', '--json']))).toMatchObject({ leaseOperator: 'bo' });
    expect(json(await invito(db, ['calls', 'next', '--operator', 'bo', '--json'])).task.taskId).toBe(tasks[2]);
    expect(json(await invito(db, ['calls', 'release', tasks[2]!, '--json']))).toMatchObject({ state: 'open', leaseOperator: null });

    const list = json(await invito(db, ['calls', 'list', '--campaign', 'calls', '--json']));
    expect(list.map((t: { taskId: string; state: string }) => [t.taskId, t.state])).toEqual([
      [tasks[0], 'open'],
      [tasks[1], 'closed'],
      [tasks[2], 'open'],
      [tasks[3], 'open'],
    ]);
    const stats = json(await invito(db, ['calls', 'stats', '--json']));
    expect(stats.byOperator).toEqual([{ operatorId: 'ana', calls: 2, outcomes: { callback: 1, booked: 1 } }]);
  }, 240_000);
});
