/**
 * End to end with the provider sandbox: the real Twilio SDK sends through the sandbox, whose
 * status callbacks (signed with its auth token) reach the feedback server and move the message.
 */
import type twilio from 'twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioClient } from '../../src/channels/twilio/http-client.js';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.js';
import { SANDBOX_SENDER, type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { DIALECTS, type TestStore } from '../support/stores.js';
import { citizen, messageRow, providerEvents, seedCampaign, seedCitizens, seedMessage } from './support.js';

const TO = '+393331110001';
/** Long enough for the test to record the provider id, as the worker does, before the final status. */
const CALLBACK_DELAY_MS = 150;

let sandbox: Sandbox;
let client: twilio.Twilio;

beforeAll(async () => {
  sandbox = await startSandbox({ callbackDelayMs: CALLBACK_DELAY_MS });
  client = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
});
afterAll(async () => {
  await sandbox.close();
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`sandbox callbacks into the feedback server on ${dialect.name}`, () => {
    let t: TestStore;
    let server: RunningHttpServer;
    beforeEach(async () => {
      t = await dialect.open();
      server = await startHttpServer({ store: t.store.feedback, authToken: sandbox.authToken, port: 0 });
      await seedCitizens(t.store, [citizen('c1', TO)]);
      await seedCampaign(t.store, 'over80');
      sandbox.setConfig({ undeliveredShare: 0, failedShare: 0, callBusyShare: 0, callNoAnswerShare: 0, callFailedShare: 0, callbackDelayMs: CALLBACK_DELAY_MS });
    });
    afterEach(async () => {
      await sandbox.idle();
      await server.close();
      await t.dispose();
    });

    /** What the worker does once the provider accepted: records the provider id on the sent message. */
    const recordSend = (id: string, sid: string) => t.store.db.updateTable('messages').set({ provider_id: sid }).where('message_id', '=', id).execute();

    it('an SMS the sandbox delivers ends delivered, with its sent and delivered receipts kept', async () => {
      const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent' });
      const m = await client.messages.create({ to: TO, from: SANDBOX_SENDER, body: 'Ciao', statusCallback: `${server.url}/webhooks/twilio/status` });
      await recordSend(id, m.sid);
      await sandbox.idle();
      expect(await messageRow(t.store, id)).toMatchObject({ state: 'delivered', provider_id: m.sid });
      expect((await providerEvents(t.store)).map((e) => e.status)).toEqual(['delivered', 'sent']);
    });

    it('an SMS the sandbox reports undelivered ends undelivered with its carrier error code', async () => {
      sandbox.setConfig({ undeliveredShare: 1 });
      const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent' });
      const m = await client.messages.create({ to: TO, from: SANDBOX_SENDER, body: 'Ciao', statusCallback: `${server.url}/webhooks/twilio/status` });
      await recordSend(id, m.sid);
      await sandbox.idle();
      const row = await messageRow(t.store, id);
      expect(row.state).toBe('undelivered');
      expect(['30003', '30005', '30006']).toContain(row.error_code);
    });

    it('a voice call that finds the line busy ends undelivered', async () => {
      sandbox.setConfig({ callBusyShare: 1 });
      const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', channel: 'voice' });
      const c = await client.calls.create({ to: TO, from: SANDBOX_SENDER, twiml: '<Response><Say>Ciao</Say></Response>', statusCallback: `${server.url}/webhooks/twilio/status` });
      await recordSend(id, c.sid);
      await sandbox.idle();
      expect((await messageRow(t.store, id)).state).toBe('undelivered');
    });
  });
}
