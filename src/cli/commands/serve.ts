/**
 * `invito serve [--port 8080] [--host 127.0.0.1]`: the feedback server (Twilio status and
 * inbound webhooks, reply links) and the operators' web console (`/console`) until SIGINT/SIGTERM.
 *
 * Environment: `TWILIO_AUTH_TOKEN` (required: it checks every webhook's signature) and
 * `INVITO_PUBLIC_URL`, the base URL Twilio and citizens reach the server at (default
 * `http://HOST:PORT`); `INVITO_TRUST_PROXY`, the reverse proxies whose `X-Forwarded-For` names
 * the client (the console's sign-in limits go by it). `--smtp-port N` also listens for email
 * bounces (delivery status notifications to the VERP return paths, feedback/bounces.ts);
 * `INVITO_BOUNCE_DOMAIN` limits it to that domain's return paths.
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import { configFromEnv, openApp, serverConfig, startServer } from '../../app/index.js';
import { templateLibrary, templatesDir } from '../../campaigns/messages.js';
import { InvitoError } from '../../core/errors.js';
import { type RunningBounceListener, startBounceListener } from '../../feedback/bounces.js';
import { FEEDBACK_PATHS } from '../../feedback/webhooks.js';
import type { RunningHttpServer } from '../../http/server.js';
import { queueDepths, queueSettings } from '../../queues/queues.js';
import { logDestination, untilSignal } from '../context.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function portOf(value: string, flag = '--port'): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new InvitoError('USAGE', `${flag} must be a port from 0 to 65535 (0 picks a free one), not ${value}`);
  return n;
}

/** Adds `invito serve` to the program. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('receive Twilio status callbacks and inbound SMS, and serve reply links, until SIGINT/SIGTERM')
    .option('--port <port>', 'port to listen on (0: a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--smtp-port <port>', 'also receive email bounces (delivery status notifications) over SMTP on this port (0: a free one)')
    .option('--log-level <level>', `pino level on stderr: ${LOG_LEVELS.join(', ')} (debug logs every request, by route)`, 'info')
    .action(async (opts: { port: string; host: string; logLevel: string; smtpPort?: string }, cmd: Command) => {
      const port = portOf(opts.port);
      const smtpPort = opts.smtpPort === undefined ? null : portOf(opts.smtpPort, '--smtp-port');
      if (!LOG_LEVELS.includes(opts.logLevel)) throw new InvitoError('USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
      // Checked before the store opens, so a typo does not leave an empty store behind.
      const config = serverConfig(process.env);
      const logger = pino({ name: 'invito-serve', level: opts.logLevel }, logDestination());
      // With INVITO_REDIS_URL, /metrics also reports the queues' depths (serve starts no Redis of its own).
      const app = await openApp(configFromEnv(process.env, cmd.optsWithGlobals()), { redis: !!process.env.INVITO_REDIS_URL });
      const depths = app.redis ? queueDepths(app.redis.connection(), queueSettings(process.env).prefix, app.redis.onError) : null;
      try {
        const library = await templateLibrary(templatesDir((cmd.optsWithGlobals() as { templates?: string }).templates));
        const server = await startServer(app, { config, port, host: opts.host, logger, console: true, library, ...(depths ? { queueDepths: depths.read } : {}) });
        logger.info({ url: server.url }, 'feedback server listening');
        let bounces: RunningBounceListener | null = null;
        if (smtpPort !== null) {
          const domain = process.env.INVITO_BOUNCE_DOMAIN || undefined;
          bounces = await startBounceListener({ store: app.store.feedback, port: smtpPort, host: opts.host, ...(domain ? { domain } : {}), log: logger }).catch(async (e: Error) => {
            await server.close();
            throw new InvitoError('USAGE', `--smtp-port ${smtpPort}: cannot listen for bounces (${e.message})`);
          });
          logger.info({ port: bounces.port }, 'bounce listener listening');
        }
        process.stdout.write(
          [
            `invito serve: listening on ${server.url}`,
            `  status callback  ${server.publicUrl}${FEEDBACK_PATHS.status}`,
            `  inbound SMS      ${server.publicUrl}${FEEDBACK_PATHS.inbound}`,
            `  reply links      ${server.publicUrl}/r/<token>/<confirm|decline|optout>`,
            `  web console      ${server.publicUrl}/console`,
            `  dashboard        ${server.publicUrl}/ (invito users add … --role admin|manager|viewer)`,
            `  metrics          ${server.publicUrl}/metrics${config.metricsToken ? ' (Bearer INVITO_METRICS_TOKEN)' : ' (this machine only)'}`,
            ...(bounces ? [`  email bounces    smtp://${opts.host}:${bounces.port} (to bounces+<message>@…)`] : []),
            '',
          ].join('\n'),
        );
        await closeOnSignal(server);
        await bounces?.close();
        logger.info('feedback server closed');
      } finally {
        await depths?.close();
        await app.close();
      }
    });
}

/**
 * Waits for SIGINT or SIGTERM, then closes the server: requests in flight are answered first.
 * The handlers go at once, so a second signal during a slow close ends the process the usual way.
 */
async function closeOnSignal(server: RunningHttpServer): Promise<void> {
  await untilSignal();
  await server.close();
}
