/**
 * Email bounces (issue 12, item 2), through the real pipeline: the worker sends with nodemailer to
 * the sandbox's SMTP sink with a VERP return path; the sandbox bounces later, as a relay does,
 * sending a delivery status notification to that return path at the bounce listener of
 * `invito serve --smtp-port` (smtp-server + mailparser), which marks the message undelivered;
 * the fallback (the call task) follows. Store on both dialects, BullMQ on Redis.
 */
import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { fallbackKey } from '../src/core/lifecycle.js';
import { parseReturnPath, returnPath } from '../src/core/return-path.js';
import { isBounce, readDeliveryStatus, type RunningBounceListener, startBounceListener } from '../src/feedback/bounces.js';
import { launchCampaign } from '../src/pacer/launch.js';
import type { CitizenRecord } from '../src/registry/store.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { CENTER, citizens, startTestWorker, testPrefix, until } from './support/dispatch.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const campaign = parseCampaign(
  `id: mail
name: mail
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - id: invite
    channels: [email, call]
    template: invite
pacing: { daily_target: 100000 }
windows: { email: daily 00:00-24:00, call: daily 00:00-24:00 }
holidays: none
`,
  'mail.yaml',
).campaign;

describe('delivery status notifications', () => {
  it('a failed action or a 5.x.x status is a bounce; a delay is not', () => {
    expect(isBounce(readDeliveryStatus('Final-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.1.1\r\n'))).toBe(true);
    expect(isBounce(readDeliveryStatus('Final-Recipient: rfc822; a@b\r\nAction: delayed\r\nStatus: 4.4.7\r\n'))).toBe(false);
    expect(readDeliveryStatus('Status: 5.2.2')).toEqual({ action: null, status: '5.2.2' });
  });

  it('a return path carries the message key both ways, and nothing else parses as one', () => {
    const key = 'mail.invite~email.F00001';
    expect(returnPath(key, 'invito.local')).toBe('bounces+mail.invite~email.F00001@invito.local');
    expect(parseReturnPath(returnPath(key, 'invito.local'), 'invito.local')).toBe(key);
    expect(parseReturnPath('someone@invito.local')).toBeNull();
    expect(parseReturnPath(returnPath(key, 'other.example'), 'invito.local')).toBeNull();
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`email bounces on ${dialect.name}`, () => {
    let t: TestStore;
    let sandbox: Sandbox;
    let listener: RunningBounceListener;
    let redis: ReturnType<typeof testPrefix>;
    beforeEach(async () => {
      t = await dialect.open();
      // The test providers send from @invito.test (support/dispatch.ts): the return paths' domain.
      listener = await startBounceListener({ store: t.store.feedback, port: 0, domain: 'invito.test' });
      sandbox = await startSandbox({ callbackDelayMs: 1, dsnTo: `smtp://127.0.0.1:${listener.port}` });
      redis = testPrefix();
      await t.store.registry.writeCenters('seed', [CENTER]);
    });
    afterEach(async () => {
      await sandbox.close();
      await listener.close();
      await redis.cleanup();
      await t.dispose();
    });

    it('an email that bounces later is marked undelivered by the DSN to its return path, and its call task follows with the same appointment', async () => {
      const people: CitizenRecord[] = citizens(4, 0, 4, 'B').map((c, i) => ({ ...c, email: i < 2 ? `b${i}@late-bounce.example.com` : `ok${i}@example.com` }));
      await t.store.registry.writeCitizens('seed', people);
      await launchCampaign(t.store.dispatch, campaign, 500, new Date().toISOString());
      const worker = await startTestWorker(t.store, sandbox, redis.prefix);
      try {
        await until('both bounces recorded and their call tasks made', async () => {
          const tasks = await t.store.db.selectFrom('call_tasks').select('citizen_id').where('campaign_id', '=', 'mail').execute();
          return tasks.length === 2 && sandbox.outbox().emails.length === 4;
        }, 30_000);
      } finally {
        await worker.close();
      }
      const emails = sandbox.outbox().emails;
      expect(emails).toHaveLength(4);
      // Each email's envelope sender is its message's return path.
      for (const e of emails) expect(parseReturnPath(e.from, 'invito.test')).toMatch(/^mail\.invite\.B0000\d$/);
      const rows = await t.store.db.selectFrom('messages').select(['message_id', 'citizen_id', 'channel', 'state', 'error_code', 'appointment_id', 'fallback_id']).where('campaign_id', '=', 'mail').orderBy('message_id').execute();
      const byId = new Map(rows.map((r) => [r.message_id, r]));
      for (const id of ['B00000', 'B00001']) {
        const mail = byId.get(`mail.invite.${id}`)!;
        expect(mail).toMatchObject({ state: 'undelivered', error_code: 'smtp-5.1.1', fallback_id: fallbackKey('mail', 'invite', 'call', id) });
        expect(byId.get(fallbackKey('mail', 'invite', 'call', id))).toMatchObject({ channel: 'call', appointment_id: mail.appointment_id });
      }
      for (const id of ['B00002', 'B00003']) expect(['sent', 'delivered']).toContain(byId.get(`mail.invite.${id}`)!.state);
      // A delay report (the relay still trying) to a delivered message's return path changes nothing.
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true });
      try {
        const delayed = 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: delayed\r\nStatus: 4.4.7\r\n\r\n--b--\r\n';
        await transport.sendMail({ envelope: { from: '', to: [returnPath('mail.invite.B00002', 'invito.test')] }, raw: delayed });
      } finally {
        transport.close();
      }
      const after = await t.store.db.selectFrom('messages').select('state').where('message_id', '=', 'mail.invite.B00002').executeTakeFirstOrThrow();
      expect(after.state).toBe(byId.get('mail.invite.B00002')!.state);
    });

    it('the listener takes mail only for our return paths: anything else is refused at RCPT TO', async () => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true });
      try {
        await expect(transport.sendMail({ envelope: { from: '', to: ['postmaster@invito.test'] }, raw: 'Subject: x\r\n\r\nhello\r\n' })).rejects.toMatchObject({ responseCode: 550 });
        await expect(transport.sendMail({ envelope: { from: '', to: [returnPath('mail.invite.B00001', 'other.example')] }, raw: 'Subject: x\r\n\r\nhello\r\n' })).rejects.toMatchObject({ responseCode: 550 });
      } finally {
        transport.close();
      }
    });
  });
}
