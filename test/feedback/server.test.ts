/**
 * The feedback server over the loopback, on a real store in both dialects: webhooks signed the
 * way Twilio signs them (an implementation independent of the SDK) and checked by the SDK's own
 * `twilio.validateRequest`; reply links as a browser, a mail scanner and a mail client use them.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.js';
import type { FeedbackStore } from '../../src/feedback/store.js';
import { sendInboundMessage } from '../../src/sandbox/inbound.js';
import { twilioSignature } from '../../src/sandbox/signature.js';
import { DIALECTS, type TestStore } from '../support/stores.js';
import {
  citizen, citizenRow, messageRow, postForm, providerEvents, responses, seedCampaign, seedCitizens, seedMessage, states,
} from './support.js';

const AUTH_TOKEN = 'feedbacktesttoken00000000000000a';
const STATUS = '/webhooks/twilio/status';
const INBOUND = '/webhooks/twilio/inbound';
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** A clock that advances a minute per reading, so a second write would show in the timestamps. */
function steppingClock(): { now: () => Date; readings: () => number } {
  let n = 0;
  return { now: () => new Date(Date.parse('2021-03-01T10:00:00.000Z') + 60_000 * n++), readings: () => n };
}

const smsStatus = (sid: string, status: string, extra: Record<string, string> = {}): Record<string, string> => ({
  AccountSid: 'AC00000000000000000000000000000000', ApiVersion: '2010-04-01', From: '+15005550006', To: '+393331110001',
  MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, ...extra,
});

const callStatus = (sid: string, status: string): Record<string, string> => ({
  AccountSid: 'AC00000000000000000000000000000000', ApiVersion: '2010-04-01', CallSid: sid, CallStatus: status,
  From: '+15005550006', To: '+393331110001', Direction: 'outbound-api',
});

const inbound = (sid: string, from: string, body: string): Record<string, string> => ({
  AccountSid: 'AC00000000000000000000000000000000', ApiVersion: '2010-04-01', MessageSid: sid, SmsMessageSid: sid, SmsSid: sid,
  From: from, To: '+15005550006', Body: body, NumMedia: '0', NumSegments: '1', SmsStatus: 'received',
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`feedback server on ${dialect.name}`, () => {
    let t: TestStore;
    let server: RunningHttpServer;
    let clock: ReturnType<typeof steppingClock>;
    const post = (path: string, params: Record<string, string>, o: Parameters<typeof postForm>[3] = {}) =>
      postForm(server.url, path, params, { authToken: AUTH_TOKEN, ...o });

    beforeEach(async () => {
      t = await dialect.open();
      clock = steppingClock();
      server = await startHttpServer({ store: t.store.feedback, authToken: AUTH_TOKEN, port: 0, host: '127.0.0.1', now: clock.now });
      await seedCitizens(t.store, [citizen('c1', '+393331110001'), citizen('c2', '+393331110002')]);
      await seedCampaign(t.store, 'over80');
      await seedCampaign(t.store, 'booster');
    });
    afterEach(async () => {
      await server.close();
      await t.dispose();
    });

    describe('status callbacks', () => {
      it('a signed delivered callback moves the message from sent to delivered (204)', async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        const r = await post(STATUS, smsStatus('SM1', 'delivered'));
        expect(r.status).toBe(204);
        expect(await messageRow(t.store, id)).toMatchObject({ state: 'delivered', final_at: '2021-03-01T10:00:00.000Z' });
      });

      it('a tampered, a missing, or a wrongly keyed signature is refused with 403 and changes nothing', async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        const attempts = [
          await post(STATUS, smsStatus('SM1', 'delivered'), { tamper: { MessageStatus: 'undelivered', SmsStatus: 'undelivered' } }),
          await post(STATUS, smsStatus('SM1', 'delivered'), { signature: null }),
          await post(STATUS, smsStatus('SM1', 'delivered'), { signature: '' }),
          await post(STATUS, smsStatus('SM1', 'delivered'), { authToken: 'another-account-token-0000000000' }),
        ];
        for (const r of attempts) {
          expect(r.status).toBe(403);
          expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
        }
        expect((await messageRow(t.store, id)).state).toBe('sent');
        expect(await providerEvents(t.store)).toEqual([]);
      });

      it('signatures are checked against the public URL given to Twilio, query string included, not the listening address', async () => {
        await server.close();
        server = await startHttpServer({ store: t.store.feedback, authToken: AUTH_TOKEN, port: 0, publicUrl: 'https://invito.example.org/', now: clock.now });
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        const path = `${STATUS}?m=${id}`;
        expect((await post(path, smsStatus('SM1', 'delivered'))).status).toBe(403);
        expect((await post(path, smsStatus('SM1', 'delivered'), { signedBase: 'https://invito.example.org' + '/other' })).status).toBe(403);
        expect((await post(path, smsStatus('SM1', 'delivered'), { signedBase: 'https://invito.example.org' })).status).toBe(204);
        expect((await messageRow(t.store, id)).state).toBe('delivered');
      });

      it('a repeated callback changes nothing the second time', async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        expect((await post(STATUS, smsStatus('SM1', 'delivered'))).status).toBe(204);
        const first = await messageRow(t.store, id);
        expect((await post(STATUS, smsStatus('SM1', 'delivered'))).status).toBe(204);
        expect(clock.readings()).toBe(2);
        expect(await messageRow(t.store, id)).toEqual(first);
        expect(await providerEvents(t.store)).toHaveLength(1);
      });

      it("an out-of-order 'sent' after 'delivered' leaves 'delivered'", async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        await post(STATUS, smsStatus('SM1', 'delivered'));
        expect((await post(STATUS, smsStatus('SM1', 'sent'))).status).toBe(204);
        expect((await messageRow(t.store, id)).state).toBe('delivered');
      });

      it("'undelivered' with ErrorCode 30003 stores the error code on the message and the event", async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        expect((await post(STATUS, smsStatus('SM1', 'undelivered', { ErrorCode: '30003' }))).status).toBe(204);
        expect(await messageRow(t.store, id)).toMatchObject({ state: 'undelivered', error_code: '30003' });
        expect(await providerEvents(t.store)).toMatchObject([{ provider_id: 'SM1', status: 'undelivered', error_code: '30003' }]);
      });

      it('a receipt for a sid no message has yet is accepted and kept in provider_events', async () => {
        expect((await post(STATUS, smsStatus('SMnotyet', 'delivered'))).status).toBe(204);
        expect(await providerEvents(t.store)).toEqual([{ provider_id: 'SMnotyet', status: 'delivered', error_code: null, received_at: '2021-03-01T10:00:00.000Z' }]);
      });

      it('intermediate statuses are accepted and store nothing', async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        for (const s of ['queued', 'accepted', 'sending']) expect((await post(STATUS, smsStatus('SM1', s))).status).toBe(204);
        for (const s of ['initiated', 'ringing', 'in-progress']) expect((await post(STATUS, callStatus('CA1', s))).status).toBe(204);
        expect(await providerEvents(t.store)).toEqual([]);
        expect((await messageRow(t.store, id)).state).toBe('sent');
      });

      it('call statuses map to receipts: completed → delivered, busy and no-answer → undelivered, canceled → failed', async () => {
        const cases = { CA1: ['completed', 'delivered'], CA2: ['busy', 'undelivered'], CA3: ['no-answer', 'undelivered'], CA4: ['canceled', 'failed'] } as const;
        const ids: Record<string, string> = {};
        let n = 0;
        for (const sid of Object.keys(cases)) {
          ids[sid] = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', step: `s${n++}`, state: 'sent', providerId: sid, channel: 'voice' });
        }
        for (const [sid, [status]] of Object.entries(cases)) expect((await post(STATUS, callStatus(sid, status))).status).toBe(204);
        for (const [sid, [, state]] of Object.entries(cases)) expect((await messageRow(t.store, ids[sid]!)).state).toBe(state);
      });

      it("a signed callback without a sid and status is refused with WEBHOOK_PAYLOAD_INVALID", async () => {
        const r = await post(STATUS, { AccountSid: 'AC00000000000000000000000000000000' });
        expect(r.status).toBe(400);
        expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'WEBHOOK_PAYLOAD_INVALID' } });
      });
    });

    describe('inbound SMS', () => {
      it('STOP, stop, Arresta, STOPP and cancella opt the citizen out and stop their pending and queued messages in every campaign, sent ones stay', async () => {
        const bodies = ['STOP', 'stop', ' Arresta! ', 'STOPP', 'cancella.'];
        const people = bodies.map((body, i) => ({ body, id: `p${i}`, phone: `+39333222000${i}` }));
        await seedCitizens(t.store, people.map((p) => citizen(p.id, p.phone)));
        const expected: Record<string, string> = {};
        for (const p of people) {
          expected[await seedMessage(t.store, { campaign: 'over80', citizen: p.id, state: 'pending' })] = 'opted_out';
          expected[await seedMessage(t.store, { campaign: 'booster', citizen: p.id, state: 'queued' })] = 'opted_out';
          expected[await seedMessage(t.store, { campaign: 'booster', citizen: p.id, step: 'reminder', state: 'sent', providerId: `SM${p.id}` })] = 'sent';
        }
        expected[await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'pending' })] = 'pending';
        for (const [i, p] of people.entries()) {
          const r = await post(INBOUND, inbound(`SMin${i}`, p.phone, p.body));
          expect(r.status).toBe(200);
          expect(r.contentType).toMatch(/^text\/xml/);
          expect(r.text).toBe(TWIML);
        }
        for (const p of people) {
          const row = await citizenRow(t.store, p.id);
          expect(row.opt_out).toBe(1);
          expect(row.opt_out_source).toBe(`sms:${p.body.replace(/[^A-Za-z]/g, '').toUpperCase()}`);
        }
        expect((await citizenRow(t.store, 'c1')).opt_out).toBe(0);
        expect(await states(t.store)).toEqual(expected);
        expect(await responses(t.store)).toEqual([]);
      });

      it('a reply that is not an opt-out keyword is stored as a response of the citizen with that number', async () => {
        const r = await post(INBOUND, inbound('SMreply1', '+393331110002', 'Non posso venire, stop'));
        expect(r.status).toBe(200);
        expect(r.text).toBe(TWIML);
        expect(await responses(t.store)).toEqual([
          { response_id: 'SMreply1', citizen_id: 'c2', message_id: null, channel: 'sms', kind: 'reply', body: 'Non posso venire, stop', received_at: '2021-03-01T10:00:00.000Z', action: null, read_at: null, read_by: null },
        ]);
        expect((await citizenRow(t.store, 'c2')).opt_out).toBe(0);
      });

      it('a repeated inbound webhook (same MessageSid) stores the reply once', async () => {
        await post(INBOUND, inbound('SMreply1', '+393331110002', 'Sì'));
        expect((await post(INBOUND, inbound('SMreply1', '+393331110002', 'Sì'))).status).toBe(200);
        expect(await responses(t.store)).toMatchObject([{ response_id: 'SMreply1', received_at: '2021-03-01T10:00:00.000Z' }]);
      });

      it('a reply from a number in no record is stored without a citizen', async () => {
        await post(INBOUND, inbound('SMreply2', '+393339999999', 'chi siete?'));
        expect(await responses(t.store)).toMatchObject([{ response_id: 'SMreply2', citizen_id: null }]);
      });

      it('an unsigned inbound STOP is refused with 403 and opts no one out', async () => {
        const pending = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'pending' });
        const r = await post(INBOUND, inbound('SMin1', '+393331110001', 'STOP'), { signature: null });
        expect(r.status).toBe(403);
        expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
        expect((await citizenRow(t.store, 'c1')).opt_out).toBe(0);
        expect((await messageRow(t.store, pending)).state).toBe('pending');
      });

      it("a STOP posted by the sandbox's sendInboundMessage opts the citizen out", async () => {
        const pending = await seedMessage(t.store, { campaign: 'booster', citizen: 'c1', state: 'pending' });
        const r = await sendInboundMessage({ webhookUrl: server.url + INBOUND, from: '+393331110001', body: 'Stop', authToken: AUTH_TOKEN });
        expect(r.status).toBe(200);
        expect(await citizenRow(t.store, 'c1')).toMatchObject({ opt_out: 1, opt_out_source: 'sms:STOP' });
        expect((await messageRow(t.store, pending)).state).toBe('opted_out');
      });
    });

    describe('reply links', () => {
      const TOKEN = 'AbCdEfGhIjKlMnOpQrStUv';
      let linked: string;
      let pending: string;
      beforeEach(async () => {
        linked = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1', token: TOKEN });
        pending = await seedMessage(t.store, { campaign: 'booster', citizen: 'c1', state: 'pending' });
      });
      const link = (action: string) => `${server.url}/r/${TOKEN}/${action}`;

      it('the short link /r/<token> shows one page with a button for each action, each posting to its link; an unknown token is not valid', async () => {
        const r = await fetch(`${server.url}/r/${TOKEN}`);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
        const html = await r.text();
        for (const action of ['confirm', 'decline', 'optout']) expect(html).toContain(`<form method="post" action="${TOKEN}/${action}">`);
        expect(await responses(t.store)).toEqual([]);
        const unknown = await fetch(`${server.url}/r/NoSuchToken1`);
        expect([unknown.status, unknown.headers.get('x-invito-error')]).toEqual([404, 'LINK_NOT_FOUND']);
      });

      it('a GET of any link changes nothing and shows a bilingual page whose button POSTs, with no external assets', async () => {
        for (const action of ['confirm', 'decline', 'optout']) {
          const r = await fetch(link(action));
          expect(r.status).toBe(200);
          expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
          expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
          expect(r.headers.get('referrer-policy')).toBe('no-referrer');
          const html = await r.text();
          expect(html).toContain('<html lang="it">');
          expect(html).toContain('<section lang="en">');
          expect(html.indexOf('lang="it"')).toBeLessThan(html.indexOf('lang="en"'));
          expect(html).toMatch(/<form method="post"><button type="submit">/);
          expect(html).not.toMatch(/\b(src|href)=/);
          expect(html).not.toContain('http');
        }
        expect(await responses(t.store)).toEqual([]);
        expect((await citizenRow(t.store, 'c1')).opt_out).toBe(0);
        expect(await states(t.store)).toEqual({ [linked]: 'sent', [pending]: 'pending' });
      });

      it('a POST to the opt-out link opts the citizen out and stops their unsent messages', async () => {
        const r = await fetch(link('optout'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
        expect(r.status).toBe(200);
        expect(await r.text()).toContain('Richiesta registrata');
        expect(await citizenRow(t.store, 'c1')).toMatchObject({ opt_out: 1, opt_out_source: 'link' });
        expect((await messageRow(t.store, pending)).state).toBe('opted_out');
      });

      it('a POST to the confirm link records one confirmation of that message, however often it is pressed', async () => {
        for (let i = 0; i < 2; i++) expect((await fetch(link('confirm'), { method: 'POST' })).status).toBe(200);
        expect(await responses(t.store)).toEqual([
          { response_id: `${linked}.confirm`, citizen_id: 'c1', message_id: linked, channel: 'link', kind: 'confirm', body: null, received_at: '2021-03-01T10:00:00.000Z', action: null, read_at: null, read_by: null },
        ]);
        expect((await citizenRow(t.store, 'c1')).opt_out).toBe(0);
      });

      it('a POST to the decline link records a decline', async () => {
        expect((await fetch(link('decline'), { method: 'POST' })).status).toBe(200);
        expect(await responses(t.store)).toMatchObject([{ response_id: `${linked}.decline`, kind: 'decline', channel: 'link' }]);
      });

      it('a one-click List-Unsubscribe POST (RFC 8058) opts out without the page, form-encoded or multipart', async () => {
        const r = await fetch(link('optout'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
        expect(r.status).toBe(200);
        expect(await citizenRow(t.store, 'c1')).toMatchObject({ opt_out: 1, opt_out_source: 'link' });

        await seedCitizens(t.store, [citizen('c9', null)]);
        await seedMessage(t.store, { campaign: 'over80', citizen: 'c9', state: 'sent', token: 'multipartToken' });
        const form = new FormData();
        form.set('List-Unsubscribe', 'One-Click');
        expect((await fetch(`${server.url}/r/multipartToken/optout`, { method: 'POST', body: form })).status).toBe(200);
        expect((await citizenRow(t.store, 'c9')).opt_out).toBe(1);
      });

      it('an unknown token or action is a 404 page and changes nothing', async () => {
        for (const url of [`${server.url}/r/NoSuchToken0000000000/optout`, `${server.url}/r/${TOKEN}/delete`, `${server.url}/r/bad.token!/optout`]) {
          for (const method of ['GET', 'POST']) {
            const r = await fetch(url, { method });
            expect(r.status).toBe(404);
            expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
            expect(r.headers.get('x-invito-error')).toBe('LINK_NOT_FOUND');
            expect(await r.text()).toContain('<h1>Link non valido</h1>');
          }
        }
        expect((await citizenRow(t.store, 'c1')).opt_out).toBe(0);
        expect(await responses(t.store)).toEqual([]);
      });
    });

    it('logs carry ids, counts and statuses, never phone numbers, emails or what citizens wrote', async () => {
      const lines: string[] = [];
      const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
      await server.close();
      server = await startHttpServer({ store: t.store.feedback, authToken: AUTH_TOKEN, port: 0, now: clock.now, logger: pino({ level: 'trace' }, sink) });
      await seedCitizens(t.store, [citizen('c5', '+393335550005', { email: 'maria.rossi@example.org' })]);
      await seedMessage(t.store, { campaign: 'over80', citizen: 'c5', state: 'sent', providerId: 'SM5', token: 'TokenOfC5' });
      await post(STATUS, smsStatus('SM5', 'undelivered', { ErrorCode: '30003', To: '+393335550005' }));
      await post(INBOUND, inbound('SMr5', '+393335550005', 'Ho la febbre alta'));
      await post(INBOUND, inbound('SMs5', '+393335550005', 'STOP'));
      await post(INBOUND, inbound('SMx5', '+393335550005', 'STOP'), { signature: null });
      await fetch(`${server.url}/r/TokenOfC5/optout`);
      await fetch(`${server.url}/r/TokenOfC5/confirm`, { method: 'POST' });
      await fetch(`${server.url}/r/UnknownToken5/confirm`);
      const log = lines.join('');
      expect(log).toContain('SM5');
      expect(log).toContain('"messagesStopped"');
      expect(log).toContain('WEBHOOK_SIGNATURE_INVALID');
      for (const secret of ['3335550005', 'febbre', 'maria', 'Rossi', 'TokenOfC5', 'UnknownToken5']) expect(log).not.toContain(secret);
    });

    it('GET /healthz answers {"ok": true}', async () => {
      const r = await fetch(`${server.url}/healthz`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ ok: true });
    });
  });
}

describe('the signature check', () => {
  it('accepts exactly what the independent signer signs: twilioSignature and the SDK agree', () => {
    const params = smsStatus('SM1', 'delivered');
    const url = 'https://invito.example.org/webhooks/twilio/status?m=over80.invite.c1';
    expect(twilio.validateRequest(AUTH_TOKEN, twilioSignature(AUTH_TOKEN, url, params), url, params)).toBe(true);
    expect(twilio.validateRequest(AUTH_TOKEN, twilioSignature(AUTH_TOKEN, url, params), url, { ...params, MessageStatus: 'failed' })).toBe(false);
  });
});


describe('when the store fails', () => {
  const failing: FeedbackStore = {
    applyReceipt: () => Promise.reject(new Error('SQLITE_BUSY: database is locked')),
    markRead: () => Promise.reject(new Error('SQLITE_BUSY: database is locked')),
    optOutByPhone: () => Promise.reject(new Error('SQLITE_BUSY: database is locked')),
    optOutCitizen: () => Promise.reject(new Error('SQLITE_BUSY: database is locked')),
    recordResponse: () => Promise.reject(new Error('SQLITE_BUSY: database is locked')),
    citizensByPhone: () => Promise.reject(new Error('SQLITE_BUSY: database is locked')),
    messageByToken: async () => ({ messageId: 'm1', campaignId: 'over80', citizenId: 'c1' }),
  };

  it('a webhook answers 500 so that it is not taken as handled, without the store error text', async () => {
    const server = await startHttpServer({ store: failing, authToken: AUTH_TOKEN, port: 0 });
    try {
      const r = await postForm(server.url, STATUS, smsStatus('SM1', 'delivered'), { authToken: AUTH_TOKEN });
      expect(r.status).toBe(500);
      expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'INTERNAL' } });
      expect(r.text).not.toContain('SQLITE');
    } finally {
      await server.close();
    }
  });

  it('a reply-link POST shows a try-again page, never a page saying it worked', async () => {
    const server = await startHttpServer({ store: failing, authToken: AUTH_TOKEN, port: 0 });
    try {
      const r = await fetch(`${server.url}/r/AnyToken/optout`, { method: 'POST' });
      expect(r.status).toBe(500);
      expect(r.headers.get('x-invito-error')).toBe('INTERNAL');
      const html = await r.text();
      expect(html).toContain('<h1>Servizio non disponibile</h1>');
      expect(html).not.toContain('Richiesta registrata');
    } finally {
      await server.close();
    }
  });
});
