/**
 * `invito demo`: the README's first command. On the embedded defaults — a SQLite file, the
 * configured Redis or a private one, the local provider sandbox — it generates a synthetic
 * registry and a few centres, imports them, validates and plans the sample campaign, launches
 * it and plays its first days on a clock running `--time-scale` times faster (the pacer's
 * windows, daily target, appointments and reminders as they really run), with workers and the
 * webhook server, and prints what a health authority wants to know.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import pino from 'pino';
import { assertCampaignSound } from '../../campaigns/check.js';
import { loadCampaign } from '../../campaigns/load.js';
import { templateLibrary, templatesDir } from '../../campaigns/messages.js';
import { formatPlan, planCampaign } from '../../pacer/plan.js';
import { configFromEnv, openApp, startServer, startWorker } from '../../app/index.js';
import { providerConfig } from '../../channels/index.js';
import { CHANNELS, type Channel } from '../../core/channels.js';
import { heldClock } from '../../core/clock.js';
import { InvitoError } from '../../core/errors.js';
import { launchCampaign } from '../../pacer/launch.js';
import { SendCalendar } from '../../pacer/windows.js';
import { queueSettings } from '../../queues/queues.js';
import { deleteKeys } from '../../queues/redis.js';
import { generateCenters, writeCenters, writeCitizens } from '../../synthetic/generate.js';
import { importCenters, importCitizens } from '../../registry/import.js';
import { formatStatus, statusReport } from '../../reports/status.js';
import { sendInboundMessage, startSandbox } from '../../sandbox/index.js';
import { DEFAULT_DB, KyselyStore } from '../../store/index.js';
import { logDestination } from '../context.js';
import { MAX_TIME_SCALE, numberFlag } from '../flags.js';

/** The next moment a whole send window of the pacing channel opens: today's if it has not opened yet, else the next day's. */
function demoStart(calendar: SendCalendar, now: number): number {
  const ch = calendar.pacingChannel;
  const opens = calendar.nextOpen(ch, now);
  if (opens === null || opens > now) return opens ?? now;
  return calendar.nextOpen(ch, now + calendar.remainingOpenMs(ch, now)) ?? now;
}

const fmt = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

/** One played day: what went out, by step, and the appointments made. */
async function dayLine(store: KyselyStore, campaignId: string, calendar: SendCalendar, day: string): Promise<string> {
  const from = new Date(calendar.dayStart(day)).toISOString();
  const to = new Date(calendar.dayStart(calendar.addDays(day, 1))).toISOString();
  const rows = await store.db
    .selectFrom('messages')
    .select(['step_id', (eb) => eb.fn.countAll().as('n')])
    .where('campaign_id', '=', campaignId)
    .where('queued_at', '>=', from)
    .where('queued_at', '<', to)
    .groupBy('step_id')
    .execute();
  const n = (step: string): number => Number(rows.find((r) => r.step_id === step)?.n ?? 0);
  const pending = await store.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('campaign_id', '=', campaignId).where('state', '=', 'pending').where('step_id', '=', 'invite').executeTakeFirstOrThrow();
  return `${n('invite')} invitations (each with a slot), ${n('reminder')} reminders, ${n('follow-up')} follow-up calls; ${Number(pending.n)} invitations still to go`;
}

/**
 * Opens the store the demo plays in: the one every later command opens by default, so `invito
 * status`, `plan`, `preview` and `simulate` find the demo's campaign without a flag. A store
 * that is empty, or that only the last demo wrote (its import runs, recorded in `marker`), is
 * started afresh so the demo shows the same story each time; any other is refused: synthetic
 * citizens must never land in a real registry.
 */
async function openDemoStore(url: string, marker: string): Promise<KyselyStore> {
  const store = await KyselyStore.open(url);
  const { db } = store;
  const [citizen, center, campaign] = await Promise.all([
    db.selectFrom('citizens').select('citizen_id').limit(1).executeTakeFirst(),
    db.selectFrom('centers').select('center_id').limit(1).executeTakeFirst(),
    db.selectFrom('campaigns').select('campaign_id').limit(1).executeTakeFirst(),
  ]);
  if (!citizen && !center && !campaign) return store;
  let runs: string[] = [];
  try {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as { store?: string; runs?: string[] };
    if (m.store === store.handle.location && Array.isArray(m.runs)) runs = m.runs;
  } catch {
    // no marker: not a demo store
  }
  const foreign = async (table: 'citizens' | 'centers'): Promise<boolean> =>
    Boolean(await db.selectFrom(table).select('import_run').where((eb) => eb.or([eb('import_run', 'is', null), ...(runs.length > 0 ? [eb('import_run', 'not in', runs)] : [])])).limit(1).executeTakeFirst());
  const demoMade = runs.length > 0 && !(await foreign('citizens')) && !(await foreign('centers'));
  const location = store.handle.location;
  if (!demoMade || store.handle.dialect !== 'sqlite') {
    await store.close();
    throw new InvitoError(
      'USAGE',
      `the store at ${location} already holds ${demoMade ? 'an earlier demo (the demo starts afresh only on a SQLite store)' : 'data the demo did not write'}; the demo will not add synthetic citizens to it. Give the demo a store of its own: invito demo --db .invito/demo.db`,
    );
  }
  await store.close();
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(location + suffix, { force: true });
  return KyselyStore.open(url);
}

const SAMPLE_CAMPAIGN = new URL('../../../campaigns/over80-dose1.yaml', import.meta.url);

async function writeFile(path: string, write: (out: NodeJS.WritableStream) => Promise<unknown>): Promise<void> {
  const out = createWriteStream(path);
  await write(out);
  out.end();
  await finished(out);
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run a whole campaign on synthetic data and the local provider sandbox')
    .option('--citizens <n>', 'synthetic citizens (Lazio)', '4000')
    .option('--time-scale <k>', 'how many times faster than real time the campaign clock runs', '2000')
    .option('--days <n>', 'campaign days to play', '2')
    .option('--dir <dir>', 'where the demo keeps its files (the store is --db / INVITO_DB, default .invito/invito.db)', '.invito/demo')
    .action(async (opts: { citizens: string; timeScale: string; days: string; dir: string }, cmd: Command) => {
      const scale = numberFlag('--time-scale', opts.timeScale, { min: 1, max: MAX_TIME_SCALE });
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 14) throw new InvitoError('USAGE', `--days must be a whole number from 1 to 14, not ${opts.days}`);
      const say = (s: string): void => void process.stdout.write(s + '\n');
      const count = numberFlag('--citizens', opts.citizens, { min: 1, max: 200_000, integer: true });
      const dir = opts.dir;
      const dbUrl = (cmd.optsWithGlobals() as { db?: string }).db || process.env.INVITO_DB || DEFAULT_DB;
      const marker = join(dir, 'store.json');
      // Checked before anything is written: a refused demo leaves the folder as it was.
      const store = await openDemoStore(dbUrl, marker);
      if (store.handle.dialect === 'sqlite' && resolve(store.handle.location).startsWith(resolve(dir) + sep)) {
        await store.close();
        throw new InvitoError('USAGE', `the store ${store.handle.location} is inside --dir ${dir}, which the demo empties each run: put it elsewhere (default .invito/invito.db)`);
      }
      // Fresh files each run, so the demo can be run again and shows the same story.
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const log = pino({ level: process.env.INVITO_LOG_LEVEL || 'warn' }, logDestination());

      say(`1. Generating ${count.toLocaleString('en')} synthetic citizens of Lazio (a few bad rows on purpose) and 8 vaccination centres…`);
      const citizensFile = join(dir, 'citizens.csv');
      const centersFile = join(dir, 'centers.csv');
      await writeFile(citizensFile, (out) => writeCitizens(out as never, { count, seed: 1, dirty: 0.005, regions: ['LAZ'] }));
      await writeFile(centersFile, (out) => writeCenters(out as never, generateCenters({ regions: ['LAZ'], count: 8 })));

      const sandbox = await startSandbox({ undeliveredShare: 0.03, callbackDelayMs: 100 });
      const app = await openApp({ ...configFromEnv(process.env, cmd.optsWithGlobals()), redisDataDir: join(dir, 'redis') }, { store, redis: true, log });
      const redis = app.redis!;
      const prefix = `invito-demo-${randomUUID().slice(0, 8)}`;
      let stop: (() => Promise<void>)[] = [];
      try {
        say(`2. Importing into the store (${store.handle.location})…`);
        const c = await importCitizens(store.registry, citizensFile);
        say(`   citizens: ${c.imported} imported, ${c.rejected} rejected (see ${c.rejectsFile}), ${c.warnings} warnings`);
        const k = await importCenters(store.registry, centersFile);
        say(`   centres:  ${k.imported} imported`);
        writeFileSync(marker, JSON.stringify({ store: store.handle.location, runs: [c.run, k.run] }) + '\n');

        const file = decodeURIComponent(SAMPLE_CAMPAIGN.pathname);
        const { campaign: base } = await loadCampaign(file);
        const library = await templateLibrary(templatesDir((cmd.optsWithGlobals() as { templates?: string }).templates));
        const inLazio = { ...base, cohort: { ...base.cohort, regions: ['LAZ' as const] } };
        const cohort = (await planCampaign(store, inLazio, library)).cohort.total;
        // A target that spreads the synthetic cohort over the days played.
        const campaign = { ...inLazio, pacing: { ...inLazio.pacing, daily_target: Math.max(1, Math.ceil(cohort / days)) } };
        await assertCampaignSound({ campaign, file, library, store: store.campaigns });
        say(`3. The sample campaign ${campaign.id} (restricted to Lazio, ${campaign.pacing.daily_target} invitations a day) is valid. Its plan:\n`);
        process.stdout.write(formatPlan(await planCampaign(store, campaign, library), campaign).replace(/^/gm, '   '));
        const calendar = new SendCalendar(campaign);
        // The clock starts a minute before a send window opens, and stands still until the
        // launch: the day played has a whole window, whatever the hour the demo is run at.
        const clock = heldClock(scale, demoStart(calendar, Date.now()) - 60_000);

        say(`\n4. Starting the provider sandbox (${sandbox.apiUrl}, ${sandbox.smtpUrl}), the webhook server and a worker; Redis at ${redis.url}${redis.private ? ' (a private one)' : ''}…`);
        const server = await startServer(app, { config: { authToken: sandbox.authToken, providers: { publicUrl: '' } }, port: 0, console: false, library, now: () => clock.now() });
        stop.push(() => server.close());
        const env = {
          ...sandbox.env,
          TWILIO_MESSAGING_SERVICE_SID: 'MG' + '0'.repeat(31) + '1',
          TWILIO_FROM: '+390612345678',
          INVITO_MAIL_FROM: 'Servizio vaccinazioni Regione Lazio <vaccinazioni@invito.local>',
          INVITO_PUBLIC_URL: server.publicUrl,
        };
        // The worker `invito worker` runs, on the sandbox's providers, the demo's queues and its clock.
        const worker = await startWorker(app, {
          config: { providers: providerConfig(env), queues: { ...queueSettings(), prefix }, timings: { releaser: { tickMs: 50 } } },
          channels: CHANNELS,
          clock,
          library,
          owner: `demo-${process.pid}`,
          publicUrl: server.publicUrl,
        });
        stop = [() => worker.close(), ...stop];

        clock.start();
        const launched = await launchCampaign(store.dispatch, campaign, 0, clock.now().toISOString());
        say(`5. Launched: ${launched.recipients.toLocaleString('en')} recipients in priority order. The campaign clock runs ${scale}× faster from ${fmt(clock.now().getTime())}:`);
        const firstDay = calendar.localDay(clock.now());
        const end = calendar.dayStart(calendar.addDays(firstDay, days));
        let shown = firstDay;
        while (clock.now().getTime() < end) {
          await new Promise((r) => setTimeout(r, 250));
          const today = calendar.localDay(clock.now());
          if (today !== shown) {
            say(`   ${shown}: ${await dayLine(store, campaign.id, calendar, shown)}`);
            shown = today;
          }
        }
        if (shown !== calendar.localDay(end)) say(`   ${shown}: ${await dayLine(store, campaign.id, calendar, shown)}`);
        await sandbox.idle();

        // A citizen answers STOP: opted out of every later message of every campaign.
        const someone = await store.db
          .selectFrom('messages')
          .innerJoin('citizens', 'citizens.citizen_id', 'messages.citizen_id')
          .select(['citizens.citizen_id', 'citizens.phone'])
          .where('messages.channel', '=', 'sms')
          .limit(1)
          .executeTakeFirst();
        if (someone?.phone) {
          await sendInboundMessage({ webhookUrl: `${server.publicUrl}/webhooks/twilio/inbound`, from: someone.phone, body: 'stop', authToken: sandbox.authToken, accountSid: sandbox.accountSid });
          say(`6. Citizen ${someone.citizen_id} replied "stop" by SMS: opted out of every later message, in every campaign.`);
        }

        say('\nResult:\n');
        process.stdout.write(formatStatus(await statusReport(store.dispatch, campaign.id)).replace(/^/gm, '   '));
        const out = sandbox.outbox();
        const tasks = await store.db.selectFrom('call_tasks').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        say(
          `\n   The providers received ${out.messages.length} SMS and ${out.emails.length} emails; ${Number(tasks.n)} citizens with neither a phone nor an email are on the operators' call list.`,
        );
        const sent = await store.db.selectFrom('messages').select(['channel', 'sent_at']).where('campaign_id', '=', campaign.id).where('sent_at', 'is not', null).execute();
        const outside = sent.filter((m) => !calendar.isOpen(m.channel as Channel, Date.parse(m.sent_at!))).length;
        say(`   Sent inside their windows: ${sent.length - outside} of ${sent.length} (outside: ${outside}).`);
        // Fallbacks: invitations that did not reach the citizen (an SMS undelivered) followed by the step's next channel.
        const fallbacks = await store.db
          .selectFrom('messages')
          .select(['channel', (eb) => eb.fn.countAll().as('n')])
          .where('campaign_id', '=', campaign.id)
          .where('fallback_of', 'is not', null)
          .groupBy('channel')
          .execute();
        const fallbackTotal = fallbacks.reduce((a, r) => a + Number(r.n), 0);
        const fellBack = await store.db.selectFrom('messages').select('citizen_id').where('campaign_id', '=', campaign.id).where('fallback_of', 'is not', null).orderBy('citizen_id').limit(1).executeTakeFirst();
        say(
          fallbackTotal > 0
            ? `   Fallbacks: ${fallbackTotal} invitations that did not reach the citizen (undelivered) went on by ${fallbacks.map((r) => `${r.channel ?? 'pending'} ${Number(r.n)}`).join(', ')}, with the same appointment.`
            : '   Fallbacks: none were needed (every first attempt reached its citizen).',
        );
        const smsSent = sent.filter((m) => m.channel === 'sms').length;
        say(`   Nobody was messaged twice: the provider got ${out.messages.length} SMS for ${smsSent} SMS messages (one per citizen and step) sent.`);
        const invited = await store.db
          .selectFrom('messages')
          .innerJoin('citizens', 'citizens.citizen_id', 'messages.citizen_id')
          .select('messages.citizen_id')
          .where('messages.campaign_id', '=', campaign.id)
          .where('citizens.opt_out', '=', 0)
          .orderBy('messages.seq')
          .limit(1)
          .executeTakeFirst();
        // Someone whose invitation went by SMS: the README's "answer by text" replies as them.
        const texted = await store.db
          .selectFrom('messages')
          .innerJoin('citizens', 'citizens.citizen_id', 'messages.citizen_id')
          .select('messages.citizen_id')
          .where('messages.campaign_id', '=', campaign.id)
          .where('messages.step_id', '=', campaign.steps[0]!.id)
          .where('messages.channel', '=', 'sms')
          .where('messages.state', 'in', ['sent', 'delivered'])
          .where('citizens.opt_out', '=', 0)
          .orderBy('messages.seq')
          .limit(1)
          .executeTakeFirst();
        // The exact lines to type: the default store needs no flag.
        const db = dbUrl === DEFAULT_DB && !process.env.INVITO_DB ? '' : ` --db ${dbUrl}`;
        const yaml = existsSync('campaigns/over80-dose1.yaml') ? 'campaigns/over80-dose1.yaml' : file;
        say(`\n   Files: ${dir}/ (the synthetic registry and its rejects); the store: ${store.handle.location}. Next, on this store:\n`);
        for (const line of [
          `invito${db} status`,
          `invito${db} plan ${yaml}`,
          ...(invited ? [`invito${db} preview ${yaml} --citizen ${invited.citizen_id}`] : []),
          ...(someone?.phone ? [`invito${db} preview ${yaml} --citizen ${someone.citizen_id}    # the one who said stop`] : []),
          ...(fellBack ? [`invito${db} citizens show ${fellBack.citizen_id}    # one reached by a fallback: the chain`] : []),
          ...(texted ? [`invito${db} citizens show ${texted.citizen_id}    # one invited by SMS, who can answer by text (README)`] : []),
          `invito${db} simulate ${yaml} --days 7`,
        ]) say(`     npx ${line}`);
        say('\n   (the README\'s "Next steps" go on to the webhook server, an operator and the console)');
      } finally {
        for (const s of stop) await s();
        await sandbox.close();
        // The demo's keys go with it: Redis holds only work in flight.
        await deleteKeys(redis.connection(), prefix);
        await app.close();
        await store.close();
      }
    });
}
