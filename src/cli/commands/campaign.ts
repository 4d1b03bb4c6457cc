/** `invito validate FILE`, `invito plan FILE` and `invito preview FILE --citizen ID`. */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { assertCampaignSound } from '../../campaigns/check.js';
import { loadCampaign } from '../../campaigns/load.js';
import { templateLibrary, templatesDir } from '../../campaigns/messages.js';
import { formatPlan, planCampaign } from '../../pacer/plan.js';
import { preview } from '../../campaigns/preview.js';
import { CHANNELS, type Channel } from '../../core/channels.js';
import { InvitoError } from '../../core/errors.js';
import { dateParts, daysInMonth } from '../../core/calendar.js';
import { SendCalendar } from '../../pacer/windows.js';
import { queueSettings } from '../../queues/queues.js';
import { DEFAULT_DB } from '../../store/index.js';
import { printJson, storeFor, withStore } from '../context.js';
import { noteEmptyRegistry } from '../registry-note.js';

/** Validate samples the registry only when there is one: it must not create an empty store. */
function registryConfigured(cmd: Command): boolean {
  const root = cmd.optsWithGlobals() as { db?: string };
  return Boolean(root.db || process.env.INVITO_DB) || existsSync(DEFAULT_DB);
}

/** The forecast options of `plan`, checked before anything is opened. */
function forecastOptions(opts: { start?: string; coverage: string; daysMax: string }): { start?: string; coverage: number; daysMax: number } {
  const parts = opts.start === undefined ? null : dateParts(opts.start);
  if (opts.start !== undefined && (parts === null || parts[1] < 1 || parts[1] > 12 || parts[2] < 1 || parts[2] > daysInMonth(parts[0], parts[1]))) {
    throw new InvitoError('USAGE', `--start must be a real date YYYY-MM-DD, not ${opts.start}`);
  }
  const coverage = Number(opts.coverage);
  if (!(coverage > 0 && coverage <= 1)) throw new InvitoError('USAGE', `--coverage must be a share above 0 and at most 1, not ${opts.coverage}`);
  const daysMax = Number(opts.daysMax);
  if (!Number.isInteger(daysMax) || daysMax < 1 || daysMax > 3660) throw new InvitoError('USAGE', `--days-max must be a whole number from 1 to 3660, not ${opts.daysMax}`);
  return { ...(opts.start !== undefined ? { start: opts.start } : {}), coverage, daysMax };
}

export function register(program: Command): void {
  program.option('--templates <dir>', 'template folder (env INVITO_TEMPLATES; default ./templates or the built-in ones)');

  program
    .command('validate')
    .description('check a campaign file and its templates; prints ok or every error with its position')
    .argument('<file>', 'campaign YAML file')
    .option('--json', 'print {"ok": true} or {"ok": false, "code", "errors": [...]}')
    .action(async (file: string, opts: { json?: boolean }, cmd: Command) => {
      try {
        const { campaign, where } = await loadCampaign(file);
        const library = await templateLibrary(templatesDir(cmd.optsWithGlobals().templates));
        if (registryConfigured(cmd)) {
          const store = await storeFor(cmd);
          try {
            await noteEmptyRegistry(store);
            await assertCampaignSound({ campaign, file, where, library, store: store.campaigns });
          } finally {
            await store.close();
          }
        } else {
          await assertCampaignSound({ campaign, file, where, library });
        }
      } catch (e) {
        if (e instanceof InvitoError && e.issues.length > 0) {
          if (opts.json) printJson({ ok: false, code: e.code, errors: e.issues.map((i) => ({ where: i.where, message: i.message })) });
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
    .description('cohort size and composition, messages by channel, the expected SMS cost and the day-by-day forecast')
    .argument('<file>', 'campaign YAML file')
    .option('--json', 'print one JSON object')
    .option('--start <date>', 'first day of the forecast, YYYY-MM-DD (default: the campaign\'s reference_date)')
    .option('--coverage <share>', 'report the day appointments reach this share of the cohort', '0.7')
    .option('--days-max <n>', 'calendar days the forecast plays at most', '400')
    .action(async (file: string, opts: { json?: boolean; start?: string; coverage: string; daysMax: string }, cmd: Command) => {
      const forecast = forecastOptions(opts);
      const { campaign } = await loadCampaign(file);
      const library = await templateLibrary(templatesDir(cmd.optsWithGlobals().templates));
      // The pacing channel's provider ceiling, as the workers' BullMQ limiter is configured.
      const ceilingPerSecond = queueSettings().limits[new SendCalendar(campaign).pacingChannel];
      await withStore(cmd, async (store) => {
        await noteEmptyRegistry(store);
        const plan = await planCampaign(store, campaign, library, { forecast: { ...forecast, ceilingPerSecond } });
        if (opts.json) printJson(plan);
        else process.stdout.write(formatPlan(plan, campaign));
      });
    });

  program
    .command('preview')
    .description('what one citizen would receive from a campaign step, per channel')
    .argument('<file>', 'campaign YAML file')
    .requiredOption('--citizen <id>', 'citizen_id in the registry')
    .option('--step <id>', 'campaign step (default: the first)')
    .addOption(new Option('--channel <channel>', 'only this channel').choices([...CHANNELS]))
    .option('--json', 'print one JSON object per channel, one per line')
    .action(async (file: string, opts: { citizen: string; step?: string; channel?: Channel; json?: boolean }, cmd: Command) => {
      const { campaign } = await loadCampaign(file);
      const library = await templateLibrary(templatesDir(cmd.optsWithGlobals().templates));
      await withStore(cmd, async (store) => {
        await noteEmptyRegistry(store);
        const p = await preview({
          campaign,
          library,
          store: store.campaigns,
          citizenId: opts.citizen,
          ...(opts.step ? { stepId: opts.step } : {}),
          ...(opts.channel ? { channel: opts.channel } : {}),
        });
        if (opts.json) {
          const flags = { citizen: p.citizen, optedOut: p.optedOut, optOut: p.optOut, inCohort: p.inCohort, notInCohort: p.notInCohort };
          for (const m of p.messages) printJson({ ...m, ...flags });
          return;
        }
        const out = process.stdout;
        // First, before a message that reads as if it would go out.
        if (p.optedOut) {
          const when = [p.optOut?.at ? `on ${p.optOut.at.slice(0, 10)}` : '', p.optOut?.source ? `(${p.optOut.source})` : ''].filter(Boolean).join(' ');
          out.write(`note: citizen ${p.citizen} opted out${when ? ' ' + when : ''} — invito would not send this\n`);
        }
        if (!p.inCohort) out.write(`note: citizen ${p.citizen} is not in the cohort of ${campaign.id} (${p.notInCohort.join('; ')}) — invito would not send this\n`);
        out.write(`Citizen ${p.citizen}, step ${p.step}, provisional appointment at ${p.appointment.center} on ${p.appointment.start}\n`);
        for (const m of p.messages) {
          out.write(`\n── ${m.channel} (${m.language})`);
          if (m.channel === 'sms') out.write(` · ${m.encoding}, ${m.characters} characters, ${m.segments} segment${m.segments === 1 ? '' : 's'}`);
          out.write(' ──\n');
          if (m.channel === 'email') out.write(`Subject: ${m.subject}\n\n${m.text}\n`);
          else if (m.channel === 'whatsapp') out.write(`Content template ${m.contentSid}\n${Object.entries(m.variables).map(([k, v]) => `{{${k}}} ${v}`).join('\n')}\n`);
          else out.write(`${m.text}\n`);
        }
      });
    });
}
