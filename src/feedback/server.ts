/**
 * The feedback server: what comes back from providers and citizens.
 *
 * - `POST /webhooks/twilio/status`: message and call status callbacks → receipts
 * - `POST /webhooks/twilio/inbound`: texts from citizens → opt-outs or stored replies
 * - `GET|POST /r/:token/:action`: reply links (confirm, decline, optout); only POST acts
 * - `GET /healthz`
 *
 * It logs ids, counts and statuses only: requests carry phone numbers and what citizens wrote.
 */
import { type AddressInfo, isIP } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import { type Logger, pino } from 'pino';
import twilio from 'twilio';
import { type ConsoleOptions, registerConsole } from '../console/server.js';
import { InvitoError, isInvitoError } from '../core/errors.js';
import { type LinkAction, PAGE_HEADERS, askPage, donePage, isLinkAction, notFoundPage, unavailablePage } from './pages.js';
import type { FeedbackStore, LinkTarget } from './store.js';
import { EMPTY_TWIML, optOutKeyword, readStatusCallback } from './twilio.js';

/** Paths, for building the URLs given to Twilio and in messages. */
export const FEEDBACK_PATHS = {
  status: '/webhooks/twilio/status',
  inbound: '/webhooks/twilio/inbound',
  health: '/healthz',
} as const;

/** What the feedback server needs. */
export interface FeedbackServerOptions {
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
}

/** Twilio's webhooks are a few kB; a reply-link POST is nearly empty. */
const BODY_LIMIT = 64 * 1024;

/** Reply-link tokens are base64url (22 characters today); anything else is not worth a query. */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Builds (without listening) the feedback server. Throws `CONFIG_INVALID` for an empty auth
 * token or a public URL that is not an http(s) URL.
 *
 * @example
 * const app = buildFeedbackServer({ store: store.feedback, authToken, publicUrl: 'https://invito.example.org' });
 * await app.listen({ port: 8080, host: '127.0.0.1' });
 */
export function buildFeedbackServer(options: FeedbackServerOptions): FastifyInstance {
  const base = checkPublicUrl(options.publicUrl);
  return build(options, () => base);
}

export interface StartFeedbackServerOptions extends Omit<FeedbackServerOptions, 'publicUrl'> {
  /** @defaultValue the address it listens on, `http://HOST:PORT` (`127.0.0.1` for a wildcard host) */
  readonly publicUrl?: string;
  /** 0 picks a free one. @defaultValue 8080 */
  readonly port?: number;
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
}

/** A listening feedback server. */
export interface RunningFeedbackServer {
  /** Where it listens, `http://HOST:PORT`. */
  readonly url: string;
  /** The base URL signatures are checked against and links point to. */
  readonly publicUrl: string;
  /** Stops accepting connections and resolves once the requests in flight are answered. */
  close(): Promise<void>;
}

/**
 * Builds the feedback server and listens. Throws `USAGE` when the port is taken and
 * `CONFIG_INVALID` as `buildFeedbackServer` does. The store stays the caller's to close.
 *
 * @example
 * const server = await startFeedbackServer({ store: store.feedback, authToken, port: 0 });
 * // StatusCallback: `${server.publicUrl}/webhooks/twilio/status`
 * await server.close();
 */
export async function startFeedbackServer(options: StartFeedbackServerOptions): Promise<RunningFeedbackServer> {
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
  return { url, publicUrl: given ?? url, close: () => (closing ??= app.close()) };
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

/** The request's form parameters; `{}` when it carried no form, which then fails the signature check. */
function formOf(req: FastifyRequest): Record<string, string> {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

const isLinkRoute = (req: FastifyRequest): boolean => req.routeOptions.url === '/r/:token/:action';

function build(options: Omit<FeedbackServerOptions, 'publicUrl'>, publicUrlOf: () => string): FastifyInstance {
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

  // Only forms are read: Twilio posts forms, and nothing here takes JSON.
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

  app.setErrorHandler((e: FastifyError | InvitoError, req, reply) => {
    const status = isInvitoError(e) ? e.status : (e.statusCode ?? 500);
    if (status >= 500) log.error({ route: req.routeOptions.url ?? null, code: e.code, err: e.message }, 'request failed');
    else log.warn({ route: req.routeOptions.url ?? null, code: e.code, status }, 'request refused');
    // A store failure's message may quote SQL; the caller learns only that it may retry.
    const error = isInvitoError(e)
      ? e.toJSON()
      : status >= 500
        ? { code: 'INTERNAL', message: 'the request could not be processed; try again' }
        : { code: 'USAGE', message: e.message };
    // A citizen gets a page, never JSON ("try again" when the store failed, else "not valid");
    // the stable code rides in a header for monitoring and tests.
    if (isLinkRoute(req)) {
      return reply.code(status).headers(PAGE_HEADERS).header('x-invito-error', error.code).send(status >= 500 ? unavailablePage() : notFoundPage());
    }
    return reply.code(status).send({ error });
  });

  /** Twilio signs the URL it was given plus every form parameter; anything else is not Twilio. */
  const verifyTwilio = async (req: FastifyRequest): Promise<void> => {
    const signature = req.headers['x-twilio-signature'];
    let valid = false;
    if (typeof signature === 'string' && signature !== '') {
      try {
        valid = twilio.validateRequest(authToken, signature, publicUrlOf() + req.url, formOf(req));
      } catch {
        // a URL that cannot be parsed cannot have been signed
      }
    }
    if (!valid) throw new InvitoError('WEBHOOK_SIGNATURE_INVALID', 'the X-Twilio-Signature is missing or does not match this auth token and URL');
  };

  app.get(FEEDBACK_PATHS.health, async () => ({ ok: true }));

  if (options.console) registerConsole(app, { ...options.console, publicUrl: publicUrlOf, now, logger: log });

  app.post(FEEDBACK_PATHS.status, { preHandler: verifyTwilio }, async (req, reply) => {
    const callback = readStatusCallback(formOf(req));
    if (!callback) throw new InvitoError('WEBHOOK_PAYLOAD_INVALID', 'a status callback carries MessageSid and MessageStatus, or CallSid and CallStatus');
    const { providerId, kind, status, state, errorCode } = callback;
    if (state === null) {
      log.debug({ providerId, kind, status }, 'intermediate status ignored');
      return reply.code(204).send();
    }
    const r = await store.applyReceipt(providerId, state, errorCode, now().toISOString());
    log.debug({ providerId, kind, status, state, errorCode, messageId: r.messageId, changed: r.changed }, 'receipt');
    return reply.code(204).send();
  });

  app.post(FEEDBACK_PATHS.inbound, { preHandler: verifyTwilio }, async (req, reply) => {
    const params = formOf(req);
    const messageSid = params.MessageSid || params.SmsSid;
    const from = params.From;
    if (!messageSid || !from) throw new InvitoError('WEBHOOK_PAYLOAD_INVALID', 'an inbound message carries MessageSid and From');
    const body = params.Body ?? '';
    const at = now().toISOString();
    const keyword = optOutKeyword(body);
    if (keyword !== null) {
      const r = await store.optOutByPhone(from, `sms:${keyword}`, at);
      log.info({ messageSid, keyword, citizens: r.citizens, messagesStopped: r.messagesStopped }, 'opt-out by SMS');
    } else {
      // Several citizens may share a phone (a carer's number); the reply is filed under the
      // first, and an operator reading it sees the number's other citizens from there.
      const [citizenId = null] = await store.citizensByPhone(from);
      await store.recordResponse({ responseId: messageSid, citizenId, messageId: null, channel: 'sms', kind: 'reply', body, at });
      log.info({ messageSid, citizenId }, 'reply recorded');
    }
    return reply.code(200).type('text/xml; charset=utf-8').send(EMPTY_TWIML);
  });

  /** The message behind a reply link; `LINK_NOT_FOUND` for an unknown token or action. */
  const target = async (params: LinkParams): Promise<{ link: LinkTarget; action: LinkAction }> => {
    const { token, action } = params;
    const link = isLinkAction(action) && TOKEN.test(token) ? await store.messageByToken(token) : null;
    if (link === null || !isLinkAction(action)) throw new InvitoError('LINK_NOT_FOUND', 'no message has this reply-link token and action');
    return { link, action };
  };

  // GET only describes: mail scanners and link previews open every link they see.
  app.get<{ Params: LinkParams }>('/r/:token/:action', async (req, reply) => {
    const { action } = await target(req.params);
    return reply.code(200).headers(PAGE_HEADERS).send(askPage(action));
  });

  // POST acts: the page's button, or a mail client's RFC 8058 one-click unsubscribe
  // (`List-Unsubscribe=One-Click`), which posts without ever showing the page.
  app.post<{ Params: LinkParams }>('/r/:token/:action', async (req, reply) => {
    const { link, action } = await target(req.params);
    const at = now().toISOString();
    if (action === 'optout') {
      const r = await store.optOutCitizen(link.citizenId, 'link', at);
      log.info({ messageId: link.messageId, citizens: r.citizens, messagesStopped: r.messagesStopped }, 'opt-out by link');
    } else {
      // One response per message and action, so a second press (or a retried POST) adds nothing.
      await store.recordResponse({
        responseId: `${link.messageId}.${action}`,
        citizenId: link.citizenId,
        messageId: link.messageId,
        channel: 'link',
        kind: action,
        body: null,
        at,
      });
      log.info({ messageId: link.messageId, kind: action }, 'link response recorded');
    }
    return reply.code(200).headers(PAGE_HEADERS).send(donePage(action));
  });

  return app;
}

interface LinkParams {
  token: string;
  action: string;
}
