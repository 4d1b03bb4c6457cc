/**
 * The automated call's webhooks as a fastify plugin (feedback/ivr.ts): what to say when the
 * citizen answers, and what a key does. Signature-checked like every Twilio webhook; the answer
 * is TwiML. Logs ids and keys only.
 *
 * - `POST /webhooks/twilio/voice/answer?m=<message>`: the call was picked up (or a machine was)
 * - `POST /webhooks/twilio/voice/key?m=<message>&n=<plays>[&o=<slots>&i=<slot>][&in=1]`: a key, or none
 * - `POST /webhooks/twilio/voice/inbound`: a call to the free-phone line; `…/inbound/who` the birth
 *   date a shared phone's caller typed; `…/voice/wait` what a queued caller hears; `…/voice/queued`
 *   the caller left the queue; `…/voice/callback` the key asking to be called back
 * - `POST /webhooks/twilio/voice/agent?op=&lang=`: an operator dialled for the line picked up;
 *   `…/agent/bridge?op=` a caller was bridged to them; `…/agent/done?op=` their `<Dial>` ended;
 *   `…/agent/status?op=&c=` their leg's status callback
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { InvitoError } from '../core/errors.js';
import { agentDone, agentLeg, agentStatus, answerCall, bridgeCaller, callbackChoice, inboundCall, inboundWho, type IvrDeps, leftQueue, pressKey, readStep, VOICE_PATHS, waitInQueue } from './ivr.js';
import { formOf, twilioVerifier } from './webhooks.js';

export interface VoiceWebhookOptions extends Omit<IvrDeps, 'log'> {
  /** The Twilio auth token that signs every webhook. */
  readonly authToken: string;
}

const query = (req: FastifyRequest): Record<string, string | undefined> => (req.query ?? {}) as Record<string, string | undefined>;

export const voiceWebhooks: FastifyPluginAsync<VoiceWebhookOptions> = async (app, options) => {
  const { authToken, ...deps } = options;
  const preHandler = twilioVerifier(authToken, deps.publicUrl);
  const ivr: IvrDeps = { ...deps, log: app.log };

  app.post(VOICE_PATHS.answer, { preHandler }, async (req, reply) => {
    const m = query(req).m;
    if (!m) throw new InvitoError('WEBHOOK_PAYLOAD_INVALID', 'the answer URL names its message (?m=)');
    return reply.type('text/xml; charset=utf-8').send(await answerCall(ivr, m, formOf(req)));
  });

  const xml = 'text/xml; charset=utf-8';
  app.post(VOICE_PATHS.inbound, { preHandler }, async (req, reply) => reply.type(xml).send(await inboundCall(ivr, formOf(req))));
  app.post(VOICE_PATHS.who, { preHandler }, async (req, reply) => reply.type(xml).send(await inboundWho(ivr, formOf(req))));
  app.post(VOICE_PATHS.wait, { preHandler }, async (req, reply) => reply.type(xml).send(await waitInQueue(ivr, query(req), formOf(req))));
  app.post(VOICE_PATHS.queued, { preHandler }, async (req, reply) => reply.type(xml).send(await leftQueue(ivr, query(req), formOf(req))));
  app.post(VOICE_PATHS.callback, { preHandler }, async (req, reply) => reply.type(xml).send(await callbackChoice(ivr, query(req), formOf(req))));

  app.post(VOICE_PATHS.agent, { preHandler }, async (req, reply) => reply.type(xml).send(agentLeg(ivr, query(req))));
  app.post(VOICE_PATHS.bridge, { preHandler }, async (req, reply) => reply.type(xml).send(await bridgeCaller(ivr, query(req), formOf(req))));
  app.post(VOICE_PATHS.agentDone, { preHandler }, async (req, reply) => reply.type(xml).send(await agentDone(ivr, query(req))));
  app.post(VOICE_PATHS.agentStatus, { preHandler }, async (req, reply) => reply.code(204).send(await agentStatus(ivr, query(req), formOf(req))));

  app.post(VOICE_PATHS.key, { preHandler }, async (req, reply) => {
    const step = readStep(query(req));
    if (!step) throw new InvitoError('WEBHOOK_PAYLOAD_INVALID', 'a key URL names its message (?m=)');
    return reply.type('text/xml; charset=utf-8').send(await pressKey(ivr, step, formOf(req)));
  });
};
