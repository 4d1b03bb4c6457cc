/**
 * Twilio's webhooks as a fastify plugin: status callbacks become receipts, inbound texts become
 * opt-outs or stored replies. Every request must carry a valid `X-Twilio-Signature`; a refusal
 * or failure is answered by the server's JSON error handler (a 500 is retried by Twilio).
 *
 * - `POST /webhooks/twilio/status`: message and call status callbacks → receipts
 * - `POST /webhooks/twilio/inbound`: texts and WhatsApp messages (a quick-reply button's
 *   `ButtonPayload` too) from citizens → opt-outs, replies that act (confirm, decline, change:
 *   feedback/conversation.ts) and their answer, or stored replies
 *
 * It logs ids, counts and statuses only: requests carry phone numbers and what citizens wrote.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { InvitoError } from '../core/errors.js';
import { type ConversationDeps, handleInbound } from './conversation.js';
import { buttonWord } from './replies.js';
import type { FeedbackStore } from './store.js';
import { EMPTY_TWIML, optOutKeyword, readStatusCallback } from './twilio.js';

/** Paths, for building the URLs given to Twilio. */
export const FEEDBACK_PATHS = {
  status: '/webhooks/twilio/status',
  inbound: '/webhooks/twilio/inbound',
} as const;

export interface TwilioWebhookOptions {
  readonly store: FeedbackStore;
  /** The Twilio auth token that signs every webhook (`TWILIO_AUTH_TOKEN`). */
  readonly authToken: string;
  /**
   * The base URL Twilio reaches the server at, as given to Twilio in `StatusCallback`: Twilio
   * signs that URL, so signatures are checked against it and not against the address the
   * server happens to listen on behind a proxy. A function: it may be known only once listening.
   */
  readonly publicUrl: () => string;
  /** The clock receipts, replies and opt-outs are stamped with. */
  readonly now: () => Date;
  /**
   * Replies that act (feedback/conversation.ts): confirm, decline, change by SMS, and the answer.
   * Without it a reply that is not STOP is only stored.
   */
  readonly replies?: Omit<ConversationDeps, 'feedback' | 'log'>;
}

/** The request's form parameters; `{}` when it carried no form, which then fails the signature check. */
export function formOf(req: FastifyRequest): Record<string, string> {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * The pre-handler every Twilio webhook goes through: Twilio signs the URL it was given plus every
 * form parameter; anything else is not Twilio (`WEBHOOK_SIGNATURE_INVALID`, 403).
 */
export function twilioVerifier(authToken: string, publicUrl: () => string): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const signature = req.headers['x-twilio-signature'];
    let valid = false;
    if (typeof signature === 'string' && signature !== '') {
      try {
        valid = twilio.validateRequest(authToken, signature, publicUrl() + req.url, formOf(req));
      } catch {
        // a URL that cannot be parsed cannot have been signed
      }
    }
    if (!valid) throw new InvitoError('WEBHOOK_SIGNATURE_INVALID', 'the X-Twilio-Signature is missing or does not match this auth token and URL');
  };
}

export const twilioWebhooks: FastifyPluginAsync<TwilioWebhookOptions> = async (app, options) => {
  const { store, authToken, publicUrl, now, replies } = options;
  const log = app.log;
  const verifyTwilio = twilioVerifier(authToken, publicUrl);

  app.post(FEEDBACK_PATHS.status, { preHandler: verifyTwilio }, async (req, reply) => {
    const callback = readStatusCallback(formOf(req));
    if (!callback) throw new InvitoError('WEBHOOK_PAYLOAD_INVALID', 'a status callback carries MessageSid and MessageStatus, or CallSid and CallStatus');
    const { providerId, kind, status, state, errorCode } = callback;
    if (state === null) {
      log.debug({ providerId, kind, status }, 'intermediate status ignored');
      return reply.code(204).send();
    }
    const r = await store.applyReceipt(providerId, state, errorCode, now().toISOString());
    // A read receipt is a delivery too (applied above) and, once, the time the citizen opened it.
    if (status === 'read') await store.markRead(providerId, now().toISOString());
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
    // A WhatsApp message comes from `whatsapp:+39…`; the registry knows the number.
    const channel = from.startsWith('whatsapp:') ? 'whatsapp' : 'sms';
    const phone = from.replace(/^whatsapp:/, '');
    const keyword = optOutKeyword(body);
    if (keyword !== null) {
      const r = await store.optOutByPhone(phone, `${channel}:${keyword}`, at);
      log.info({ messageSid, channel, keyword, citizens: r.citizens, messagesStopped: r.messagesStopped }, 'opt-out by reply');
    } else if (replies) {
      const r = await handleInbound({ ...replies, feedback: store, log }, { inboundId: messageSid, from: phone, body, channel, button: buttonWord(params.ButtonPayload), at: now() });
      log.info({ messageSid, channel, citizenId: r.citizenId, answer: r.answer, silent: r.silent }, 'reply handled');
    } else {
      // Several citizens may share a phone (a carer's number); the reply is filed under the
      // first, and an operator reading it sees the number's other citizens from there.
      const [citizenId = null] = await store.citizensByPhone(phone);
      await store.recordResponse({ responseId: messageSid, citizenId, messageId: null, channel, kind: 'reply', body, at });
      log.info({ messageSid, channel, citizenId }, 'reply recorded');
    }
    return reply.code(200).type('text/xml; charset=utf-8').send(EMPTY_TWIML);
  });
};
