/** `invito citizens show ID`: one citizen's registry row, appointments, messages with their fallback chains, replies and calls. */
import type { Command } from 'commander';
import { InvitoError } from '../../core/errors.js';
import { citizenHistory, formatHistory } from '../../reports/citizen.js';
import { printJson, withStore } from '../context.js';

export function register(program: Command): void {
  const citizens = program.command('citizens').description('look up one citizen');
  citizens
    .command('show')
    .description("a citizen's registry row, appointments, every message by campaign and step with its fallback chain, replies and calls (times in Europe/Rome)")
    .argument('<id>', 'citizen id')
    .option('--json', 'print one JSON object')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const history = await citizenHistory(store.history, id);
        if (!history) throw new InvitoError('CITIZEN_NOT_FOUND', `no citizen ${id} in the registry`);
        if (opts.json) printJson(history);
        else process.stdout.write(formatHistory(history));
      });
    });
}
