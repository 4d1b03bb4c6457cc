/** `invito simulate`: play a campaign on a virtual clock (no waiting, no Redis). */
import type { Command } from 'commander';
import { loadCampaign } from '../../campaigns/load.js';
import { CsvFile } from '../../core/csv.js';
import { InvitoError } from '../../core/errors.js';
import { queueSettings } from '../../queues/queues.js';
import { SIMULATION_COLUMNS, simulate, simulationRows } from '../../simulate/engine.js';
import { printJson, withStore } from '../context.js';
import { noteEmptyRegistry } from '../registry-note.js';

const share = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvitoError('USAGE', `${name} must be a share between 0 and 1, not ${v}`);
  return n;
};

export function register(program: Command): void {
  program
    .command('simulate')
    .description('play a campaign day by day on a virtual clock with the real pacer: invitations, answers, reminders, follow-ups, slots used')
    .argument('<file>', 'campaign YAML file')
    .requiredOption('--days <n>', 'days to play')
    .option('--start <date>', 'first day, YYYY-MM-DD (default: the campaign reference date)')
    .option('--acceptance <p>', 'share of invited citizens who confirm (default: pacing.acceptance.expected)')
    .option('--decline <p>', 'share of the others who decline; the rest never answer', '0.5')
    .option('--seed <s>', 'seed of the citizens\' answers', '1')
    .option('--json', 'print one JSON object')
    .option('--csv <file>', 'write the per-day table as CSV')
    .action(async (file: string, opts: { days: string; start?: string; acceptance?: string; decline: string; seed: string; json?: boolean; csv?: string }, cmd: Command) => {
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) throw new InvitoError('USAGE', `--days must be a whole number from 1 to 366, not ${opts.days}`);
      if (opts.start !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.start)) throw new InvitoError('USAGE', `--start must be a date YYYY-MM-DD, not ${opts.start}`);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new InvitoError('USAGE', `--seed must be a whole number, not ${opts.seed}`);
      const { campaign } = await loadCampaign(file);
      await withStore(cmd, async (store) => {
        await noteEmptyRegistry(store);
        const r = await simulate({
          source: store,
          campaign,
          days,
          ...(opts.start ? { start: opts.start } : {}),
          ...(opts.acceptance !== undefined ? { acceptance: share('--acceptance', opts.acceptance) } : {}),
          decline: share('--decline', opts.decline),
          seed,
          ceilings: queueSettings().limits,
        });
        if (opts.csv) {
          // Counts per day, no personal data: readable like any file the user creates.
          const out = await CsvFile.create(opts.csv, SIMULATION_COLUMNS, { mode: 0o644 });
          for (const row of simulationRows(r)) await out.write(row);
          await out.replace(opts.csv);
        }
        if (opts.json) printJson(r);
        else {
          process.stdout.write(`Simulated ${campaign.id} over ${days} day(s): cohort ${r.cohort.toLocaleString('en')}\n`);
          process.stdout.write(['date      ', 'invited', 'accepted', 'declined', 'reminders', 'follow-ups', 'slots used'].join('  ') + '\n');
          for (const d of r.days) {
            process.stdout.write([d.date, d.invitations, d.acceptances, d.declines, d.reminders, d.followUps, d.slotsUsed].map((v, i) => String(v).padStart(i === 0 ? 10 : [7, 8, 8, 9, 10, 10][i - 1]!)).join('  ') + '\n');
          }
          const t = r.totals;
          process.stdout.write(`total: ${t.invitations} invited, ${t.acceptances} accepted, ${t.declines} declined, ${t.reminders} reminders, ${t.followUps} follow-ups\n`);
        }
      });
    });
}
