/**
 * `invito operators add|list|disable|unlock`: the call desk's accounts. Passwords are read from stdin
 * (`--password-stdin`), never from the command line, where `ps` and shell history would keep them.
 */
import type { Command } from 'commander';
import { InvitoError } from '../../core/errors.js';
import { Desk, type Operator } from '../../desk/desk.js';
import { Line } from '../../desk/line.js';
import { legUrls } from '../../feedback/ivr.js';
import { parsePhone } from '../../registry/fields.js';
import { audit, printJson, readStdin, withStore } from '../context.js';
import { accountChanges } from './users.js';

const line = (o: Operator, now = new Date().toISOString()): string =>
  `${o.operatorId}\t${o.name}\t${o.languages.join(',')}\t${o.role}${o.disabled ? '\tdisabled' : ''}${o.lockedUntil && o.lockedUntil > now ? `\tlocked until ${o.lockedUntil}` : ''}${o.lastSeenAt ? `\tseen ${o.lastSeenAt}` : ''}`;

export function register(program: Command): void {
  const ops = program.command('operators').description('call desk operators: add, list, phone, disable, unlock');

  ops
    .command('add')
    .description('add an operator (or a supervisor)')
    .argument('<id>', 'operator id (letters, digits, ".", "_", "-")')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--languages <codes>', 'languages spoken, ISO 639-1, comma-separated (it,en)')
    .option('--supervisor', 'may release and reassign tasks and see the figures')
    .option('--password-stdin', 'read the console password from stdin (at least 8 characters)')
    .option('--json', 'print the operator as JSON')
    .action(async (id: string, opts: { name: string; languages: string; supervisor?: boolean; passwordStdin?: boolean; json?: boolean }, cmd: Command) => {
      const password = opts.passwordStdin ? await readStdin() : undefined;
      if (opts.passwordStdin && !password) throw new InvitoError('USAGE', '--password-stdin: stdin was empty');
      await withStore(cmd, async (store) => {
        const desk = new Desk({ store: store.desk });
        const o = await desk.addOperator({
          operatorId: id,
          name: opts.name,
          languages: opts.languages.split(','),
          role: opts.supervisor ? 'supervisor' : 'operator',
          ...(password !== undefined ? { password } : {}),
        });
        await audit(store, 'account.add', o.operatorId, { role: o.role });
        if (opts.json) printJson(o);
        else process.stdout.write(`added ${line(o)}\n`);
      });
    });

  ops
    .command('list')
    .description('every operator: id, name, languages, role, disabled, locked, last seen')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const all = await new Desk({ store: store.desk }).operators();
        if (opts.json) printJson(all);
        else process.stdout.write(all.map((o) => line(o) + '\n').join(''));
      });
    });

  ops
    .command('phone')
    .description('set the phone the free-phone line rings for this operator\'s inbound calls (or --clear it)')
    .argument('<id>', 'operator id')
    .argument('[phone]', 'the number, E.164 (+39…) or Italian national')
    .option('--clear', 'remove the phone: the operator takes no inbound calls')
    .action(async (id: string, phone: string | undefined, opts: { clear?: boolean }, cmd: Command) => {
      if (!opts.clear && !phone) throw new InvitoError('USAGE', 'give the phone (+39…) or --clear');
      const parsed = phone && !opts.clear ? parsePhone(phone) : null;
      if (parsed && !parsed.ok) throw new InvitoError('USAGE', `phone: ${parsed.reason}`);
      await withStore(cmd, async (store) => {
        await new Line({ store: store.line, urls: legUrls(() => '') }).setPhone(id, parsed?.ok ? parsed.value : null);
        await audit(store, 'account.phone', id, { phone: parsed?.ok ? 'set' : 'cleared' });
        process.stdout.write(parsed?.ok ? `${id}: inbound calls ring …${parsed.value.slice(-3)}\n` : `${id}: no phone, no inbound calls\n`);
      });
    });

  accountChanges(ops, {
    disable: 'stop giving the operator calls and console access (their lease runs out and the task goes back)',
    unlock: 'lift the lock that failed console sign-ins put on an account (it signs in again at once)',
  });
}
