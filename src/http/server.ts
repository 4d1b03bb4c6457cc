/**
 * invito's one HTTP server, the host of three encapsulated fastify plugins:
 *
 * - the provider webhooks (`src/feedback/webhooks.ts`): `POST /webhooks/twilio/status`, `/inbound`;
 * - the citizens' reply-link pages (`src/feedback/links.ts`): `GET|POST /r/:token/:action`;
 * - the operators' console (`src/console/server.ts`), under `/console`, when it is given one.
 *
 * Here is only what they share: the listener, the proxies believed, one request log line by
 * route, form bodies and nothing else, the JSON answer for errors and unknown paths (the pages'
 * plugins answer theirs with pages), and `GET /healthz`.
 *
 * It logs ids, counts and statuses only: requests carry phone numbers and what citizens wrote.
 */
import { type AddressInfo, isIP } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { type Logger, pino } from 'pino';
import { CONSOLE_PREFIX, type ConsoleOptions, consolePlugin } from '../console/server.js';
import { InvitoError } from '../core/errors.js';
import { replyLinks } from '../feedback/links.js';
import type { FeedbackStore } from '../feedback/store.js';
import { type VoiceWebhookOptions, voiceWebhooks } from '../feedback/voice-webhooks.js';
import { type TwilioWebhookOptions, twilioWebhooks } from '../feedback/webhooks.js';
import { type DashboardOptions, dashboardPlugin } from '../dashboard/server.js';
import { type MetricsRouteOptions, metricsPlugin } from '../metrics/metrics.js';
import { refusal } from '../web/errors.js';

/** The path a load balancer or monitor asks whether the server is up. */
const HEALTH_PATH = '/healthz';

/** What the server needs. */
export interface HttpServerOptions {
  readonly store: FeedbackStore;
  /** The Twilio auth token that signs every webhook (`TWILIO_AUTH_TOKEN`). */
  readonly authToken: string;
  /**
   * The base URL Twilio and citizens reach this server at (`INVITO_PUBLIC_URL`), as given to
   * Twilio in `StatusCallback`: Twilio signs that URL, so signatures are checked against it
   * and not against the address the server happens to listen on behind a proxy.
   */
  readonly publicUrl: string;
  /** Where the server logs (ids, counts and statuses). @defaultValue silent */
  readonly logger?: Logger | false;
  /** The clock receipts, replies and opt-outs are stamped with. @defaultValue the system clock */
  readonly now?: () => Date;
  /** The operators' web console under `/console`; without it the server has none. */
  readonly console?: ConsoleOptions;
  /**
   * Addresses or CIDR ranges of the reverse proxies in front (`INVITO_TRUST_PROXY`, comma-separated):
   * only their `X-Forwarded-For` is believed for the client's address, which the console's
   * sign-in limits and logs go by. @defaultValue none: the connection's address
   */
  readonly trustProxy?: string;
  /** SMS replies that act, and their answers (feedback/conversation.ts); without it replies are only stored. */
  readonly replies?: TwilioWebhookOptions['replies'];
  /** Automated calls that listen (feedback/ivr.ts); without it the voice webhooks are not mounted. */
  readonly voice?: Omit<VoiceWebhookOptions, 'authToken' | 'publicUrl' | 'now'>;
  /** The health authority's dashboard at `/` (dashboard/server.ts); without it there is none. */
  readonly dashboard?: Omit<DashboardOptions, 'now'>;
  /** `GET /metrics` (metrics/metrics.ts); without it there is none. */
  readonly metrics?: MetricsRouteOptions;
}

/** Twilio's webhooks are a few kB; a reply-link POST is nearly empty. */
const BODY_LIMIT = 64 * 1024;

export interface StartHttpServerOptions extends Omit<HttpServerOptions, 'publicUrl'> {
  /** @defaultValue the address it listens on, `http://HOST:PORT` (`127.0.0.1` for a wildcard host) */
  readonly publicUrl?: string;
  /** 0 picks a free one. @defaultValue 8080 */
  readonly port?: number;
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
}

/** A listening server. */
export interface RunningHttpServer {
  /** Where it listens, `http://HOST:PORT`. */
  readonly url: string;
  /** The base URL signatures are checked against and links point to. */
  readonly publicUrl: string;
  /** Stops accepting connections and resolves once the requests in flight are answered. */
  close(): Promise<void>;
}

/**
 * Builds the server and listens. Throws `USAGE` when the port is taken and `CONFIG_INVALID` as
 * `buildHttpServer` does. The store stays the caller's to close.
 *
 * @example
 * const server = await startHttpServer({ store: store.feedback, authToken, port: 0 });
 * // StatusCallback: `${server.publicUrl}/webhooks/twilio/status`
 * await server.close();
 */
export async function startHttpServer(options: StartHttpServerOptions): Promise<RunningHttpServer> {
  const { port = 8080, host = '127.0.0.1' } = options;
  const given = options.publicUrl === undefined ? null : checkPublicUrl(options.publicUrl);
  let url = '';
  // Without a public URL the server is its own: known only once listening (port 0 picks one).
  const app = build(options, () => given ?? url);
  try {
    await app.listen({ port, host });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvitoError('USAGE', code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port} (${(e as Error).message})`, { cause: e });
  }
  const address = app.server.address() as AddressInfo;
  // A wildcard address is reached through the loopback, which is also what a default public URL must name.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${address.port}`;
  let closing: Promise<void> | undefined;
  return { url, publicUrl: given ?? url, close: () => (closing ??= drain(app)) };
}

/** A request still unanswered this long after close began is cut. */
const DRAIN_MS = 30_000;

/**
 * Stops listening and resolves once the requests in flight are answered. Fastify 5.12 leaves a
 * keep-alive connection whose request was in flight at close open until its keep-alive timeout
 * (72 s; its 'idle' default does not act on its own server: fastify/fastify#7044), and Twilio's
 * callbacks come over keep-alive sockets: each connection is closed as soon as it goes idle.
 */
async function drain(app: FastifyInstance): Promise<void> {
  const reap = setInterval(() => app.server.closeIdleConnections(), 50);
  const cut = setTimeout(() => app.server.closeAllConnections(), DRAIN_MS);
  try {
    await app.close();
  } finally {
    clearInterval(reap);
    clearTimeout(cut);
  }
}

/**
 * The public URL as signatures are checked against it: without trailing slashes, otherwise as
 * written. Throws `CONFIG_INVALID` unless it is an http(s) URL without query or fragment.
 */
export function checkPublicUrl(publicUrl: string): string {
  let u: URL;
  try {
    u = new URL(publicUrl);
  } catch {
    throw new InvitoError('CONFIG_INVALID', 'the public URL (INVITO_PUBLIC_URL) is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvitoError('CONFIG_INVALID', 'the public URL (INVITO_PUBLIC_URL) must be http:// or https://');
  if (u.search || u.hash) throw new InvitoError('CONFIG_INVALID', 'the public URL (INVITO_PUBLIC_URL) may not have a query or fragment');
  // As written, not as `URL` would normalise it: Twilio signs the string it was given.
  return publicUrl.replace(/\/+$/, '');
}

/**
 * The proxies whose forwarded address is believed: addresses and CIDR ranges only. A hop count
 * or `true` would believe whatever a client writes in `X-Forwarded-For`. Throws `CONFIG_INVALID`.
 */
export function trustedProxies(list: string): string[] {
  const entries = list.split(',').map((e) => e.trim()).filter(Boolean);
  for (const e of entries) {
    const [address = '', bits, ...rest] = e.split('/');
    const max = isIP(address) === 4 ? 32 : isIP(address) === 6 ? 128 : 0;
    if (max === 0 || rest.length > 0 || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) {
      throw new InvitoError('CONFIG_INVALID', `INVITO_TRUST_PROXY: "${e.slice(0, 60)}" is not an IP address or CIDR range (give the reverse proxies' addresses, comma-separated)`);
    }
  }
  return entries;
}

/** A form body as a plain object of strings; a repeated name keeps its last value (Twilio repeats none in these webhooks). */
function parseForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

function build(options: Omit<HttpServerOptions, 'publicUrl'>, publicUrlOf: () => string): FastifyInstance {
  const { store, authToken } = options;
  if (authToken === '') throw new InvitoError('CONFIG_INVALID', 'the Twilio auth token (TWILIO_AUTH_TOKEN) may not be empty');
  const now = options.now ?? (() => new Date());
  const log = options.logger || pino({ level: 'silent' });

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    ...(options.trustProxy ? { trustProxy: trustedProxies(options.trustProxy) } : {}),
    // Fastify's own request lines carry the URL (reply-link tokens) and the client's address;
    // one line per request, with the route pattern only, is written below instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
  });

  // Only forms are read, by every plugin (set before they are registered, so they inherit it):
  // Twilio posts forms, the pages' buttons post forms, and nothing here takes JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });
  // Any other body is read and dropped. A reply-link POST is the request whatever it carries
  // (RFC 8058 one-click unsubscribes may come as multipart/form-data), and a webhook without a
  // form has no parameters, so its signature check fails as it should.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, _body, done) => done(null, {}));

  app.addHook('onResponse', async (req, reply) => {
    log.debug({ method: req.method, route: req.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'USAGE', message: `no endpoint ${req.method} ${req.url.split('?')[0]}` } }),
  );

  // Providers and monitors get JSON; the reply links and the console answer with their own pages.
  app.setErrorHandler((e: FastifyError | InvitoError, req, reply) => {
    const { status, error } = refusal(e, req, log);
    return reply.code(status).send({ error });
  });

  app.get(HEALTH_PATH, async () => ({ ok: true }));
  if (options.metrics) app.register(metricsPlugin, options.metrics);

  app.register(twilioWebhooks, { store, authToken, publicUrl: publicUrlOf, now, ...(options.replies ? { replies: options.replies } : {}) });
  if (options.voice) app.register(voiceWebhooks, { ...options.voice, authToken, publicUrl: publicUrlOf, now });
  app.register(replyLinks, { store, now, ...(options.replies ? { page: options.replies.store } : {}) });
  if (options.console) app.register(consolePlugin, { ...options.console, publicUrl: publicUrlOf, now, prefix: CONSOLE_PREFIX });
  if (options.dashboard) app.register(dashboardPlugin, { ...options.dashboard, now });

  return app;
}
