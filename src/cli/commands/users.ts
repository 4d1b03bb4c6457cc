/**
 * `invito users add|list|disable|unlock`: every account — the health authority's staff (`admin`,
 * `manager`, `viewer`, each within a scope of regions or ASLs) and the call desk's (`supervisor`,
 * `operator`, which `invito operators` also manages). One table, one sign-in. Passwords come
 * from stdin (`--password-stdin`), never the command line. Each change is in the audit log.
 */
import type { Command } from 'commander';
import { ROLES, type Role, isRole, parseScope } from '../../authority/access.js';
import { InvitoError } from '../../core/errors.js';
import { Desk, type Operator } from '../../desk/desk.js';
import { audit, printJson, readStdin, withStore } from '../context.js';

/** One account as `users list` prints it: tab-separated, ids and codes only beside the name. */
const row = (o: Operator, now = new Date().toISOString()): string =>
  [
    o.operatorId,
    o.name,
    o.role,
    o.scopes.length ? o.scopes.join(',') : '*',
    o.locale,
    ...(o.disabled ? ['disabled'] : []),
    ...(o.lockedUntil && o.lockedUntil > now ? [`locked until ${o.lockedUntil}`] : []),
    ...(o.lastSeenAt ? [`seen ${o.lastSeenAt}`] : []),
  ].join('\t');

/**
 * `disable ID` and `unlock ID` under an accounts command (`users`, `operators`): one account
 * change each, audited, printed as a line or (`--json`) the account.
 */
export function accountChanges(group: Command, descriptions: { disable: string; unlock: string }): void {
  for (const change of ['disable', 'unlock'] as const) {
    group
      .command(change)
      .description(descriptions[change])
      .argument('<id>', 'account id')
      .option('--json', 'print the account as JSON')
      .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
        await withStore(cmd, async (store) => {
          const desk = new Desk({ store: store.desk });
          const o = change === 'disable' ? await desk.disableOperator(id) : await desk.unlockOperator(id);
          await audit(store, `account.${change}`, id);
          if (opts.json) printJson(o);
          else process.stdout.write(`${change === 'disable' ? 'disabled' : 'unlocked'} ${o.operatorId}\n`);
        });
      });
  }
}

export function register(program: Command): void {
  const users = program.command('users').description('accounts: the authority\'s admins, managers and viewers, and the desk\'s supervisors and operators');

  users
    .command('add')
    .description('add an account')
    .argument('<id>', 'account id (letters, digits, ".", "_", "-")')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--scope <codes>', 'regions or ASLs the account covers, comma-separated (LAZ,RM1); none: the whole installation')
    .option('--languages <codes>', 'languages spoken, for desk roles (it,en); defaults to the page language')
    .option('--locale <code>', 'language of the pages: it, en or de', 'it')
    .option('--password-stdin', 'read the password from stdin (at least 8 characters)')
    .option('--json', 'print the account as JSON')
    .action(async (id: string, opts: { name: string; role: string; scope?: string; languages?: string; locale: string; passwordStdin?: boolean; json?: boolean }, cmd: Command) => {
      if (!isRole(opts.role)) throw new InvitoError('USAGE', `--role: "${opts.role}" is not one of ${ROLES.join(', ')}`);
      const scope = parseScope(opts.scope ?? '');
      if (!scope.ok) throw new InvitoError('USAGE', `--scope: "${scope.bad}" is not a region or ASL code`);
      const password = opts.passwordStdin ? await readStdin() : undefined;
      if (opts.passwordStdin && !password) throw new InvitoError('USAGE', '--password-stdin: stdin was empty');
      await withStore(cmd, async (store) => {
        const o = await new Desk({ store: store.desk }).addOperator({
          operatorId: id,
          name: opts.name,
          role: opts.role as Role,
          languages: (opts.languages ?? opts.locale).split(','),
          scopes: scope.codes,
          locale: opts.locale,
          ...(password !== undefined ? { password } : {}),
        });
        await audit(store, 'account.add', o.operatorId, { role: o.role, scopes: o.scopes.join(',') || '*' });
        if (opts.json) printJson(o);
        else process.stdout.write(`added ${row(o)}\n`);
      });
    });

  users
    .command('list')
    .description('every account: id, name, role, scope (* for all), page language, disabled, locked, last seen')
    .option('--role <role>', 'only this role')
    .option('--json', 'print a JSON array')
    .action(async (opts: { role?: string; json?: boolean }, cmd: Command) => {
      if (opts.role !== undefined && !isRole(opts.role)) throw new InvitoError('USAGE', `--role: "${opts.role}" is not one of ${ROLES.join(', ')}`);
      await withStore(cmd, async (store) => {
        const all = (await new Desk({ store: store.desk }).operators()).filter((o) => opts.role === undefined || o.role === opts.role);
        if (opts.json) printJson(all);
        else process.stdout.write(all.map((o) => row(o) + '\n').join(''));
      });
    });

  accountChanges(users, {
    disable: 'the account signs in no more; its sessions end at their next request',
    unlock: 'lift the lock that failed sign-ins put on an account',
  });
}
