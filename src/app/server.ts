/**
 * The HTTP server built from the app (`src/http/server.ts` mounts the plugins): the provider
 * webhooks and reply links on the feedback store, and, for `invito serve`, the operators'
 * console on the desk.
 */
import { AuditLog } from '../authority/audit.js';
import type { Logger } from 'pino';
import { campaignZones } from '../console/zones.js';
import { Desk } from '../desk/desk.js';
import { type RunningHttpServer, startHttpServer } from '../http/server.js';
import { KyselyConsoleStore } from '../store/console.js';
import { buildChannels, operatorDialer } from '../channels/index.js';
import { Line } from '../desk/line.js';
import { legUrls } from '../feedback/ivr.js';
import { answerSender } from '../feedback/answers.js';
import type { AnswerSender } from '../feedback/conversation.js';
import type { TemplateLibrary } from '../messages/index.js';
import { type QueueDepths, metricsRegistry } from '../metrics/metrics.js';
import { pricesFromEnv } from '../reports/dashboard.js';
import { assertCampaignSound } from '../campaigns/check.js';
import { parseCampaign } from '../campaigns/load.js';
import type { Campaign } from '../campaigns/schema.js';
import type { NewCampaign } from '../dashboard/server.js';
import { launchCampaign } from '../pacer/launch.js';
import { planCampaign } from '../pacer/plan.js';
import { SendCalendar } from '../pacer/windows.js';
import { queueSettings } from '../queues/queues.js';
import type { KyselyStore } from '../store/index.js';
import { DateTime } from 'luxon';
import type { App } from './app.js';
import type { ServerConfig } from './config.js';

export interface AppServerOptions {
  readonly config: ServerConfig;
  /** 0 picks a free one. @defaultValue 8080 */
  readonly port?: number;
  /** @defaultValue 127.0.0.1 */
  readonly host?: string;
  readonly logger?: Logger;
  /** Mount the operators' console under `/console` (the demo's server has none). */
  readonly console: boolean;
  /** The clock receipts and answers are stamped with. @defaultValue the system clock */
  readonly now?: () => Date;
  /**
   * The templates answers to citizens' texts are rendered from (`reply`). Without them, or
   * without SMS provider settings, replies still act but are not answered.
   */
  readonly library?: TemplateLibrary;
  /** BullMQ's job counts for `GET /metrics` (when the server has Redis). */
  readonly queueDepths?: QueueDepths;
}

/** The installation's time zone: the day an answer limit counts in. */
const ZONE = 'Europe/Rome';

/** The answer sender (SMS, and WhatsApp for WhatsApp replies), when the templates and the Twilio provider settings are there. */
function answers(o: AppServerOptions, app: App): AnswerSender | null {
  const p = o.config.providers;
  if (!o.library || !p.twilio || (!p.twilio.from && !p.twilio.messagingServiceSid)) return null;
  const { sms, whatsapp } = buildChannels(p, ['sms', 'whatsapp'], app.store.dispatch);
  return answerSender({ library: o.library, sms: sms!, ...(whatsapp ? { whatsapp } : {}), publicUrl: o.config.publicUrl ?? p.publicUrl, timezone: ZONE });
}

/** The dashboard's campaign tools: `invito validate`, `plan` and `launch` on a pasted YAML. */
function campaignTools(store: KyselyStore, library: TemplateLibrary): NewCampaign {
  const FILE = 'campaign.yaml';
  return {
    async check(text) {
      const { campaign, where } = parseCampaign(text, FILE);
      await assertCampaignSound({ campaign, file: FILE, where, library, store: store.campaigns });
      return campaign;
    },
    async plan(campaign: Campaign) {
      const ceilingPerSecond = queueSettings().limits[new SendCalendar(campaign).pacingChannel];
      const p = await planCampaign(store, campaign, library, { forecast: { ceilingPerSecond } });
      return {
        campaignId: campaign.id,
        name: campaign.name,
        cohort: p.cohort.total,
        completesOn: p.completesOn ?? null,
        smsCost: p.smsCost ?? null,
        scope: campaign.scope ?? [],
        schedule: (p.schedule ?? []).filter((d) => d.open).slice(0, 120).map((d) => ({ date: d.date, target: d.target, invitations: d.invitations, appointments: d.appointments })),
      };
    },
    launch: (campaign, at) => launchCampaign(store.dispatch, campaign, 0, at),
  };
}

export async function startServer(app: App, o: AppServerOptions): Promise<RunningHttpServer> {
  const { store } = app;
  const { publicUrl, trustProxy, authToken } = o.config;
  // The free-phone line's distribution dials operators through the Calls API; its legs' URLs are
  // the server's, known once it listens.
  let base = publicUrl ?? o.config.providers.publicUrl ?? '';
  const dialer = operatorDialer(o.config.providers);
  const line = o.library
    ? new Line({ store: store.line, ...(dialer ? { dialer } : {}), urls: legUrls(() => base), ...(o.now ? { now: o.now } : {}), ...(o.logger ? { log: o.logger } : {}) })
    : undefined;
  const webConsole = o.console
    ? { desk: new Desk({ store: store.desk, ...(publicUrl ? { publicUrl } : {}) }), store: new KyselyConsoleStore(store.db), campaignZone: campaignZones(store.desk), history: store.history, audit: new AuditLog(store.audit, o.now), ...(line ? { line } : {}) }
    : undefined;
  const send = answers(o, app);
  if (!send) o.logger?.warn('replies to texts act but get no answer: the reply templates or the SMS provider settings (TWILIO_ACCOUNT_SID, TWILIO_FROM) are missing');
  const server = await startHttpServer({
    store: store.feedback,
    replies: { store: store.replies, send, dayStart: (at: Date) => DateTime.fromJSDate(at, { zone: ZONE }).startOf('day').toUTC().toISO()! },
    // Automated calls that listen need the prompts (templates/ivr); `INVITO_FREEPHONE` is what a machine is told to call.
    ...(o.library
      ? { voice: { messages: store.dispatch, replies: store.replies, feedback: store.feedback, tasks: store.replies, library: o.library, ...(line ? { line } : {}), ...(process.env.INVITO_FREEPHONE ? { freephone: process.env.INVITO_FREEPHONE } : {}), ...(process.env.INVITO_LINE_LANGUAGE ? { lineLanguage: process.env.INVITO_LINE_LANGUAGE } : {}) } }
      : {}),
    authToken,
    publicUrl,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(webConsole ? { console: webConsole } : {}),
    ...(webConsole ? { dashboard: { accounts: webConsole.desk, sessions: webConsole.store, store: { campaignRecords: store.campaignRecords, messages: store.messages, dashboard: store.dashboard, statusCounts: (id?: string) => store.dispatch.statusCounts(id) }, audit: webConsole.audit, exports: store.exports, prices: pricesFromEnv(process.env), ...(o.library ? { newCampaign: campaignTools(store, o.library) } : {}) } } : {}),
    metrics: {
      registry: metricsRegistry({ store: store.metrics, ...(line ? { line } : {}), ...(o.queueDepths ? { queues: o.queueDepths } : {}), ...(o.now ? { now: o.now } : {}) }),
      ...(o.config.metricsToken ? { token: o.config.metricsToken } : {}),
    },
    ...(trustProxy ? { trustProxy } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  base = server.publicUrl;
  return server;
}
