/**
 * The Twilio SDK, pointed at another base URL when asked. The SDK has no base-URL option: it
 * builds `https://api.twilio.com/...` itself and hands the request to its `httpClient`. This
 * client is the SDK's own `RequestClient` (keep-alive, auth, retries and response handling all
 * stay the SDK's) with one change: `https://*.twilio.com` is rewritten to the configured base,
 * such as the local sandbox (`invito sandbox`).
 *
 * Environment (read by the caller, not here): `INVITO_TWILIO_API_BASE` is the base URL the app
 * passes as `apiBase`; unset means the real Twilio API.
 */
import http from 'node:http';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { InvitoError } from '../../core/errors.js';

type SdkResponse<T> = import('twilio/lib/http/response.js').default<T>;

/** The SDK's default per-host socket limit (`RequestClient`'s DEFAULT_MAX_SOCKETS), kept for the rewritten base too. */
const SDK_MAX_SOCKETS = 20;

export interface TwilioClientOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /**
   * Where to send what the SDK would send to `https://*.twilio.com`, e.g.
   * `http://127.0.0.1:4010` (a path prefix is kept). Unset: the real Twilio API, unchanged.
   */
  readonly apiBase?: string;
  /** Per-request timeout. @defaultValue 30000 (the SDK's) */
  readonly timeoutMs?: number;
  /** Sockets per host; requests beyond wait for a free one. @defaultValue 20 (the SDK's) */
  readonly maxSockets?: number;
}

/**
 * Rewrites a Twilio API URL onto `base`: `https://api.twilio.com/2010-04-01/…?x` becomes
 * `BASE/2010-04-01/…?x`. Regional and edge hosts (`api.dublin.ie1.twilio.com`) and the other
 * products' hosts (`messaging.twilio.com`) go to the same base. Anything else is left alone.
 */
export function rewriteTwilioUri(uri: string, base: URL): string {
  const u = new URL(uri);
  if (u.protocol !== 'https:' || !(u.hostname === 'twilio.com' || u.hostname.endsWith('.twilio.com'))) return uri;
  return base.origin + base.pathname.replace(/\/+$/, '') + u.pathname + u.search;
}

/** The SDK's `RequestClient`, sending Twilio API requests to another base URL. */
export class RebasedRequestClient extends twilio.RequestClient {
  readonly base: URL;

  constructor(apiBase: string, opts: RequestClient.RequestClientOptions = {}) {
    super(opts);
    this.base = parseBase(apiBase);
    // The SDK configures only an https agent; a plain-http base (the loopback sandbox) gets
    // the same keep-alive treatment, or every request would open a connection.
    this.axios.defaults.httpAgent = new http.Agent({
      keepAlive: this.keepAlive,
      keepAliveMsecs: opts.keepAliveMsecs,
      maxSockets: opts.maxSockets ?? SDK_MAX_SOCKETS,
      timeout: this.defaultTimeout,
    });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<SdkResponse<TData>> {
    return super.request<TData>({ ...opts, uri: rewriteTwilioUri(opts.uri, this.base) });
  }
}

function parseBase(apiBase: string): URL {
  let u: URL;
  try {
    u = new URL(apiBase);
  } catch {
    throw new InvitoError('CONFIG_INVALID', 'the Twilio API base (INVITO_TWILIO_API_BASE) is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvitoError('CONFIG_INVALID', 'the Twilio API base (INVITO_TWILIO_API_BASE) must be an http:// or https:// URL');
  }
  if (u.search || u.hash) throw new InvitoError('CONFIG_INVALID', 'the Twilio API base (INVITO_TWILIO_API_BASE) may not have a query or fragment');
  return u;
}

/**
 * The real `twilio` client, talking to `apiBase` when given and to Twilio otherwise.
 *
 * @example
 * const client = createTwilioClient({ accountSid, authToken, apiBase: process.env.INVITO_TWILIO_API_BASE || undefined });
 * await client.messages.create({ to: '+393331234567', messagingServiceSid, body: 'Ciao' });
 */
export function createTwilioClient(o: TwilioClientOptions): twilio.Twilio {
  const agent = { timeout: o.timeoutMs, maxSockets: o.maxSockets ?? SDK_MAX_SOCKETS };
  if (o.apiBase === undefined) return twilio(o.accountSid, o.authToken, agent);
  return twilio(o.accountSid, o.authToken, { httpClient: new RebasedRequestClient(o.apiBase, agent) });
}
