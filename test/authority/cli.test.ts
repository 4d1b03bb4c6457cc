/**
 * `invito users` and `invito audit` as an administrator runs them: the built CLI on a SQLite
 * file. Accounts of every role with their scopes; bad roles and scope codes refused with the
 * flag named; and every account change and campaign control left in the audit log, as the OS
 * account on this host, with ids and counts only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyStore } from '../../src/store/index.js';
import { callWorld } from '../desk/support.js';
import { built, type CliRun, runCli } from '../support/cli.js';

const invito = (db: string, args: string[], stdin = ''): Promise<CliRun> => runCli(['--db', db, ...args], { stdin });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (r: CliRun) => JSON.parse(r.stdout) as any;

describe.skipIf(!built)('invito users and audit (built CLI)', () => {
  let dir: string;
  let db: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-users-'));
    db = join(dir, 'invito.db');
    const store = await KyselyStore.open(db);
    try {
      await callWorld(store, { n: 2, always: true, id: 'lazio-flu' });
    } finally {
      await store.close();
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds accounts of each role with a scope and page language, lists them, disables and unlocks; each change is audited', async () => {
    const admin = await invito(db, ['users', 'add', 'ada', '--name', 'Ada Admin', '--role', 'admin', '--password-stdin', '--json'], 'a long secret\n');
    expect(admin.code).toBe(0);
    expect(json(admin)).toMatchObject({ operatorId: 'ada', role: 'admin', scopes: [], locale: 'it', hasPassword: true });
    const manager = await invito(db, ['users', 'add', 'mara', '--name', 'Mara', '--role', 'manager', '--scope', 'LAZ,RM1', '--json']);
    expect(json(manager)).toMatchObject({ role: 'manager', scopes: ['LAZ', 'RM1'] });
    const viewer = await invito(db, ['users', 'add', 'vito', '--name', 'Vito', '--role', 'viewer', '--scope', 'PAB', '--locale', 'de', '--json']);
    expect(json(viewer)).toMatchObject({ role: 'viewer', scopes: ['PAB'], locale: 'de' });
    const op = await invito(db, ['users', 'add', 'olga', '--name', 'Olga', '--role', 'operator', '--languages', 'it,en', '--json']);
    expect(json(op)).toMatchObject({ role: 'operator', languages: ['it', 'en'] });

    const badRole = await invito(db, ['users', 'add', 'x', '--name', 'X', '--role', 'boss', '--json']);
    expect(badRole.code).toBe(2);
    expect(json(badRole).error).toMatchObject({ code: 'USAGE' });
    expect(json(badRole).error.message).toMatch(/--role: "boss" is not one of admin, manager, viewer, supervisor, operator/);
    const badScope = await invito(db, ['users', 'add', 'x', '--name', 'X', '--role', 'viewer', '--scope', 'LAZ,Roma Nord', '--json']);
    expect(json(badScope).error.message).toMatch(/--scope: "Roma Nord" is not a region or ASL code/);

    const list = await invito(db, ['users', 'list', '--json']);
    expect(json(list).map((o: { operatorId: string; role: string }) => `${o.operatorId}:${o.role}`)).toEqual(['ada:admin', 'mara:manager', 'olga:operator', 'vito:viewer']);
    const managers = await invito(db, ['users', 'list', '--role', 'manager']);
    expect(managers.stdout).toMatch(/^mara\tMara\tmanager\tLAZ,RM1\tit\n$/);
    expect((await invito(db, ['users', 'disable', 'vito'])).code).toBe(0);
    expect((await invito(db, ['users', 'unlock', 'mara'])).code).toBe(0);
    const missing = await invito(db, ['users', 'disable', 'nobody', '--json']);
    expect(json(missing).error.code).toBe('OPERATOR_NOT_FOUND');

    const log = json(await invito(db, ['audit', 'list', '--json']));
    const actor = `cli:${userInfo().username}`;
    expect(log.map((e: { action: string; target: string }) => `${e.action} ${e.target}`)).toEqual(['account.add ada', 'account.add mara', 'account.add vito', 'account.add olga', 'account.disable vito', 'account.unlock mara']);
    expect(log.every((e: { actor: string; origin: string }) => e.actor === actor && /^cli@/.test(e.origin))).toBe(true);
    expect(log[1].details).toEqual({ role: 'manager', scopes: 'LAZ,RM1' });
    // No names in the log: "Mara" is the account's name, and it appears nowhere.
    expect(JSON.stringify(log)).not.toMatch(/Mara|Ada Admin|Vito/);
  }, 240_000);

  it('pause, resume and cancel from the command line are audited with the campaign id; audit list filters by action and time', async () => {
    expect((await invito(db, ['pause', 'lazio-flu', '--reason', 'centre closed'])).code).toBe(0);
    expect((await invito(db, ['resume', 'lazio-flu'])).code).toBe(0);
    const cancel = await invito(db, ['cancel', 'lazio-flu']);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/Campaign lazio-flu: cancelled\./);
    // A cancelled campaign cannot be resumed, and nothing is audited for the refusal.
    expect((await invito(db, ['resume', 'lazio-flu', '--json'])).code).not.toBe(0);
    const all = json(await invito(db, ['audit', 'list', '--json']));
    expect(all.map((e: { action: string }) => e.action)).toEqual(['campaign.pause', 'campaign.resume', 'campaign.cancel']);
    expect(all.every((e: { target: string }) => e.target === 'lazio-flu')).toBe(true);
    expect(typeof all[2].details.cancelled).toBe('number');
    // The reason is free text: it is the campaign's status, not the log's.
    expect(JSON.stringify(all)).not.toMatch(/centre closed/);
    const pauses = json(await invito(db, ['audit', 'list', '--action', 'campaign.pause', '--json']));
    expect(pauses).toHaveLength(1);
    const future = json(await invito(db, ['audit', 'list', '--since', '2999-01-01', '--json']));
    expect(future).toEqual([]);
    const text = await invito(db, ['audit', 'list', '--action', 'campaign.cancel']);
    expect(text.stdout).toMatch(/^\d{4}-\d\d-\d\dT[^\t]+\tcli:[^\t]+\tcampaign\.cancel\tlazio-flu\tcli@[^\t]+\tcancelled=\d+\n$/);
    const bad = await invito(db, ['audit', 'list', '--since', 'yesterday', '--json']);
    expect(json(bad).error.message).toMatch(/--since: "yesterday" is not an ISO date or time/);
  }, 240_000);
});
