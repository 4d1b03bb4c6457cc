/**
 * Status callbacks and webhooks: they arrive at a real server, in order, signed so that the
 * SDK's own `twilio.validateRequest` accepts them, and the knobs decide how messages and calls end.
 */
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioClient } from '../../src/channels/twilio/http-client.js';
import { type Sandbox, sendInboundMessage, startSandbox } from '../../src/sandbox/index.js';
import { type Receiver, startReceiver } from './support.js';

const TO = '+393331234567';
const FROM = '+15005550006';

let sandbox: Sandbox;
let client: twilio.Twilio;
let hooks: Receiver;

beforeAll(async () => {
  sandbox = await startSandbox({ callbackDelayMs: 10 });
  client = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  hooks = await startReceiver();
  sandbox.setConfig({ undeliveredShare: 0, failedShare: 0, callBusyShare: 0, callNoAnswerShare: 0, callFailedShare: 0, callbackDelayMs: 10 });
});
afterEach(async () => {
  await sandbox.idle();
  await hooks.close();
});

describe('message status callbacks', () => {
  it('arrive queued → sent → delivered, form-encoded, with Twilio parameters', async () => {
    const m = await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/twilio/status` });
    const got = await hooks.waitFor(3);
    expect(got.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered']);
    for (const r of got) {
      expect(r.path).toBe('/twilio/status');
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(r.params).toMatchObject({ MessageSid: m.sid, SmsSid: m.sid, AccountSid: sandbox.accountSid, From: FROM, To: TO, ApiVersion: '2010-04-01' });
      expect(r.params.SmsStatus).toBe(r.params.MessageStatus);
      expect(r.params.ErrorCode).toBeUndefined();
    }
    expect(got[1]!.at).toBeGreaterThanOrEqual(got[0]!.at);
    expect(got[2]!.at).toBeGreaterThanOrEqual(got[1]!.at);
  });

  it('are signed so that twilio.validateRequest accepts them, query string included', async () => {
    const url = `${hooks.url}/twilio/status?campaign=over80&step=invite`;
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: url });
    for (const r of await hooks.waitFor(3)) {
      const signature = r.headers['x-twilio-signature'] as string;
      expect(signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(r.url).toBe(url);
      expect(twilio.validateRequest(sandbox.authToken, signature, r.url, r.params)).toBe(true);
    }
  });

  it('a tampered signature, parameter or token fails validation', async () => {
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/s` });
    const [r] = await hooks.waitFor(1);
    const signature = r!.headers['x-twilio-signature'] as string;
    expect(twilio.validateRequest(sandbox.authToken, signature, r!.url, r!.params)).toBe(true);
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(twilio.validateRequest(sandbox.authToken, flipped, r!.url, r!.params)).toBe(false);
    expect(twilio.validateRequest(sandbox.authToken, signature, r!.url, { ...r!.params, MessageStatus: 'delivered' })).toBe(false);
    expect(twilio.validateRequest('0'.repeat(32), signature, r!.url, r!.params)).toBe(false);
  });

  it('undeliveredShare 1 ends every message undelivered with a carrier ErrorCode', async () => {
    sandbox.setConfig({ undeliveredShare: 1 });
    const m = await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/s` });
    const got = await hooks.waitFor(3);
    expect(got.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sent', 'undelivered']);
    expect(['30003', '30005', '30006']).toContain(got[2]!.params.ErrorCode);
    await sandbox.idle();
    const fetched = await client.messages(m.sid).fetch();
    expect(fetched.status).toBe('undelivered');
    expect(String(fetched.errorCode)).toBe(got[2]!.params.ErrorCode);
  });

  it('failedShare 1 ends every message failed (30008) without a sent step', async () => {
    sandbox.setConfig({ failedShare: 1 });
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/s` });
    const got = await hooks.waitFor(2);
    expect(got.map((r) => r.params.MessageStatus)).toEqual(['queued', 'failed']);
    expect(got[1]!.params.ErrorCode).toBe('30008');
    await sandbox.idle();
    expect(sandbox.stats().messages.byStatus.failed).toBeGreaterThan(0);
  });

  it('undeliveredShare 0.3 makes about 30% of 200 messages undelivered', async () => {
    sandbox.setConfig({ undeliveredShare: 0.3, callbackDelayMs: 0 });
    const since = sandbox.outbox().next;
    await Promise.all(Array.from({ length: 200 }, () => client.messages.create({ to: TO, from: FROM, body: 'x' })));
    await sandbox.idle();
    const undelivered = sandbox.outbox(since).messages.filter((m) => m.status === 'undelivered').length;
    expect(undelivered).toBeGreaterThan(30);
    expect(undelivered).toBeLessThan(90);
  });

  it('callbackDelayMs spaces the steps', async () => {
    sandbox.setConfig({ callbackDelayMs: 120 });
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/s` });
    const got = await hooks.waitFor(3);
    expect(got[2]!.at - got[0]!.at).toBeGreaterThanOrEqual(230);
  });

  it('a callback answered 5xx is retried with the same idempotency token, and the next step waits for it', async () => {
    hooks.answer = (_r, i) => ({ status: i < 2 ? 503 : 204 });
    const before = sandbox.stats().callbacks.retried;
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/s` });
    const got = await hooks.waitFor(5);
    expect(got.map((r) => r.params.MessageStatus)).toEqual(['queued', 'queued', 'queued', 'sent', 'delivered']);
    const tokens = got.slice(0, 3).map((r) => r.headers['i-twilio-idempotency-token']);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(got[3]!.headers['i-twilio-idempotency-token']);
    expect(sandbox.stats().callbacks.retried - before).toBe(2);
  });

  it('a slow callback server never delays the API response', async () => {
    hooks.answer = (_r, i) => ({ status: 204, delayMs: i === 0 ? 1000 : 0 });
    const t0 = performance.now();
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/s` });
    expect(performance.now() - t0).toBeLessThan(500);
    await hooks.waitFor(1);
  });

  it('a callback URL nobody listens on is retried then given up, counted as failed', async () => {
    const dead = await startReceiver();
    const url = `${dead.url}/gone`;
    await dead.close();
    const before = sandbox.stats().callbacks.failed;
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: url });
    await sandbox.idle();
    expect(sandbox.stats().callbacks.failed - before).toBe(3);
  });
});

describe('call status callbacks', () => {
  it('report the requested events in order, with call parameters, and validate', async () => {
    const c = await client.calls.create({
      to: TO,
      from: FROM,
      twiml: '<Response><Say>Ciao</Say></Response>',
      statusCallback: `${hooks.url}/call`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    const got = await hooks.waitFor(4);
    expect(got.map((r) => r.params.CallStatus)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    expect(got.map((r) => r.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    for (const r of got) {
      expect(r.params).toMatchObject({ CallSid: c.sid, AccountSid: sandbox.accountSid, To: TO, From: FROM, Direction: 'outbound-api' });
      expect(twilio.validateRequest(sandbox.authToken, r.headers['x-twilio-signature'] as string, r.url, r.params)).toBe(true);
    }
    expect(Number(got[3]!.params.CallDuration)).toBeGreaterThan(0);
  });

  it('without StatusCallbackEvent only the final event is reported, as Twilio does', async () => {
    sandbox.setConfig({ callNoAnswerShare: 1 });
    await client.calls.create({ to: TO, from: FROM, twiml: '<Response/>', statusCallback: `${hooks.url}/call` });
    await sandbox.idle();
    expect(hooks.received.map((r) => r.params.CallStatus)).toEqual(['no-answer']);
    expect(hooks.received[0]!.params.CallDuration).toBe('0');
  });

  it('busy and failed shares end calls busy and failed', async () => {
    sandbox.setConfig({ callBusyShare: 1 });
    await client.calls.create({ to: TO, from: FROM, twiml: '<Response/>', statusCallback: `${hooks.url}/a` });
    sandbox.setConfig({ callBusyShare: 0, callFailedShare: 1 });
    await client.calls.create({ to: TO, from: FROM, twiml: '<Response/>', statusCallback: `${hooks.url}/b` });
    await hooks.waitFor(2);
    const byPath = Object.fromEntries(hooks.received.map((r) => [r.path, r.params.CallStatus]));
    expect(byPath).toEqual({ '/a': 'busy', '/b': 'failed' });
  });

  it('a call with Url fetches its TwiML, signed, when answered, and the outbox shows it', async () => {
    const twiml = '<Response><Say language="it-IT">Il suo appuntamento</Say></Response>';
    hooks.answer = (r) => (r.path === '/voice' ? { status: 200, body: twiml } : { status: 204 });
    const c = await client.calls.create({ to: TO, from: FROM, url: `${hooks.url}/voice`, statusCallback: `${hooks.url}/call` });
    await sandbox.idle();
    const voice = hooks.received.find((r) => r.path === '/voice')!;
    expect(voice.params).toMatchObject({ CallSid: c.sid, CallStatus: 'in-progress' });
    expect(twilio.validateRequest(sandbox.authToken, voice.headers['x-twilio-signature'] as string, voice.url, voice.params)).toBe(true);
    expect(sandbox.outbox().calls.find((x) => x.id === c.sid)?.twiml).toBe(twiml);
  });
});

describe('inbound messages', () => {
  it('sendInboundMessage posts a signed inbound SMS webhook that validates', async () => {
    hooks.answer = () => ({ status: 200, body: '<Response/>' });
    const r = await sendInboundMessage({ webhookUrl: `${hooks.url}/twilio/inbound`, from: TO, body: 'STOP', accountSid: sandbox.accountSid, authToken: sandbox.authToken });
    expect(r.status).toBe(200);
    expect(r.body).toBe('<Response/>');
    const [got] = await hooks.waitFor(1);
    expect(got!.params).toMatchObject({ MessageSid: r.messageSid, From: TO, Body: 'STOP', NumMedia: '0', AccountSid: sandbox.accountSid });
    expect(twilio.validateRequest(sandbox.authToken, got!.headers['x-twilio-signature'] as string, got!.url, got!.params)).toBe(true);
  });

  it('sendInboundMessage to a webhook that does not answer is WEBHOOK_FAILED', async () => {
    const dead = await startReceiver();
    const url = `${dead.url}/x`;
    await dead.close();
    await expect(sendInboundMessage({ webhookUrl: url, from: TO, body: 'STOP' })).rejects.toMatchObject({ code: 'WEBHOOK_FAILED' });
  });
});
