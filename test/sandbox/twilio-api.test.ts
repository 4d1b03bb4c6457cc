/**
 * The sandbox's Twilio API, driven by the real `twilio` SDK over loopback HTTP: what it
 * accepts, how it refuses (as `RestException`s with Twilio's codes), and the fault knobs.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RebasedRequestClient, createTwilioClient, rewriteTwilioUri } from '../../src/channels/twilio/http-client.js';
import { SANDBOX_SENDER, type Sandbox, startSandbox } from '../../src/sandbox/index.js';

const TO = '+393331234567';
const FROM = '+15005550006';
const SERVICE = 'MG' + '0123456789abcdef'.repeat(2);

let sandbox: Sandbox;
let client: twilio.Twilio;

beforeAll(async () => {
  sandbox = await startSandbox({ callbackDelayMs: 0, invalidNumbers: ['*0000'], landlineNumbers: ['+390612345678'] });
  client = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.setConfig({ failureRate: 0, throttleRate: 0, burst429: 0, latencyMs: 0, latencyJitterMs: 0 });
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

describe('twilio SDK against the sandbox', () => {
  it('messages.create with From returns an SM sid, Twilio JSON, and lands in the outbox', async () => {
    const m = await client.messages.create({ to: TO, from: FROM, body: 'Prenotazione confermata' });
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(m.status).toBe('queued');
    expect(m.accountSid).toBe(sandbox.accountSid);
    expect(m.direction).toBe('outbound-api');
    expect(m.numSegments).toBe('1');
    expect(m.errorCode).toBeNull();
    expect(m.price).toBeNull();
    expect(m.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(m.dateCreated.getTime())).toBe(false);
    expect(m.uri).toBe(`/2010-04-01/Accounts/${sandbox.accountSid}/Messages/${m.sid}.json`);
    const stored = sandbox.outbox().messages.find((x) => x.id === m.sid);
    expect(stored).toMatchObject({ to: TO, from: FROM, body: 'Prenotazione confermata', messagingServiceSid: null });
  });

  it('messages.create with only a MessagingServiceSid is accepted, and the service picks the sender', async () => {
    const m = await client.messages.create({ to: TO, messagingServiceSid: SERVICE, body: 'Ciao' });
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(m.messagingServiceSid).toBe(SERVICE);
    expect(m.status).toBe('accepted');
    expect(m.from).toBeNull();
    await sandbox.idle();
    const fetched = await client.messages(m.sid).fetch();
    expect(fetched.status).toBe('delivered');
    expect(fetched.from).toBe(SANDBOX_SENDER);
    expect(fetched.dateSent).toBeInstanceOf(Date);
  });

  it('num_segments counts GSM-7 and UCS-2 the way the network bills them', async () => {
    const gsm = await client.messages.create({ to: TO, from: FROM, body: 'a'.repeat(161) });
    const ucs = await client.messages.create({ to: TO, from: FROM, body: 'è ok 😀'.repeat(12) });
    expect(gsm.numSegments).toBe('2');
    expect(ucs.numSegments).toBe('2'); // 96 UTF-16 units > 70
  });

  it('calls.create with twiml returns a CA sid and the outbox keeps the TwiML', async () => {
    const twiml = '<Response><Say language="it-IT">Buongiorno</Say></Response>';
    const c = await client.calls.create({ to: TO, from: FROM, twiml });
    expect(c.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(c.status).toBe('queued');
    expect(c.direction).toBe('outbound-api');
    expect(sandbox.outbox().calls.find((x) => x.id === c.sid)).toMatchObject({ to: TO, from: FROM, twiml });
    await sandbox.idle();
    const fetched = await client.calls(c.sid).fetch();
    expect(fetched.status).toBe('completed');
    expect(Number(fetched.duration)).toBeGreaterThan(0);
  });

  it('a To that is not E.164 is RestException 21211 with status 400, and nothing is recorded', async () => {
    const before = sandbox.stats().messages.accepted;
    const e = await restError(client.messages.create({ to: '3331234567', from: FROM, body: 'x' }));
    expect(e.status).toBe(400);
    expect(e.code).toBe(21211);
    expect(e.moreInfo).toBe('https://www.twilio.com/docs/errors/21211');
    expect(sandbox.stats().messages.accepted).toBe(before);
    expect(sandbox.stats().rejected['21211']).toBeGreaterThan(0);
  });

  it('invalidNumbers answers 21211 for messages and calls; landlineNumbers answers 21614 for SMS only', async () => {
    expect((await restError(client.messages.create({ to: '+393330000000', from: FROM, body: 'x' }))).code).toBe(21211);
    expect((await restError(client.calls.create({ to: '+393330000000', from: FROM, twiml: '<Response/>' }))).code).toBe(21211);
    expect((await restError(client.messages.create({ to: '+390612345678', from: FROM, body: 'x' }))).code).toBe(21614);
    const call = await client.calls.create({ to: '+390612345678', from: FROM, twiml: '<Response/>' });
    expect(call.sid).toMatch(/^CA/);
  });

  it('missing Body is 21602, missing From and service is 21603, a bad service SID is 21701', async () => {
    expect((await restError(client.messages.create({ to: TO, from: FROM } as never))).code).toBe(21602);
    expect((await restError(client.messages.create({ to: TO, body: 'x' } as never))).code).toBe(21603);
    expect((await restError(client.messages.create({ to: TO, messagingServiceSid: 'MGnope', body: 'x' }))).code).toBe(21701);
    expect((await restError(client.messages.create({ to: TO, from: FROM, body: 'x'.repeat(1601) }))).code).toBe(21617);
  });

  it('calls from a non-number or without TwiML/Url are refused with the call error codes', async () => {
    // (the SDK itself refuses a call without From before sending it)
    expect((await restError(client.calls.create({ to: TO, from: 'ASL Roma', twiml: '<Response/>' }))).code).toBe(21212);
    expect((await restError(client.calls.create({ to: TO, from: FROM } as never))).code).toBe(21205);
    expect((await restError(client.calls.create({ to: TO, from: FROM, url: 'ftp://x/y' }))).code).toBe(21205);
  });

  it('wrong credentials are RestException 20003 with status 401', async () => {
    const wrong = createTwilioClient({ accountSid: sandbox.accountSid, authToken: 'f'.repeat(32), apiBase: sandbox.apiUrl });
    const e = await restError(wrong.messages.create({ to: TO, from: FROM, body: 'x' }));
    expect(e.status).toBe(401);
    expect(e.code).toBe(20003);
  });

  it('burst429 answers exactly the next N creates 429 (20429), then accepts again', async () => {
    sandbox.setConfig({ burst429: 2 });
    for (let i = 0; i < 2; i++) {
      const e = await restError(client.messages.create({ to: TO, from: FROM, body: 'x' }));
      expect(e.status).toBe(429);
      expect(e.code).toBe(20429);
    }
    expect(sandbox.config().burst429).toBe(0);
    expect((await client.messages.create({ to: TO, from: FROM, body: 'x' })).sid).toMatch(/^SM/);
  });

  it('throttleRate 1 answers every create 429', async () => {
    sandbox.setConfig({ throttleRate: 1 });
    const e = await restError(client.calls.create({ to: TO, from: FROM, twiml: '<Response/>' }));
    expect(e.status).toBe(429);
  });

  it('failureRate 1 answers every create 500 (20500), and nothing is recorded', async () => {
    sandbox.setConfig({ failureRate: 1 });
    const before = sandbox.stats().messages.accepted;
    const e = await restError(client.messages.create({ to: TO, from: FROM, body: 'x' }));
    expect(e.status).toBe(500);
    expect(e.code).toBe(20500);
    expect(sandbox.stats().messages.accepted).toBe(before);
  });

  it('failureRate 0.5 fails about half of 400 creates', async () => {
    sandbox.setConfig({ failureRate: 0.5 });
    const results = await Promise.allSettled(Array.from({ length: 400 }, () => client.messages.create({ to: TO, from: FROM, body: 'x' })));
    const failed = results.filter((r) => r.status === 'rejected').length;
    expect(failed).toBeGreaterThan(140);
    expect(failed).toBeLessThan(260);
  });

  it('latencyMs delays every API answer by at least that much', async () => {
    const t0 = performance.now();
    await client.messages.create({ to: TO, from: FROM, body: 'x' });
    const fast = performance.now() - t0;
    sandbox.setConfig({ latencyMs: 150, latencyJitterMs: 50 });
    const t1 = performance.now();
    await client.messages.create({ to: TO, from: FROM, body: 'x' });
    const slow = performance.now() - t1;
    expect(slow).toBeGreaterThanOrEqual(145);
    expect(slow).toBeLessThan(2000);
    expect(slow - fast).toBeGreaterThan(100);
  });

  it('latencyJitterMs spreads answer times by up to that much', async () => {
    sandbox.setConfig({ latencyJitterMs: 120 });
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t0 = performance.now();
      await client.messages.create({ to: TO, from: FROM, body: 'x' });
      times.push(performance.now() - t0);
    }
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(30);
    expect(Math.max(...times)).toBeLessThan(1000);
  });

  it('the outbox records every accepted create, duplicates to one number included', async () => {
    const to = '+393339999001';
    const since = sandbox.outbox().next;
    await Promise.all([1, 2, 3].map(() => client.messages.create({ to, from: FROM, body: 'Promemoria' })));
    const mine = sandbox.outbox(since).messages.filter((m) => m.to === to);
    expect(mine).toHaveLength(3);
    expect(new Set(mine.map((m) => m.id)).size).toBe(3);
  });

  it('fetching an unknown SID is RestException 20404', async () => {
    const e = await restError(client.messages('SM' + '0'.repeat(32)).fetch());
    expect(e.status).toBe(404);
    expect(e.code).toBe(20404);
  });
});

describe('control API', () => {
  it('POST /_sandbox/config changes knobs at run time and rejects bad ones with 400 USAGE', async () => {
    const current = await (await fetch(`${sandbox.apiUrl}/_sandbox/config`)).json();
    expect(current).toEqual(sandbox.config());
    const ok = await fetch(`${sandbox.apiUrl}/_sandbox/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ undeliveredShare: 0.25 }),
    });
    expect(ok.status).toBe(200);
    expect((await ok.json()).undeliveredShare).toBe(0.25);
    const bad = await fetch(`${sandbox.apiUrl}/_sandbox/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ undeliveredShare: 2, nosuchKnob: 1 }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('USAGE');
    expect(sandbox.config().undeliveredShare).toBe(0.25);
    sandbox.setConfig({ undeliveredShare: 0 });
  });

  it('GET /_sandbox/outbox?since= lists only what came after, GET /_sandbox/stats counts', async () => {
    const first = await (await fetch(`${sandbox.apiUrl}/_sandbox/outbox`)).json();
    await client.messages.create({ to: TO, from: FROM, body: 'dopo' });
    const later = await (await fetch(`${sandbox.apiUrl}/_sandbox/outbox?since=${first.next}`)).json();
    expect(later.messages).toHaveLength(1);
    expect(later.messages[0].body).toBe('dopo');
    const stats = await (await fetch(`${sandbox.apiUrl}/_sandbox/stats`)).json();
    expect(stats.messages.accepted).toBe(sandbox.outbox().messages.length);
  });
});

describe('createTwilioClient', () => {
  const base = new URL('http://127.0.0.1:4010');

  it('rewrites api.twilio.com and regional/product hosts, keeping path and query, and nothing else', () => {
    expect(rewriteTwilioUri('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5', base)).toBe(
      'http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages.json?PageSize=5',
    );
    expect(rewriteTwilioUri('https://api.dublin.ie1.twilio.com/2010-04-01/x', base)).toBe('http://127.0.0.1:4010/2010-04-01/x');
    expect(rewriteTwilioUri('https://messaging.twilio.com/v1/Services', new URL('http://h:1/twilio/'))).toBe('http://h:1/twilio/v1/Services');
    expect(rewriteTwilioUri('https://example.com/x', base)).toBe('https://example.com/x');
    expect(rewriteTwilioUri('https://evil-twilio.com/x', base)).toBe('https://evil-twilio.com/x');
  });

  it('without apiBase the SDK keeps its own client for the real Twilio API', () => {
    const real = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken });
    expect(real.httpClient).toBeInstanceOf(twilio.RequestClient);
    expect(real.httpClient).not.toBeInstanceOf(RebasedRequestClient);
    const rebased = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
    expect(rebased.httpClient).toBeInstanceOf(RebasedRequestClient);
  });

  it('a malformed apiBase is CONFIG_INVALID', () => {
    expect(() => createTwilioClient({ accountSid: sandbox.accountSid, authToken: 'x', apiBase: 'localhost:4010' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('maxSockets bounds the connections: with 1 socket, 4 slow requests run one after another', async () => {
    const single = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl, maxSockets: 1 });
    sandbox.setConfig({ latencyMs: 100 });
    const t0 = performance.now();
    await Promise.all([1, 2, 3, 4].map(() => single.messages.create({ to: TO, from: FROM, body: 'x' })));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    const t1 = performance.now();
    await Promise.all([1, 2, 3, 4].map(() => client.messages.create({ to: TO, from: FROM, body: 'x' })));
    expect(performance.now() - t1).toBeLessThan(390);
  });

  it('timeoutMs reaches the SDK: a request slower than it fails instead of waiting', async () => {
    const impatient = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl, timeoutMs: 100 });
    sandbox.setConfig({ latencyMs: 400 });
    await expect(impatient.messages.create({ to: TO, from: FROM, body: 'x' })).rejects.toThrow(/timeout/i);
  });
});
