/** `invito launch`, `worker`, `pause`, `resume`, `cancel` and `status`. */
import { Command, Option } from 'commander';
import pino from 'pino';
import { assertCampaignSound } from '../../campaigns/check.js';
import { loadCampaign } from '../../campaigns/load.js';
import { templateLibrary, templatesDir } from '../../campaigns/messages.js';
import { configFromEnv, openApp, startWorker, stopWorker, workerConfig } from '../../app/index.js';
import { CHANNELS, type Channel } from '../../core/channels.js';
import { InvitoError } from '../../core/errors.js';
import { controlCampaign } from '../../pacer/campaigns.js';
import { launchCampaign } from '../../pacer/launch.js';
import { formatStatus, statusReport } from '../../reports/status.js';
import { MAX_RATE, MAX_TIME_SCALE, numberFlag } from '../flags.js';
import { audit, logDestination, printJson, untilSignal, withStore } from '../context.js';
import { noteEmptyRegistry } from '../registry-note.js';

/** Logs go to stderr, as JSON, with ids and counts only. */
export const logger = (): pino.Logger => pino({ level: process.env.INVITO_LOG_LEVEL || 'info' }, logDestination());

export function register(program: Command): void {
  program
    .command('launch')
    .description('register a campaign and select its recipients in priority order; workers then send')
    .argument('<file>', 'campaign YAML file')
    .option('--rate <n>', "a cap on releases per second, below the providers' ceilings (default: none)")
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: { rate?: string; json?: boolean }, cmd: Command) => {
      const rate = opts.rate === undefined ? 0 : numberFlag('--rate', opts.rate, { min: 0, above: true, max: MAX_RATE });
      const { campaign, where } = await loadCampaign(file);
      const library = await templateLibrary(templatesDir(cmd.optsWithGlobals().templates));
      await withStore(cmd, async (store) => {
        await noteEmptyRegistry(store);
        await assertCampaignSound({ campaign, file, where, library, store: store.campaigns });
        const r = await launchCampaign(store.dispatch, campaign, rate, new Date().toISOString());
        if (r.created || r.added > 0) await audit(store, 'campaign.launch', campaign.id, { recipients: r.recipients, added: r.added });
        if (opts.json) printJson({ campaign: campaign.id, ...r });
        else {
          process.stdout.write(
            `${r.created ? 'Launched' : 'Already launched:'} ${campaign.id}: ${r.recipients.toLocaleString('en')} recipients${r.created ? '' : ` (${r.added} new)`}, paced to its daily target by the workers (invito worker)${rate > 0 ? `, at most ${rate}/s` : ''}.\n`,
          );
        }
      });
    });

  program
    .command('worker')
    .description('send: consume the channel queues (and release active campaigns) until SIGTERM/SIGINT')
    .option('--queues <list>', `channels to consume, comma-separated (${CHANNELS.join(',')})`, CHANNELS.join(','))
    .option('--concurrency <n>', 'jobs in flight per channel', '20')
    .option('--no-release', 'do not take part in releasing campaigns')
    .option('--time-scale <k>', 'run the campaign clock K times faster (tests, demos: 1000 plays a day in 86 s); shared by every process through Redis')
    .option('--start <iso>', 'with --time-scale: the clock time to start from (default now)')
    .action(async (opts: { queues: string; concurrency: string; release: boolean; timeScale?: string; start?: string }, cmd: Command) => {
      const wanted = opts.queues.split(',').map((q) => q.trim()).filter(Boolean) as Channel[];
      for (const q of wanted) if (!(CHANNELS as readonly string[]).includes(q)) throw new InvitoError('USAGE', `--queues: unknown channel ${q}; channels: ${CHANNELS.join(', ')}`);
      // Checked before the store and Redis are opened: a bad flag starts nothing.
      const concurrency = numberFlag('--concurrency', opts.concurrency, { min: 1, max: 1000, integer: true });
      const scale = opts.timeScale === undefined ? undefined : numberFlag('--time-scale', opts.timeScale, { min: 1, max: MAX_TIME_SCALE });
      const log = logger();
      const library = await templateLibrary(templatesDir(cmd.optsWithGlobals().templates));
      const config = workerConfig(process.env);
      const app = await openApp(configFromEnv(process.env, cmd.optsWithGlobals()), { redis: true, log });
      try {
        if (app.redis?.private) log.info({ redis: app.redis.url }, 'started a private Redis for this worker');
        const worker = await startWorker(app, {
          config,
          channels: wanted,
          library,
          concurrency,
          release: opts.release,
          ...(scale !== undefined ? { timeScale: scale } : {}),
          ...(opts.start !== undefined ? { start: opts.start } : {}),
        });
        log.info({ channels: [...new Set(wanted)], pid: process.pid }, 'worker started');
        if (!config.linkSecretSet) log.warn('INVITO_LINK_SECRET is not set: reply links are signed with the development key; set it before any real campaign');
        // After the first signal a second one ends the process at once (untilSignal lets go).
        const signal = await untilSignal();
        log.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping: finishing the jobs in flight');
        await stopWorker(app, worker, config.shutdownGraceMs);
      } finally {
        await app.close();
      }
    });

  const setStatus = (name: 'pause' | 'resume' | 'cancel', description: string) =>
    program
      .command(name)
      .description(description)
      .argument('<campaign>', 'campaign id')
      .option('--reason <text>', 'why (shown by status)')
      .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
        await withStore(cmd, async (store) => {
          const r = await controlCampaign(store, id, name, { ...(opts.reason !== undefined ? { reason: opts.reason } : {}), at: new Date().toISOString() });
          await audit(store, `campaign.${name}`, id, name === 'cancel' ? { cancelled: r.cancelled } : undefined);
          if (name === 'cancel') process.stdout.write(`${r.cancelled.toLocaleString('en')} unsent message(s) cancelled.\n`);
          process.stdout.write(`Campaign ${id}: ${r.status}.\n`);
        });
      });
  setStatus('pause', 'stop releasing a campaign; queued messages go back to pending');
  setStatus('resume', 'release a paused campaign again, where it stopped');
  setStatus('cancel', 'stop a campaign for good; unsent messages are cancelled');

  program
    .command('status')
    .description('messages per campaign, step, channel and state, from the store')
    .argument('[campaign]', 'campaign id (default: all)')
    .option('--json', 'print one JSON array')
    .addOption(new Option('--watch [seconds]', 'refresh every few seconds').preset('2'))
    .action(async (id: string | undefined, opts: { json?: boolean; watch?: string }, cmd: Command) => {
      const watchSeconds = opts.watch === undefined ? 0 : numberFlag('--watch', opts.watch, { min: 0.1, max: 3600 });
      await withStore(cmd, async (store) => {
        await noteEmptyRegistry(store);
        for (;;) {
          const reports = await statusReport(store.dispatch, id);
          if (id && reports.length === 0) throw new InvitoError('CAMPAIGN_NOT_FOUND', `no launched campaign ${id}`);
          if (opts.json) printJson(reports);
          else process.stdout.write((opts.watch ? '\x1b[2J\x1b[H' : '') + formatStatus(reports));
          if (!opts.watch) return;
          await new Promise((r) => setTimeout(r, watchSeconds * 1000));
        }
      });
    });
}
