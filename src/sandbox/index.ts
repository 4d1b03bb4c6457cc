/**
 * The local provider sandbox: a Twilio-compatible REST API and an SMTP sink on loopback, so the
 * real `twilio` and `nodemailer` packages can be exercised end to end without an account.
 * Used by the demo, the tests and the benchmarks; never by a real campaign.
 *
 * @example
 * const sandbox = await startSandbox({ undeliveredShare: 0.02 });
 * const client = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
 * await client.messages.create({ to: '+393331234567', from: '+15005550006', body: 'Ciao' });
 * await client.messages.create({ to: 'whatsapp:+393331234567', from: 'whatsapp:+15005550006', contentSid: 'HX' + '0'.repeat(32) });
 * sandbox.outbox().messages.length; // 2
 * await sandbox.close();
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { InvitoError, isInvitoError } from '../core/errors.js';
import { Scheduler, WebhookPoster } from './callbacks.js';
import { CONTROL_PREFIX, type SandboxControl, registerControlApi } from './control-api.js';
import { SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN } from './credentials.js';
import { KNOB_NAMES, KnobState, type SandboxKnobs } from './knobs.js';
import { Lifecycle } from './lifecycle.js';
import { type LineCaller, type RingResult, SandboxLine } from './line.js';
import { type Caller, Outbox, type OutboxSnapshot, type SandboxStats } from './outbox.js';
import { type SmtpSink, hostForUrl, startSmtpSink } from './smtp.js';
import { TwilioErrors, twilioErrorBody } from './twilio-errors.js';
import { registerTwilioApi } from './twilio-api.js';

export { SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_SENDER } from './credentials.js';
export { DEFAULT_KNOBS, type SandboxKnobs } from './knobs.js';
export type { Caller, CallStatus, MessageChannel, MessageStatus, OutboxCall, OutboxEmail, OutboxMessage, OutboxRecord, OutboxSnapshot, SandboxStats } from './outbox.js';
export { type CallTurn, type InboundCall, type InboundMessage, type InboundResult, type InboundWhatsAppOptions, placeInboundCall, sendInboundMessage } from './inbound.js';
export { WHATSAPP_PREFIX } from './addresses.js';
export { twilioSignature } from './signature.js';
export { gatherAction } from './twiml.js';
export type { LineCaller, QueueOutcome, RingResult } from './line.js';
export { fetchOutbox, fetchStats, updateConfig } from './control-client.js';

/** Where and as whom the sandbox listens; every knob of `SandboxKnobs` may be given too. */
export interface SandboxOptions extends Partial<SandboxKnobs> {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** Twilio API and control port; 0 picks a free one. @defaultValue 0 */
  apiPort?: number;
  /** SMTP port; 0 picks a free one. @defaultValue 0 */
  smtpPort?: number;
  /** The only account the API accepts. @defaultValue SANDBOX_ACCOUNT_SID */
  accountSid?: string;
  /** Its auth token; also signs every webhook. @defaultValue SANDBOX_AUTH_TOKEN */
  authToken?: string;
  /** Appends every accepted message, call and email to this NDJSON file. */
  outboxFile?: string;
  /** Lifecycle at info, each request at debug; ids and counts only. @defaultValue silent */
  logger?: Logger;
  /** Who answers each call and which keys they press (outbox.ts `Caller`); absent, a person who listens and hangs up. */
  callers?: (to: string) => Caller | undefined;
}

/** A running sandbox. */
export interface Sandbox extends SandboxControl {
  /** Base URL of the Twilio-compatible API, `http://127.0.0.1:PORT` (`INVITO_TWILIO_API_BASE`). */
  readonly apiUrl: string;
  /** `smtp://127.0.0.1:PORT` (`INVITO_SMTP_URL`). */
  readonly smtpUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** The environment that points invito at this sandbox. */
  readonly env: Readonly<Record<'INVITO_TWILIO_API_BASE' | 'INVITO_SMTP_URL' | 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN', string>>;
  /** Everything accepted after `since` (a `seq`; default all). */
  outbox(since?: number): OutboxSnapshot;
  /** Resolves when every accepted message and call has reached its final status and reported it. */
  idle(): Promise<void>;
  /**
   * A scripted caller rings the app's number and plays the call to its end: keys at each
   * `<Gather>`, a wait in the named queue at an `<Enqueue>` (simulated time), until an operator's
   * leg placed through this sandbox's Calls API takes them with `<Dial><Queue>`, the wait URL
   * says `<Leave/>` (then the keys go on), or they hang up (`hangUpAfterS`). See line.ts.
   */
  ring(c: LineCaller): Promise<RingResult>;
  /** The CallSids waiting in a queue, head first. */
  waiting(queue: string): string[];
  /** Stops both servers; pending status callbacks are dropped. */
  close(): Promise<void>;
}

const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;

/**
 * Starts the Twilio-compatible API and the SMTP sink. Throws `USAGE` for bad knobs,
 * `CONFIG_INVALID` for a malformed account SID, `SANDBOX_UNAVAILABLE` when a port is taken.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const {
    host = '127.0.0.1',
    apiPort = 0,
    smtpPort = 0,
    accountSid = SANDBOX_ACCOUNT_SID,
    authToken = SANDBOX_AUTH_TOKEN,
    outboxFile,
    logger = pino({ level: 'silent' }),
  } = options;
  if (!ACCOUNT_SID.test(accountSid)) throw new InvitoError('CONFIG_INVALID', 'the sandbox account SID must be AC followed by 32 hex digits');
  if (authToken === '') throw new InvitoError('CONFIG_INVALID', 'the sandbox auth token may not be empty');
  const knobs = new KnobState(Object.fromEntries(KNOB_NAMES.filter((k) => options[k] !== undefined).map((k) => [k, options[k]])));

  const outbox = new Outbox(outboxFile);
  const scheduler = new Scheduler();
  const poster = new WebhookPoster(authToken, scheduler);
  const line = new SandboxLine({ accountSid, poster, logger, roundMs: () => Math.max(5, knobs.now.callbackDelayMs) });
  const lifecycle = new Lifecycle({ accountSid, knobs, outbox, scheduler, poster, logger, line, ...(options.callers ? { callers: options.callers } : {}) });

  const control: SandboxControl = {
    config: () => knobs.snapshot(),
    setConfig: (patch) => {
      const next = knobs.set(patch);
      logger.info({ knobs: Object.keys(patch) }, 'sandbox knobs changed');
      return next;
    },
    outbox: (since) => outbox.list(since),
    resetOutbox: () => outbox.reset(),
    stats: (): SandboxStats => ({ ...outbox.stats(), callbacks: { ...poster.counts } }),
  };

  const app = buildApp({ accountSid, authToken, knobs, outbox, lifecycle, logger }, control);
  let smtp: SmtpSink;
  let listening: 'api' | 'smtp' = 'api';
  try {
    await app.listen({ host, port: apiPort });
    listening = 'smtp';
    smtp = await startSmtpSink({ host, port: smtpPort, knobs, outbox, logger });
  } catch (e) {
    await app.close();
    scheduler.close();
    poster.close();
    await outbox.close();
    const code = (e as NodeJS.ErrnoException).code;
    const port = listening === 'api' ? apiPort : smtpPort;
    throw new InvitoError('SANDBOX_UNAVAILABLE', code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `the sandbox could not listen on ${host} (${(e as Error).message})`, { cause: e });
  }
  const address = app.server.address();
  const apiUrl = `http://${hostForUrl(host)}:${typeof address === 'object' && address ? address.port : apiPort}`;
  const sink = smtp;
  logger.info({ apiUrl, smtpUrl: sink.url }, 'sandbox listening');

  let closing: Promise<void> | undefined;
  return {
    ...control,
    apiUrl,
    smtpUrl: sink.url,
    accountSid,
    authToken,
    env: { INVITO_TWILIO_API_BASE: apiUrl, INVITO_SMTP_URL: sink.url, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken },
    idle: () => lifecycle.idle(),
    ring: (c) => line.ring(c),
    waiting: (q) => line.waiting(q),
    close: () =>
      (closing ??= (async () => {
        line.close();
        scheduler.close();
        poster.close();
        lifecycle.close();
        await Promise.all([app.close(), sink.close()]);
        await outbox.close();
        logger.info(control.stats(), 'sandbox closed');
      })()),
  };
}

function buildApp(o: Parameters<typeof registerTwilioApi>[1], control: SandboxControl): FastifyInstance {
  const app = Fastify({
    // Off: a log line per request would cost more than the request (benchmarks run 2,000/s),
    // and requests carry phone numbers. The sandbox logs ids and counts itself.
    logger: false,
    // The SDK's keep-alive sockets would otherwise hold close() open.
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
  });
  registerTwilioApi(app, o);
  registerControlApi(app, control);
  const isControl = (url: string): boolean => url.startsWith(CONTROL_PREFIX + '/');
  app.setNotFoundHandler((req, reply) => {
    if (isControl(req.url)) return reply.code(404).send({ error: { code: 'USAGE', message: `no sandbox endpoint ${req.method} ${req.url.split('?')[0]}` } });
    o.outbox.countRejected(20404);
    return reply.code(404).send(twilioErrorBody(TwilioErrors.notFound(req.url.split('?')[0]!)));
  });
  app.setErrorHandler((e: FastifyError | InvitoError, req, reply) => {
    if (isControl(req.url)) {
      if (isInvitoError(e)) return reply.code(e.status).send({ error: e.toJSON() });
      const status = e.statusCode ?? 500;
      return reply.code(status).send({ error: { code: status < 500 ? 'USAGE' : 'INTERNAL', message: e.message } });
    }
    const status = (e as FastifyError).statusCode ?? 500;
    o.logger.warn({ status, code: (e as FastifyError).code }, 'twilio api request failed');
    return reply.code(status).send(twilioErrorBody(status >= 500 ? TwilioErrors.internal() : TwilioErrors.http(status, e.message)));
  });
  return app;
}
