/**
 * The send pipeline end to end, in one process: the store (both dialects), BullMQ on a real
 * Redis, the real twilio SDK and nodemailer against the sandbox.
 */
import { voiceTwiml } from '../src/channels/voice.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { templateLibrary } from '../src/campaigns/messages.js';
import { campaignRecord } from '../src/pacer/campaigns.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { makeProcessor } from '../src/queues/process.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { InvitoError } from '../src/core/errors.js';
import { campaign, CENTER, citizens, releaseNow, sandboxChannels, startTestWorker, testPrefix, until } from './support/dispatch.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const AT = '2021-03-01T08:00:00.000Z';

/** An SMS campaign whose window is Monday to Saturday, 09:00–20:00 in Rome. */
const smsUntil8 = (id: string) =>
  parseCampaign(
    `id: ${id}\nname: ${id}\nreference_date: 2021-03-01\ncohort: { age: { min: 60 } }\nsteps: [{ id: invite, channels: [sms], template: invite }]\npacing: { daily_target: 100 }\nwindows: { sms: "mon-sat 09:00-20:00" }\nholidays: none\nsms: { max_segments: 6 }\n`,
    `${id}.yaml`,
  ).campaign;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`dispatch on ${dialect.name}`, () => {
    let t: TestStore;
    let sandbox: Sandbox;
    let redis: ReturnType<typeof testPrefix>;
    beforeEach(async () => {
      t = await dialect.open();
      sandbox = await startSandbox({ callbackDelayMs: 1 });
      redis = testPrefix();
      await t.store.registry.writeCenters('seed', [CENTER]);
    });
    afterEach(async () => {
      await sandbox.close();
      await redis.cleanup();
      await t.dispose();
    });

    it('sends every recipient exactly once, each on the first channel that reaches them', async () => {
      await t.store.registry.writeCitizens('seed', citizens(40, 20, 12));
      const c = campaign('c1');
      const launched = await launchCampaign(t.store.dispatch, c, 500, AT);
      expect(launched).toMatchObject({ created: true, recipients: 40, added: 40 });
      const worker = await startTestWorker(t.store, sandbox, redis.prefix);
      try {
        // Every message at rest; the 8 call tasks keep the campaign active until an operator calls (completion.test.ts).
        await until('every message at rest', async () => {
          const left = await t.store.dispatch.unfinished('c1');
          return left.pending + left.queued + left.sending === 0 && left.callTasks === 8;
        }, 30_000);
        expect((await campaignRecord(t.store, 'c1'))?.status).toBe('active');
      } finally {
        await worker.close();
      }
      const out = sandbox.outbox();
      const phones = out.messages.map((m) => m.to);
      expect(phones).toHaveLength(20);
      expect(new Set(phones).size).toBe(20);
      expect(out.emails).toHaveLength(12);
      expect(new Set(out.emails.map((e) => e.to.join(','))).size).toBe(12);
      const tasks = await t.store.db.selectFrom('call_tasks').select('citizen_id').execute();
      expect(tasks).toHaveLength(8);
      const states = await t.store.db.selectFrom('messages').select(['state', 'channel', 'provider_id']).execute();
      expect(states.every((s) => s.state === 'sent' || s.state === 'delivered' || s.state === 'undelivered')).toBe(true);
      // Every provider id in the store is one the provider really issued.
      const sids = new Set([...out.messages.map((m) => m.id), ...out.emails.map((e) => e.messageId)]);
      for (const s of states.filter((x) => x.channel !== 'call')) expect(sids.has(s.provider_id!)).toBe(true);
      // The email carries the opt-out header and our Message-ID.
      expect(out.emails[0]!.headers['list-unsubscribe']).toMatch(/^<http:\/\/[^/]+\/r\/[A-Za-z0-9_-]{12}\/optout>$/);
    });

    it('pause stops sending and returns queued messages to pending; resume finishes where it stopped, each once', async () => {
      await t.store.registry.writeCitizens('seed', citizens(120, 120, 0));
      const c = campaign('cp', '[sms]');
      await launchCampaign(t.store.dispatch, c, 60, AT);
      const worker = await startTestWorker(t.store, sandbox, redis.prefix);
      try {
        await until('some sent', async () => sandbox.outbox().messages.length >= 20);
        await t.store.campaignRecords.setStatus('cp', 'paused', 'test', AT);
        await new Promise((r) => setTimeout(r, 500)); // jobs already queued drain back to pending
        const atPause = sandbox.outbox().messages.length;
        await new Promise((r) => setTimeout(r, 700));
        expect(sandbox.outbox().messages.length).toBe(atPause);
        const left = await t.store.dispatch.unfinished('cp');
        expect(left.queued + left.sending).toBe(0);
        expect(left.pending).toBe(120 - atPause);
        await t.store.campaignRecords.setStatus('cp', 'active', null, AT);
        await until('completed after resume', async () => (await campaignRecord(t.store, 'cp'))?.status === 'completed');
      } finally {
        await worker.close();
      }
      const phones = sandbox.outbox().messages.map((m) => m.to);
      expect(phones).toHaveLength(120);
      expect(new Set(phones).size).toBe(120);
      // Released in priority order: the oldest were sent before the pause.
      const order = await t.store.db.selectFrom('messages').select(['seq', 'sent_at']).orderBy('seq').execute();
      expect(order.slice(0, 10).every((r) => r.sent_at !== null && r.sent_at <= order[order.length - 1]!.sent_at!)).toBe(true);
    });

    it('voice calls go through the twilio SDK with an answer URL naming the message and machine detection (what they say: test/feedback/ivr.test.ts)', async () => {
      await t.store.registry.writeCitizens('seed', citizens(5, 5, 0));
      const c = campaign('cv', '[voice]');
      await launchCampaign(t.store.dispatch, c, 100, AT);
      const released = await releaseNow(t.store, c, 10, (id) => `tok-${id}`, AT);
      const process = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library: await templateLibrary() });
      for (const r of released) expect(await process({ messageId: r.messageId, attemptsMade: 0, maxAttempts: 3 })).toBe('sent');
      const calls = sandbox.outbox().calls;
      expect(calls).toHaveLength(5);
      expect(new Set(calls.map((x) => x.to)).size).toBe(5);
      for (const call of calls) {
        expect(call.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/webhooks\/twilio\/voice\/answer\?m=cv\.invite\.P0000\d$/);
        expect(call.machineDetection).toBe('Enable');
      }
      // Without an answer URL (a VoiceChannel built by hand) the script goes inline, said twice in the citizen's language.
      expect(voiceTwiml('Guten Tag', 'de')).toMatch(/^<\?xml.*<Say language="de-DE">Guten Tag<\/Say><Pause length="2"\/><Say language="de-DE">Guten Tag<\/Say>/);
      expect(voiceTwiml('Buongiorno', 'ro')).toContain('<Say language="it-IT">');
      const rows = await t.store.db.selectFrom('messages').select(['state', 'provider_id']).execute();
      expect(rows.every((r) => r.state === 'sent' && /^CA[0-9a-f]{32}$/.test(r.provider_id!))).toBe(true);
    });

    it('a job that runs when its channel’s window is closed is put off to the next opening, never sent', async () => {
      await t.store.registry.writeCitizens('seed', citizens(1, 1, 0));
      const c = smsUntil8('night');
      await launchCampaign(t.store.dispatch, c, 0, AT);
      const [m] = await releaseNow(t.store, c, 1, (id) => `tok-${id}`, '2021-03-01T10:00:00.000Z'); // 11:00 in Rome
      // A retry that comes round at 21:30 in Rome (20:30 UTC), after the window closed.
      const deferred: number[] = [];
      const process = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library: await templateLibrary(), now: () => new Date('2021-03-01T20:30:00.000Z') });
      const outcome = await process({ messageId: m!.messageId, attemptsMade: 1, maxAttempts: 3, defer: async (until) => void deferred.push(until) });
      expect(outcome).toBe('deferred');
      expect(deferred).toEqual([Date.parse('2021-03-02T08:00:00.000Z')]); // Tuesday 09:00 in Rome
      expect(sandbox.outbox().messages).toHaveLength(0);
      const row = await t.store.db.selectFrom('messages').select('state').where('message_id', '=', m!.messageId).executeTakeFirstOrThrow();
      expect(row.state).toBe('queued');
    });

    it('the window is checked again right before the provider call: a job whose render and claim ran past the close (a fast clock) is put off, never sent after 20:00', async () => {
      await t.store.registry.writeCitizens('seed', citizens(2, 2, 0));
      const c = smsUntil8('late');
      await launchCampaign(t.store.dispatch, c, 0, AT);
      const [late, early] = await releaseNow(t.store, c, 2, (id) => `tok-${id}`, '2021-03-01T10:00:00.000Z');
      const library = await templateLibrary();
      // 19:59:40 in Rome at the first reading, each later one 20 seconds on: the job starts inside
      // the window, but by the time it is rendered and claimed the window has closed.
      let clock = Date.parse('2021-03-01T18:59:20.000Z');
      const fast = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library, now: () => new Date((clock += 20_000)) });
      const deferred: number[] = [];
      const outcome = await fast({ messageId: late!.messageId, attemptsMade: 0, maxAttempts: 3, defer: async (until) => void deferred.push(until) });
      expect(outcome).toBe('deferred');
      expect(deferred).toEqual([Date.parse('2021-03-02T08:00:00.000Z')]); // Tuesday 09:00 in Rome
      expect(sandbox.outbox().messages).toHaveLength(0);
      const row = await t.store.db.selectFrom('messages').select('state').where('message_id', '=', late!.messageId).executeTakeFirstOrThrow();
      expect(row.state).toBe('queued'); // given back, to be claimed again at the next opening

      // Two minutes before the close on a clock that stands still there is room: it is sent.
      const steady = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library, now: () => new Date('2021-03-01T18:58:00.000Z') });
      expect(await steady({ messageId: early!.messageId, attemptsMade: 0, maxAttempts: 3, defer: async () => {} })).toBe('sent');
      expect(sandbox.outbox().messages).toHaveLength(1);
    });

    it('launching the same campaign twice duplicates nothing; a changed definition is refused', async () => {
      await t.store.registry.writeCitizens('seed', citizens(10, 10, 0));
      const c = campaign('c2');
      await launchCampaign(t.store.dispatch, c, 100, AT);
      const again = await launchCampaign(t.store.dispatch, c, 100, AT);
      expect(again).toMatchObject({ created: false, recipients: 10, added: 0 });
      const n = await t.store.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(10);
      // A newcomer to the registry joins at the end of the order.
      await t.store.registry.writeCitizens('seed2', citizens(1, 1, 0, 'NEW'));
      const third = await launchCampaign(t.store.dispatch, c, 100, AT);
      expect(third.added).toBe(1);
      const last = await t.store.db.selectFrom('messages').select(['citizen_id', 'seq']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
      expect(last).toMatchObject({ citizen_id: 'NEW00000', seq: 11 });
      const changed = await launchCampaign(t.store.dispatch, campaign('c2', '[sms]'), 100, AT).catch((e: unknown) => e);
      expect((changed as InvitoError).code).toBe('CAMPAIGN_CHANGED');
    });

    it('a job that runs again after its send was recorded does nothing; one that died mid-send becomes unknown, never re-sent', async () => {
      await t.store.registry.writeCitizens('seed', citizens(2, 2, 0));
      const c = campaign('c3', '[sms]');
      await launchCampaign(t.store.dispatch, c, 100, AT);
      const released = await releaseNow(t.store, c, 10, (id) => `tok-${id}`, AT);
      expect(released).toHaveLength(2);
      const process = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library: await templateLibrary() });
      const [a, b] = released;
      expect(await process({ messageId: a!.messageId, attemptsMade: 0, maxAttempts: 3 })).toBe('sent');
      expect(await process({ messageId: a!.messageId, attemptsMade: 0, maxAttempts: 3 })).toBe('skipped');
      // b is claimed by a worker that then dies before recording the provider's answer.
      expect(await t.store.dispatch.claim(b!.messageId, 'dead-worker', AT)).toBe(true);
      expect(await process({ messageId: b!.messageId, attemptsMade: 1, maxAttempts: 3 })).toBe('unknown');
      expect(sandbox.outbox().messages).toHaveLength(1);
      const rows = await t.store.db.selectFrom('messages').select(['message_id', 'state']).orderBy('seq').execute();
      expect(rows.map((r) => r.state)).toEqual(['sent', 'unknown']);
    });

    it('reply links carry the token the store recorded at release, so the feedback server finds the message', async () => {
      await t.store.registry.writeCitizens('seed', citizens(3, 0, 3));
      const c = campaign('cl', '[email]');
      await launchCampaign(t.store.dispatch, c, 100, AT);
      const released = await releaseNow(t.store, c, 10, (id) => `stored-${id.length}-${id.slice(-3)}`, AT);
      const process = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library: await templateLibrary() });
      for (const r of released) expect(await process({ messageId: r.messageId, attemptsMade: 0, maxAttempts: 3 })).toBe('sent');
      const rows = await t.store.db.selectFrom('messages').select(['link_token']).execute();
      const headers = sandbox.outbox().emails.map((e) => e.headers['list-unsubscribe']);
      for (const row of rows) expect(headers.some((h) => h?.endsWith(`/r/${row.link_token}/optout>`)), row.link_token!).toBe(true);
      const target = await t.store.feedback.messageByToken(rows[0]!.link_token!);
      expect(target).not.toBeNull();
    });

    it('a STOP that arrives after a worker loaded the message still wins: the claim is refused', async () => {
      await t.store.registry.writeCitizens('seed', citizens(1, 1, 0));
      const c = campaign('cs', '[sms]');
      await launchCampaign(t.store.dispatch, c, 100, AT);
      const [m] = await releaseNow(t.store, c, 1, (id) => `tok-${id}`, AT);
      const loaded = await t.store.dispatch.loadForSend(m!.messageId);
      expect(loaded!.citizen.opt_out).toBe(false);
      await t.store.feedback.optOutCitizen(loaded!.citizen.citizen_id, 'sms:STOP', AT);
      // optOutCitizen stops queued messages too; put it back to queued to model the race exactly.
      await t.store.dispatch.transition(m!.messageId, ['opted_out'], 'queued', AT);
      expect(await t.store.dispatch.claim(m!.messageId, 'w', AT)).toBe(false);
      expect(sandbox.outbox().messages).toHaveLength(0);
    });

    it('an invalid number fails at once with the provider code; throttling and 5xx are retried', async () => {
      await t.store.registry.writeCitizens('seed', citizens(3, 3, 0));
      const c = campaign('c4', '[sms]');
      await launchCampaign(t.store.dispatch, c, 100, AT);
      const [bad, busy] = await releaseNow(t.store, c, 2, (id) => `tok-${id}`, AT);
      const process = makeProcessor({ store: t.store.dispatch, channels: sandboxChannels(sandbox, t.store), library: await templateLibrary() });
      const badPhone = (await t.store.dispatch.loadForSend(bad!.messageId))!.citizen.phone!;
      sandbox.setConfig({ invalidNumbers: [badPhone] });
      await expect(process({ messageId: bad!.messageId, attemptsMade: 0, maxAttempts: 3 })).rejects.toThrow(/21211/);
      sandbox.setConfig({ invalidNumbers: [], burst429: 1 });
      await expect(process({ messageId: busy!.messageId, attemptsMade: 0, maxAttempts: 3 })).rejects.toThrow(/429/);
      const afterThrottle = await t.store.db.selectFrom('messages').select(['state', 'error_code']).where('message_id', '=', busy!.messageId).executeTakeFirstOrThrow();
      expect(afterThrottle.state).toBe('queued'); // free for the retry
      expect(await process({ messageId: busy!.messageId, attemptsMade: 1, maxAttempts: 3 })).toBe('sent');
      const failed = await t.store.db.selectFrom('messages').select(['state', 'error_code']).where('message_id', '=', bad!.messageId).executeTakeFirstOrThrow();
      expect(failed).toEqual({ state: 'failed', error_code: '21211' });
    });
  });
}

describe.skipIf(!DIALECTS[0]!.available)('the error brake', () => {
  it('a campaign whose failed share passes errors.pause_above pauses itself and says why', async () => {
    const t = await DIALECTS[0]!.open();
    const sandbox = await startSandbox({ callbackDelayMs: 1 });
    const redis = testPrefix();
    try {
      await t.store.registry.writeCenters('seed', [CENTER]);
      await t.store.registry.writeCitizens('seed', citizens(60, 60, 0));
      const c = campaign('brake', '[sms]', 'errors: { pause_above: 0.5, min_finished: 10 }');
      await launchCampaign(t.store.dispatch, c, 1000, AT);
      // Every number is invalid: each send fails permanently.
      sandbox.setConfig({ invalidNumbers: Array.from({ length: 10 }, (_, d) => `*${d}`) });
      const worker = await startTestWorker(t.store, sandbox, redis.prefix);
      try {
        await until('paused', async () => (await campaignRecord(t.store, 'brake'))?.status === 'paused');
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        await worker.close();
      }
      const rec = await campaignRecord(t.store, 'brake');
      expect(rec!.statusReason).toMatch(/^paused by invito: \d+ of \d+ messages failed \(\d+\.\d%, above 50%\)$/);
      const left = await t.store.dispatch.unfinished('brake');
      expect(left.pending).toBeGreaterThan(0); // the rest waits for a person to look
    } finally {
      await sandbox.close();
      await redis.cleanup();
      await t.dispose();
    }
  });
});
