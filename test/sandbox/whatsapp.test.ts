/**
 * WhatsApp through the sandbox, driven by the real `twilio` SDK: `whatsapp:` addresses, content
 * templates (`ContentSid`, `ContentVariables`) and Twilio's refusals of them, the lifecycle up to
 * `read` with its signed callbacks, and inbound WhatsApp messages and quick-reply taps.
 */
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioClient } from '../../src/channels/twilio/http-client.js';
import { SANDBOX_SENDER, type Sandbox, sendInboundMessage, startSandbox } from '../../src/sandbox/index.js';
import { type Receiver, startReceiver } from './support.js';

const NUMBER = '+393331234567';
const TO = `whatsapp:${NUMBER}`;
const FROM = 'whatsapp:+15005550006';
const CONTENT = 'HX' + '0123456789abcdef'.repeat(2);
const SERVICE = 'MG' + '0123456789abcdef'.repeat(2);

let sandbox: Sandbox;
let client: twilio.Twilio;
let hooks: Receiver;

beforeAll(async () => {
  sandbox = await startSandbox({ callbackDelayMs: 10, invalidNumbers: ['*0000'], landlineNumbers: ['+390612345678'] });
  client = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  hooks = await startReceiver();
  sandbox.setConfig({ undeliveredShare: 0, failedShare: 0, landlineShare: 0, readShare: 1, callbackDelayMs: 10 });
});
afterEach(async () => {
  await sandbox.idle();
  await hooks.close();
});

/** The SDK's error for a call that must fail, or a test failure if it succeeded. */
async function restError(p: Promise<unknown>): Promise<twilio.RestException> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(twilio.RestException);
    return e as twilio.RestException;
  }
  throw new Error('the request succeeded but should have failed');
}

describe('WhatsApp messages through the twilio SDK', () => {
  it('a content message (ContentSid + ContentVariables, no Body) is accepted, 1 segment, whatsapp: kept in to/from, recorded with channel and content', async () => {
    const m = await client.messages.create({ to: TO, from: FROM, contentSid: CONTENT, contentVariables: JSON.stringify({ 1: 'Mario', 2: '12/03' }) });
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(m.status).toBe('queued');
    expect(m.to).toBe(TO);
    expect(m.from).toBe(FROM);
    expect(m.numSegments).toBe('1');
    expect(m.body).toBe('');
    const stored = sandbox.outbox().messages.find((x) => x.id === m.sid);
    expect(stored).toMatchObject({ channel: 'whatsapp', to: TO, from: FROM, contentSid: CONTENT, contentVariables: { 1: 'Mario', 2: '12/03' }, numSegments: 1 });
  });

  it('its status callbacks arrive signed, in order queued, sent, delivered, read, with whatsapp: To/From and ChannelPrefix=whatsapp', async () => {
    const url = `${hooks.url}/twilio/status?campaign=over80`;
    const m = await client.messages.create({ to: TO, from: FROM, contentSid: CONTENT, contentVariables: JSON.stringify({ 1: 'x' }), statusCallback: url });
    const got = await hooks.waitFor(4);
    expect(got.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered', 'read']);
    for (const r of got) {
      expect(r.params).toMatchObject({ MessageSid: m.sid, SmsSid: m.sid, To: TO, From: FROM, ChannelPrefix: 'whatsapp', AccountSid: sandbox.accountSid });
      expect(r.params.SmsStatus).toBe(r.params.MessageStatus);
      expect(r.params.RawDlrDoneDate).toBeUndefined(); // a carrier's report: SMS only
      expect(r.url).toBe(url);
      expect(twilio.validateRequest(sandbox.authToken, r.headers['x-twilio-signature'] as string, r.url, r.params)).toBe(true);
    }
    await sandbox.idle();
    expect((await client.messages(m.sid).fetch()).status).toBe('read');
    expect(sandbox.stats().messages.byStatus.read).toBeGreaterThan(0);
  });

  it('a WhatsApp session message with a Body is accepted and still counts 1 segment, however long', async () => {
    const m = await client.messages.create({ to: TO, from: FROM, body: 'è ok 😀'.repeat(40) });
    expect(m.numSegments).toBe('1');
    expect(sandbox.outbox().messages.find((x) => x.id === m.sid)).toMatchObject({ channel: 'whatsapp', contentSid: null, contentVariables: null });
  });

  it('readShare 0 ends delivered WhatsApp messages at delivered, never read', async () => {
    sandbox.setConfig({ readShare: 0 });
    const m = await client.messages.create({ to: TO, from: FROM, body: 'Ciao', statusCallback: `${hooks.url}/s` });
    await sandbox.idle();
    expect(hooks.received.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered']);
    expect((await client.messages(m.sid).fetch()).status).toBe('delivered');
  });

  it('readShare is a share: above 1 is USAGE, and the running knobs keep their value', async () => {
    expect(() => sandbox.setConfig({ readShare: 1.5 })).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('readShare') }));
    expect(sandbox.config().readShare).toBe(1);
  });

  it('undeliveredShare and failedShare apply to WhatsApp too, and such a message is never read', async () => {
    sandbox.setConfig({ undeliveredShare: 1 });
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/u` });
    await sandbox.idle();
    sandbox.setConfig({ undeliveredShare: 0, failedShare: 1 });
    await client.messages.create({ to: TO, from: FROM, body: 'x', statusCallback: `${hooks.url}/f` });
    await sandbox.idle();
    const statuses = (path: string): (string | undefined)[] => hooks.received.filter((r) => r.path === path).map((r) => r.params.MessageStatus);
    expect(statuses('/u')).toEqual(['queued', 'sent', 'undelivered']);
    expect(statuses('/f')).toEqual(['queued', 'failed']);
  });

  it('landlineShare picks by the number without whatsapp:, so a landline is one on SMS and WhatsApp alike', async () => {
    sandbox.setConfig({ landlineShare: 0.5 });
    const numbers = Array.from({ length: 40 }, (_, i) => `+3933312340${String(i).padStart(2, '0')}`);
    const since = sandbox.outbox().next;
    for (const n of numbers) {
      await client.messages.create({ to: n, from: '+15005550006', body: 'x' });
      await client.messages.create({ to: `whatsapp:${n}`, from: FROM, body: 'x' });
    }
    await sandbox.idle();
    const endOf = new Map(sandbox.outbox(since).messages.map((m) => [m.to, m.errorCode]));
    const landlines = numbers.filter((n) => endOf.get(n) === 30006);
    expect(landlines.length).toBeGreaterThan(0);
    expect(landlines.length).toBeLessThan(numbers.length);
    for (const n of numbers) expect(endOf.get(`whatsapp:${n}`)).toBe(endOf.get(n));
  });

  it('with only a MessagingServiceSid, the service picks the WhatsApp sender whatsapp:+15005550006', async () => {
    const m = await client.messages.create({ to: TO, messagingServiceSid: SERVICE, contentSid: CONTENT, statusCallback: `${hooks.url}/svc` });
    expect(m.status).toBe('accepted');
    expect(m.from).toBeNull();
    await sandbox.idle();
    expect((await client.messages(m.sid).fetch()).from).toBe(`whatsapp:${SANDBOX_SENDER}`);
    for (const r of hooks.received) expect(r.params).toMatchObject({ From: `whatsapp:${SANDBOX_SENDER}`, MessagingServiceSid: SERVICE, ChannelPrefix: 'whatsapp' });
  });

  it('SMS is unchanged: channel sms, no ChannelPrefix, RawDlrDoneDate on the last callback, never read', async () => {
    const m = await client.messages.create({ to: NUMBER, from: '+15005550006', body: 'x', statusCallback: `${hooks.url}/sms` });
    const got = await hooks.waitFor(3);
    await sandbox.idle();
    expect(hooks.received.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered']);
    for (const r of got) expect(r.params.ChannelPrefix).toBeUndefined();
    expect(got[2]!.params.RawDlrDoneDate).toMatch(/^\d{10}$/);
    expect(sandbox.outbox().messages.find((x) => x.id === m.sid)).toMatchObject({ channel: 'sms', contentSid: null, contentVariables: null });
  });
});

describe('WhatsApp refusals, with Twilio codes', () => {
  it('a whatsapp: To with an SMS From, or the reverse, is 63007 (no Channel with that From address), HTTP 400, nothing recorded', async () => {
    const before = sandbox.stats().messages.accepted;
    const a = await restError(client.messages.create({ to: TO, from: '+15005550006', body: 'x' }));
    expect(a.status).toBe(400);
    expect(a.code).toBe(63007);
    expect(a.message).toBe('Twilio could not find a Channel with the specified From address');
    expect(a.moreInfo).toBe('https://www.twilio.com/docs/errors/63007');
    expect((await restError(client.messages.create({ to: NUMBER, from: FROM, body: 'x' }))).code).toBe(63007);
    expect((await restError(client.messages.create({ to: TO, from: 'whatsapp:ASL Roma', body: 'x' }))).code).toBe(63007);
    expect(sandbox.stats().messages.accepted).toBe(before);
    expect(sandbox.stats().rejected['63007']).toBe(3);
  });

  it('the E.164 check and invalidNumbers look at the number after whatsapp: (21211); landlineNumbers (21614) is SMS only', async () => {
    expect((await restError(client.messages.create({ to: 'whatsapp:3331234567', from: FROM, body: 'x' }))).code).toBe(21211);
    expect((await restError(client.messages.create({ to: 'whatsapp:', from: FROM, body: 'x' }))).code).toBe(21211);
    expect((await restError(client.messages.create({ to: 'whatsapp:+393330000000', from: FROM, body: 'x' }))).code).toBe(21211);
    expect((await client.messages.create({ to: 'whatsapp:+390612345678', from: FROM, body: 'x' })).sid).toMatch(/^SM/);
  });

  it('a ContentSid that is not HX + 32 hex digits is 21655 (The ContentSid is Invalid)', async () => {
    for (const contentSid of ['HX123', 'MG' + '0'.repeat(32), 'HX' + 'A'.repeat(32)]) {
      const e = await restError(client.messages.create({ to: TO, from: FROM, contentSid }));
      expect(e.status).toBe(400);
      expect(e.code).toBe(21655);
      expect(e.message).toBe('The ContentSid is Invalid');
    }
  });

  it('ContentVariables that are not a JSON object of non-empty strings without newline, tab or 5 spaces are 21656 (The ContentVariables Parameter is invalid)', async () => {
    const bad = [
      ...['{1: "x"}', '["x"]', '"x"', 'null', '{}x'],
      ...[{ 1: 2 }, { 1: { a: 'b' } }, { 1: null }, { 1: '' }, { 1: 'a\nb' }, { 1: 'a\tb' }, { 1: 'a     b' }].map((v) => JSON.stringify(v)),
    ];
    for (const contentVariables of bad) {
      const e = await restError(client.messages.create({ to: TO, from: FROM, contentSid: CONTENT, contentVariables }));
      expect(e.status).toBe(400);
      expect(e.code).toBe(21656);
      expect(e.message).toBe('The ContentVariables Parameter is invalid');
    }
    const ok = await client.messages.create({ to: TO, from: FROM, contentSid: CONTENT, contentVariables: JSON.stringify({ 1: "Maria D'Angelo", 2: 'a    b' }) });
    expect(sandbox.outbox().messages.find((x) => x.id === ok.sid)?.contentVariables).toEqual({ 1: "Maria D'Angelo", 2: 'a    b' });
  });

  it('a WhatsApp message with neither Body nor ContentSid is 21602, as for SMS', async () => {
    expect((await restError(client.messages.create({ to: TO, from: FROM } as never))).code).toBe(21602);
  });
});

describe('inbound WhatsApp messages', () => {
  it('a quick-reply tap posts ButtonText, ButtonPayload, Body = the button text, WaId, ProfileName, whatsapp: From/To, signed so validateRequest accepts it', async () => {
    hooks.answer = () => ({ status: 200, body: '<Response/>' });
    const url = `${hooks.url}/twilio/inbound`;
    const r = await sendInboundMessage({
      webhookUrl: url,
      from: TO,
      buttonText: 'Confermo',
      buttonPayload: 'confirm:appt-42',
      profileName: 'Maria Rossi',
      accountSid: sandbox.accountSid,
      authToken: sandbox.authToken,
    });
    expect(r.status).toBe(200);
    const [got] = await hooks.waitFor(1);
    expect(got!.params).toEqual({
      MessageSid: r.messageSid,
      SmsMessageSid: r.messageSid,
      SmsSid: r.messageSid,
      AccountSid: sandbox.accountSid,
      From: TO,
      To: `whatsapp:${SANDBOX_SENDER}`,
      Body: 'Confermo',
      NumMedia: '0',
      NumSegments: '1',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
      MessageType: 'button',
      WaId: '393331234567',
      ProfileName: 'Maria Rossi',
      ButtonText: 'Confermo',
      ButtonPayload: 'confirm:appt-42',
    });
    expect(got!.params).toEqual(r.params);
    expect(twilio.validateRequest(sandbox.authToken, got!.headers['x-twilio-signature'] as string, got!.url, got!.params)).toBe(true);
    expect(twilio.validateRequest(sandbox.authToken, got!.headers['x-twilio-signature'] as string, got!.url, { ...got!.params, ButtonPayload: 'decline' })).toBe(false);
  });

  it('a WhatsApp text keeps its body, gets NumSegments 1 and no button parameters; a given To gets whatsapp: added', async () => {
    const r = await sendInboundMessage({ webhookUrl: `${hooks.url}/in`, from: TO, to: '+15005550007', body: 'x'.repeat(200) });
    expect(r.params).toMatchObject({ From: TO, To: 'whatsapp:+15005550007', Body: 'x'.repeat(200), NumSegments: '1', MessageType: 'text', WaId: '393331234567' });
    expect(r.params.ButtonText).toBeUndefined();
    expect(r.params.ButtonPayload).toBeUndefined();
    expect(r.params.ProfileName).toBeUndefined();
  });

  it('an SMS inbound has no WhatsApp parameters, and WhatsApp-only options on an SMS are USAGE', async () => {
    const r = await sendInboundMessage({ webhookUrl: `${hooks.url}/in`, from: NUMBER, body: 'STOP' });
    expect(r.params.To).toBe(SANDBOX_SENDER);
    for (const name of ['WaId', 'MessageType', 'ProfileName', 'ButtonText', 'ButtonPayload']) expect(r.params[name]).toBeUndefined();
    await expect(sendInboundMessage({ webhookUrl: `${hooks.url}/in`, from: NUMBER, buttonText: 'Confermo' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(sendInboundMessage({ webhookUrl: `${hooks.url}/in`, from: TO, buttonPayload: 'confirm' })).rejects.toMatchObject({ code: 'USAGE' });
    expect(hooks.received).toHaveLength(1);
  });
});
