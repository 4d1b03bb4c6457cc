/** `invito validate FILE` and `invito plan FILE`. */
import type { Command } from 'commander';
import { loadCampaign } from '../../campaigns/load.js';
import { InvitoError } from '../../core/errors.js';
import { formatPlan, planCampaign } from '../../cohort/plan.js';
import { printJson, withStore } from '../context.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a campaign file; prints ok or every error with line:column')
    .argument('<file>', 'campaign YAML file')
    .option('--json', 'print {"ok": true} or {"ok": false, "errors": [...]}')
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        await loadCampaign(file);
      } catch (e) {
        if (e instanceof InvitoError && e.code === 'CAMPAIGN_INVALID') {
          if (opts.json) printJson({ ok: false, errors: e.issues });
          else for (const i of e.issues) process.stderr.write(`${i.where}: ${i.message}\n`);
          process.exitCode = e.exit;
          return;
        }
        throw e;
      }
      if (opts.json) printJson({ ok: true });
      else process.stdout.write('ok\n');
    });

  program
    .command('plan')
    .description('cohort size and composition of a campaign, computed by the store')
    .argument('<file>', 'campaign YAML file')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: { json?: boolean }, cmd: Command) => {
      const { campaign } = await loadCampaign(file);
      await withStore(cmd, async (store) => {
        const plan = await planCampaign(store.cohort, campaign);
        if (opts.json) printJson(plan);
        else process.stdout.write(formatPlan(plan, campaign));
      });
    });
}
