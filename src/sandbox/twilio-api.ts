/**
 * A Twilio-compatible REST API for the two resources invito uses, Messages and Calls (create
 * and fetch), with Twilio's authentication, validation errors and JSON shapes, and the fault
 * knobs in front of them. Messages go by SMS, or by WhatsApp when `To` and `From` are
 * `whatsapp:+E.164` (with a `ContentSid` template for a business-initiated one). The request
 * path stays cheap: no logging above debug, no file I/O, no awaiting of callbacks.
 */
import { parse as parseForm } from 'node:querystring';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { parseAddress } from './addresses.js';
import { newSid, rfc2822 } from './ids.js';
import type { KnobState } from './knobs.js';
import { API_VERSION, type Lifecycle } from './lifecycle.js';
import type { Outbox, OutboxCall, OutboxMessage } from './outbox.js';
import { countSegments } from './segments.js';
import { type TwilioError, TwilioErrors, twilioErrorBody } from './twilio-errors.js';

/** Form parameters as the SDK sends them: repeated names (`StatusCallbackEvent`) become arrays. */
export type FormParams = Record<string, string | string[] | undefined>;

export interface TwilioApiOptions {
  readonly accountSid: string;
  readonly authToken: string;
  readonly knobs: KnobState;
  readonly outbox: Outbox;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
}

const E164 = /^\+[1-9]\d{6,14}$/;
/** A sender: an E.164 number, a short code, or an alphanumeric sender ID (1–11, at least one letter). */
const SENDER = /^(\+[1-9]\d{6,14}|\d{3,8}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$/;
const SERVICE_SID = /^MG[0-9a-f]{32}$/;
const CONTENT_SID = /^HX[0-9a-f]{32}$/;
const MAX_BODY = 1600;
const CALL_EVENTS = new Set(['initiated', 'ringing', 'answered', 'completed']);

/** The first value of a form field (Twilio reads the first of a repeated scalar). */
function one(p: FormParams, name: string): string | undefined {
  const v = p[name];
  return Array.isArray(v) ? v[0] : v;
}

function all(p: FormParams, name: string): string[] {
  const v = p[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** What Twilio refuses in a content variable's value: a newline, a tab, or more than four spaces in a row. */
const BAD_VARIABLE = /[\n\t]| {5}/;

/**
 * `ContentVariables`: a JSON object of string keys to string values, or undefined when it is
 * anything else, or when a value is empty or holds what Twilio refuses (BAD_VARIABLE).
 */
function parseContentVariables(raw: string): Record<string, string> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' || x === '' || BAD_VARIABLE.test(x)) return undefined;
    out[k] = x;
  }
  return out;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Adds the Twilio API routes and the form-body parser to `app`. */
export function registerTwilioApi(app: FastifyInstance, o: TwilioApiOptions): void {
  const { accountSid, knobs, outbox, lifecycle, logger } = o;
  const expectedAuth = 'Basic ' + Buffer.from(`${o.accountSid}:${o.authToken}`).toString('base64');
  const base = `/${API_VERSION}/Accounts/${accountSid}`;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });

  const fail = (reply: FastifyReply, e: TwilioError): FastifyReply => {
    outbox.countRejected(e.code);
    if (e.status === 401) reply.header('www-authenticate', 'Basic realm="Twilio API"');
    return reply.code(e.status).send(twilioErrorBody(e));
  };

  /** Latency, then authentication; the request's path must name the authenticated account. */
  const admit = async (req: FastifyRequest<{ Params: { accountSid: string } }>): Promise<TwilioError | null> => {
    const wait = knobs.latency();
    if (wait > 0) await sleep(wait);
    if (req.headers.authorization !== expectedAuth) return TwilioErrors.authenticate();
    if (req.params.accountSid !== accountSid) return TwilioErrors.notFound(req.url.split('?')[0]!);
    return null;
  };

  /** The fault knobs, in the order a real overload shows them: throttling before failing. */
  const injectFault = (): TwilioError | null => {
    if (knobs.takeBurst()) return TwilioErrors.tooManyRequests();
    const k = knobs.now;
    if (k.throttleRate > 0 && Math.random() < k.throttleRate) return TwilioErrors.tooManyRequests();
    if (k.failureRate > 0 && Math.random() < k.failureRate) return TwilioErrors.internal();
    return null;
  };

  type Create = { Params: { accountSid: string }; Body: FormParams | undefined };
  type Fetch = { Params: { accountSid: string; sid: string } };

  app.post<Create>(`/${API_VERSION}/Accounts/:accountSid/Messages.json`, async (req, reply) => {
    const denied = (await admit(req)) ?? injectFault();
    if (denied) return fail(reply, denied);
    const p = req.body ?? {};
    const to = one(p, 'To');
    const from = one(p, 'From') || null;
    const service = one(p, 'MessagingServiceSid') || null;
    const body = one(p, 'Body') ?? '';
    const callback = one(p, 'StatusCallback') || null;
    const contentSid = one(p, 'ContentSid') || null;
    const rawVariables = one(p, 'ContentVariables');
    const variables = rawVariables === undefined || rawVariables === '' ? null : parseContentVariables(rawVariables);
    // The E.164 checks and the number knobs look at the number, without `whatsapp:`.
    const dest = to ? parseAddress(to) : null;
    const sender = from ? parseAddress(from) : null;
    const k = knobs;
    const problem =
      !to || !dest ? TwilioErrors.toMissing()
      : !E164.test(dest.number) || k.invalid.matches(dest.number) ? TwilioErrors.toInvalid(to)
      : dest.channel === 'sms' && k.landline.matches(dest.number) ? TwilioErrors.notMobile()
      : !from && !service ? TwilioErrors.fromMissing()
      // A WhatsApp sender is a WhatsApp-enabled number: no SMS sender, short code or alphanumeric ID.
      : sender && (sender.channel !== dest.channel || (sender.channel === 'whatsapp' && !E164.test(sender.number))) ? TwilioErrors.channelNotFound()
      : from && sender?.channel === 'sms' && !SENDER.test(from) ? TwilioErrors.fromInvalid(from)
      : service && !SERVICE_SID.test(service) ? TwilioErrors.serviceInvalid(service)
      : contentSid !== null && !CONTENT_SID.test(contentSid) ? TwilioErrors.contentSidInvalid()
      : variables === undefined ? TwilioErrors.contentVariablesInvalid()
      : body === '' && all(p, 'MediaUrl').length === 0 && !contentSid ? TwilioErrors.bodyMissing()
      : body.length > MAX_BODY ? TwilioErrors.bodyTooLong()
      : callback && !isHttpUrl(callback) ? TwilioErrors.callbackInvalid()
      : null;
    if (problem) return fail(reply, problem);
    const time = new Date().toISOString();
    const channel = dest!.channel;
    const m: OutboxMessage = {
      kind: 'message',
      seq: outbox.nextSeq(),
      time,
      id: newSid('SM'),
      to: to!,
      from,
      messagingServiceSid: service,
      body,
      // WhatsApp is not cut into segments: one message is one message.
      numSegments: channel === 'whatsapp' ? 1 : countSegments(body),
      statusCallback: callback,
      // Twilio answers `accepted` when a Messaging Service still has to pick the sender.
      status: from ? 'queued' : 'accepted',
      errorCode: null,
      updated: time,
      sentAt: null,
      channel,
      contentSid,
      // (undefined, unreadable variables, was refused above)
      contentVariables: variables ?? null,
    };
    outbox.addMessage(m);
    lifecycle.startMessage(m);
    logger.debug({ sid: m.id, channel: m.channel, segments: m.numSegments }, 'message accepted');
    return reply.code(201).send(messageResource(m, accountSid));
  });

  app.get<Fetch>(`/${API_VERSION}/Accounts/:accountSid/Messages/:sid.json`, async (req, reply) => {
    const denied = await admit(req);
    if (denied) return fail(reply, denied);
    const m = outbox.message(req.params.sid);
    if (!m) return fail(reply, TwilioErrors.notFound(`${base}/Messages/${req.params.sid}.json`));
    return messageResource(m, accountSid);
  });

  app.post<Create>(`/${API_VERSION}/Accounts/:accountSid/Calls.json`, async (req, reply) => {
    const denied = (await admit(req)) ?? injectFault();
    if (denied) return fail(reply, denied);
    const p = req.body ?? {};
    const to = one(p, 'To');
    const from = one(p, 'From');
    const twiml = one(p, 'Twiml') || null;
    const url = one(p, 'Url') || null;
    const callback = one(p, 'StatusCallback') || null;
    const events = all(p, 'StatusCallbackEvent').flatMap((e) => e.split(/\s+/)).filter((e) => CALL_EVENTS.has(e));
    const problem =
      !to ? TwilioErrors.callToMissing()
      : !E164.test(to) || knobs.invalid.matches(to) ? TwilioErrors.callToInvalid(to)
      : !from ? TwilioErrors.callFromMissing()
      : !E164.test(from) ? TwilioErrors.callFromInvalid(from)
      : !twiml && !url && !one(p, 'ApplicationSid') ? TwilioErrors.callUrlMissing()
      : url && !isHttpUrl(url) ? TwilioErrors.callUrlInvalid()
      : callback && !isHttpUrl(callback) ? TwilioErrors.callbackInvalid()
      : null;
    if (problem) return fail(reply, problem);
    const time = new Date().toISOString();
    const c: OutboxCall = {
      kind: 'call',
      seq: outbox.nextSeq(),
      time,
      id: newSid('CA'),
      to: to!,
      from: from!,
      twiml,
      url,
      statusCallback: callback,
      statusCallbackEvents: events.length > 0 ? events : ['completed'],
      status: 'queued',
      duration: null,
      updated: time,
      startedAt: null,
      endedAt: null,
      machineDetection: one(p, 'MachineDetection') || null,
    };
    outbox.addCall(c);
    lifecycle.startCall(c);
    logger.debug({ sid: c.id }, 'call accepted');
    return reply.code(201).send(callResource(c, accountSid));
  });

  app.get<Fetch>(`/${API_VERSION}/Accounts/:accountSid/Calls/:sid.json`, async (req, reply) => {
    const denied = await admit(req);
    if (denied) return fail(reply, denied);
    const c = outbox.call(req.params.sid);
    if (!c) return fail(reply, TwilioErrors.notFound(`${base}/Calls/${req.params.sid}.json`));
    return callResource(c, accountSid);
  });
}

const date = (iso: string | null): string | null => (iso === null ? null : rfc2822(new Date(iso)));

/** A message as Twilio's API returns it. */
export function messageResource(m: OutboxMessage, accountSid: string): Record<string, unknown> {
  const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${m.id}`;
  return {
    account_sid: accountSid,
    api_version: API_VERSION,
    body: m.body,
    date_created: date(m.time),
    date_sent: date(m.sentAt),
    date_updated: date(m.updated),
    direction: 'outbound-api',
    error_code: m.errorCode,
    error_message: null,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: '0',
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'USD',
    sid: m.id,
    status: m.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: m.to,
    uri: `${uri}.json`,
  };
}

/** A call as Twilio's API returns it. */
export function callResource(c: OutboxCall, accountSid: string): Record<string, unknown> {
  const uri = `/${API_VERSION}/Accounts/${accountSid}/Calls/${c.id}`;
  return {
    account_sid: accountSid,
    annotation: null,
    answered_by: null,
    api_version: API_VERSION,
    caller_name: null,
    date_created: date(c.time),
    date_updated: date(c.updated),
    direction: 'outbound-api',
    duration: c.duration === null ? null : String(c.duration),
    end_time: date(c.endedAt),
    forwarded_from: null,
    from: c.from,
    from_formatted: c.from,
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: null,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid: c.id,
    start_time: date(c.startedAt),
    status: c.status,
    subresource_uris: {
      notifications: `${uri}/Notifications.json`,
      recordings: `${uri}/Recordings.json`,
      events: `${uri}/Events.json`,
    },
    to: c.to,
    to_formatted: c.to,
    trunk_sid: null,
    uri: `${uri}.json`,
  };
}
