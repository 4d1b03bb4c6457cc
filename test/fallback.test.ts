/**
 * Fallback channels through the real pipeline: the store on both dialects, BullMQ on Redis, the
 * twilio SDK and nodemailer against the sandbox over HTTP/SMTP, whose signed status callbacks
 * reach the feedback server. An invitation that does not reach the citizen is followed by the
 * next channel of its step that does, with the same appointment, each channel once; a number
 * libphonenumber types as fixed-line is never sent an SMS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { fallbackKey } from '../src/core/lifecycle.js';
import { type RunningHttpServer, startHttpServer } from '../src/http/server.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { citizenHistory, formatHistory } from '../src/reports/citizen.js';
import { formatStatus, statusReport } from '../src/reports/status.js';
import { settleFallbacks } from '../src/pacer/fallback.js';
import { formatPlan, planCampaign } from '../src/pacer/plan.js';
import { templateLibrary } from '../src/campaigns/messages.js';
import { SendCalendar } from '../src/pacer/windows.js';
import type { CitizenRecord } from '../src/registry/store.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { KyselyStore } from '../src/store/index.js';
import { built, runCli } from './support/cli.js';
import { CENTER, citizens, startTestWorker, testPrefix, until } from './support/dispatch.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const campaignOf = (id: string, channels: string, extra = '') =>
  parseCampaign(
    `id: ${id}
name: ${id}
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - id: invite
    channels: ${channels}
    template: invite${extra}
pacing: { daily_target: 100000 }
windows: { sms: daily 00:00-24:00, email: daily 00:00-24:00, voice: daily 00:00-24:00, call: daily 00:00-24:00 }
holidays: none
sms: { max_segments: 6 }
`,
    `${id}.yaml`,
  ).campaign;

/** `n` citizens, each with the contacts `contact(i)` gives. */
const people = (n: number, contact: (i: number) => Pick<CitizenRecord, 'phone' | 'email'>): CitizenRecord[] => citizens(n, n, 0, 'F').map((c, i) => ({ ...c, ...contact(i) }));
const mobile = (i: number) => `+39333${String(2000000 + i)}`;
/** Rome's fixed-line numbers (06…): libphonenumber types them FIXED_LINE. */
const landline = (i: number) => `+3906${String(40000000 + i)}`;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`fallback channels on ${dialect.name}`, () => {
    let t: TestStore;
    let sandbox: Sandbox;
    let server: RunningHttpServer;
    let redis: ReturnType<typeof testPrefix>;
    beforeEach(async () => {
      t = await dialect.open();
      sandbox = await startSandbox({ callbackDelayMs: 1 });
      server = await startHttpServer({ store: t.store.feedback, authToken: sandbox.authToken, port: 0 });
      redis = testPrefix();
      await t.store.registry.writeCenters('seed', [CENTER]);
    });
    afterEach(async () => {
      await sandbox.close();
      await server.close();
      await redis.cleanup();
      await t.dispose();
    });

    const rows = (campaignId: string) =>
      t.store.db.selectFrom('messages').select(['message_id', 'citizen_id', 'channel', 'state', 'error_code', 'appointment_id', 'fallback_of', 'fallback_id', 'fallback_state', 'fallback_depth'])
        .where('campaign_id', '=', campaignId).orderBy('message_id').execute();
    const settled = async (campaignId: string) => {
      const left = await t.store.dispatch.unfinished(campaignId);
      return left.pending + left.queued + left.sending + left.awaitingFallback === 0;
    };

    it('plan shows the fallbacks each channel would take and the fixed-line phones that get no SMS, from the registry', async () => {
      // 0–3 mobile with an email; 4–5 landline with an email; 6–7 landline only; 8–9 mobile only.
      await t.store.registry.writeCitizens('seed', people(10, (i) => ({ phone: i < 4 || i >= 8 ? mobile(i) : landline(i), email: i < 6 ? `p${i}@example.com` : null })));
      const c = campaignOf('plan', '[sms, email, call]');
      const plan = await planCampaign(t.store, c, await templateLibrary());
      const [invite] = plan.steps!;
      expect(invite!.byChannel).toEqual({ sms: 6, email: 2, voice: 0, call: 2, none: 0 });
      // Mobiles fall back to email (with one) or the call; landlines with an email to the call; a call task has nothing after it.
      expect(invite!.fallbacks).toEqual({ byChannel: { sms: 0, email: 4, voice: 0, call: 4, none: 2 }, fixedLine: 4 });
      expect(plan.cohort.reachable.sms).toBe(6);
      const text = formatPlan(plan, c);
      expect(text).toMatch(/fallbacks by channel \(if the first attempt does not reach them\)\n\s+email\s+4/);
      expect(text).toContain('fixed-line phones (no SMS, straight to the next channel): 4');
    });

    it('landline members get their email or their call task, never an SMS; the import typed their numbers', async () => {
      // 0–3 mobile; 4–7 landline with an email; 8–11 landline without one.
      await t.store.registry.writeCitizens('seed', people(12, (i) => (i < 4 ? { phone: mobile(i), email: null } : { phone: landline(i), email: i < 8 ? `l${i}@example.com` : null })));
      const types = await t.store.db.selectFrom('citizens').select(['citizen_id', 'phone_type']).orderBy('citizen_id').execute();
      expect(types.map((r) => r.phone_type)).toEqual([...Array(4).fill('mobile'), ...Array(8).fill('fixed_line')]);
      const c = campaignOf('land', '[sms, email, call]');
      await launchCampaign(t.store.dispatch, c, 500, new Date().toISOString());
      const worker = await startTestWorker(t.store, sandbox, redis.prefix, server.url);
      try {
        await until('every message at rest', () => settled('land'), 30_000);
      } finally {
        await worker.close();
      }
      await sandbox.idle();
      const out = sandbox.outbox();
      expect(out.messages.map((m) => m.to).sort()).toEqual([0, 1, 2, 3].map(mobile));
      expect(out.emails.map((e) => e.to.join(',')).sort()).toEqual([4, 5, 6, 7].map((i) => `l${i}@example.com`));
      const tasks = await t.store.db.selectFrom('call_tasks').select('citizen_id').orderBy('citizen_id').execute();
      expect(tasks.map((r) => r.citizen_id)).toEqual(['F00008', 'F00009', 'F00010', 'F00011']);
      const byCitizen = new Map((await rows('land')).map((r) => [r.citizen_id, r]));
      expect(byCitizen.get('F00004')).toMatchObject({ channel: 'email', fallback_of: null });
      expect(byCitizen.get('F00008')).toMatchObject({ channel: 'call' });
    });

    it('an SMS that comes back undelivered (30006, a landline the network found) is followed by an email with the same appointment', async () => {
      sandbox.setConfig({ landlineShare: 1 });
      await t.store.registry.writeCitizens('seed', people(6, (i) => ({ phone: mobile(i), email: `m${i}@example.com` })));
      const c = campaignOf('und', '[sms, email]');
      await launchCampaign(t.store.dispatch, c, 500, new Date().toISOString());
      const worker = await startTestWorker(t.store, sandbox, redis.prefix, server.url);
      try {
        await until('every SMS undelivered and every email sent', async () => (await settled('und')) && sandbox.outbox().emails.length === 6, 30_000);
      } finally {
        await worker.close();
      }
      const all = await rows('und');
      const sms = all.filter((r) => r.channel === 'sms');
      const mails = all.filter((r) => r.channel === 'email');
      expect(sms).toHaveLength(6);
      expect(mails).toHaveLength(6);
      for (const s of sms) {
        expect(s).toMatchObject({ state: 'undelivered', error_code: '30006', fallback_state: 'made', fallback_id: fallbackKey('und', 'invite', 'email', s.citizen_id) });
        const m = mails.find((x) => x.fallback_of === s.message_id)!;
        expect(m).toMatchObject({ message_id: s.fallback_id, appointment_id: s.appointment_id, fallback_depth: 1 });
        expect(['sent', 'delivered']).toContain(m.state);
      }
      // The slot stayed held for the email: nothing was released.
      const appts = await t.store.db.selectFrom('appointments').select('state').where('campaign_id', '=', 'und').execute();
      expect(appts.map((a) => a.state)).toEqual(Array(6).fill('held'));
      expect(new Set(sandbox.outbox().emails.map((e) => e.to.join(','))).size).toBe(6);
    });

    it('each channel is tried once: SMS undelivered → email bounced → call task, then the chain ends; settling again creates nothing', async () => {
      sandbox.setConfig({ landlineShare: 1 });
      await t.store.registry.writeCitizens('seed', people(4, (i) => ({ phone: mobile(i), email: `b${i}@bounce.example.com` })));
      const c = campaignOf('once', '[sms, email, call]', '\n    fallback: { on: [undelivered, failed], max: 2 }');
      await launchCampaign(t.store.dispatch, c, 500, new Date().toISOString());
      const worker = await startTestWorker(t.store, sandbox, redis.prefix, server.url);
      try {
        await until('every chain at its call task', async () => (await settled('once')) && (await t.store.db.selectFrom('call_tasks').select('task_id').where('campaign_id', '=', 'once').execute()).length === 4, 30_000);
      } finally {
        await worker.close();
      }
      const all = await rows('once');
      expect(all).toHaveLength(12);
      for (const id of ['F00000', 'F00001', 'F00002', 'F00003']) {
        const mine = all.filter((r) => r.citizen_id === id);
        expect(mine.map((r) => r.channel).sort()).toEqual(['call', 'email', 'sms']);
        expect(mine.find((r) => r.channel === 'email')).toMatchObject({ state: 'failed', fallback_state: 'made', fallback_depth: 1 });
        expect(mine.find((r) => r.channel === 'call')).toMatchObject({ message_id: fallbackKey('once', 'invite', 'call', id), fallback_depth: 2 });
        expect(new Set(mine.map((r) => r.appointment_id)).size).toBe(1);
      }
      expect(sandbox.outbox().messages).toHaveLength(4);
      // status shows the chain: each link, from the channel that failed to the one tried next.
      const [report] = await statusReport(t.store.dispatch, 'once');
      const links = [...report!.fallbacks.made].sort((a, b) => a.from.localeCompare(b.from));
      expect(links).toMatchObject([{ step: 'invite', from: 'email', to: 'call', count: 4 }, { step: 'invite', from: 'sms', to: 'email', count: 4, states: { failed: 4 } }]);
      expect(formatStatus([report!])).toMatch(/^ {2}invite fallbacks: .*sms → email 4 \(failed 4\)/m);
      // So does the citizen's history: one chain, the SMS then the email then the call task.
      const history = await citizenHistory(t.store.history, 'F00002');
      expect(history!.chains).toHaveLength(1);
      expect(history!.chains[0]!.attempts).toEqual(['once.invite.F00002', fallbackKey('once', 'invite', 'email', 'F00002'), fallbackKey('once', 'invite', 'call', 'F00002')]);
      expect(history!.messages.map((m) => m.channel)).toEqual(expect.arrayContaining(['sms', 'email', 'call']));
      expect(formatHistory(history!)).toMatch(/once \/ invite: sms undelivered \(30006\) → email failed \([^)]+\) → call \w+/);
      // The decided attempts are not decided again, and a repeated decision finds its key taken.
      const calendar = new SendCalendar(c);
      const now = Date.now();
      const ctx = { at: new Date(now).toISOString(), now, day: calendar.localDay(now), calendar, token: (id: string) => `tok-${id}` };
      expect(await settleFallbacks(t.store.dispatch, c, 100, ctx)).toEqual({ made: 0, ended: 0 });
      await t.store.db.updateTable('messages').set({ fallback_state: null, fallback_id: null }).where('campaign_id', '=', 'once').where('channel', '=', 'sms').execute();
      expect((await settleFallbacks(t.store.dispatch, c, 100, ctx)).made).toBe(0);
      expect(await rows('once')).toHaveLength(12);
    });

    it('an automated call not answered (no_answer) is followed by the email; an undelivered last attempt frees the slot', async () => {
      sandbox.setConfig({ callNoAnswerShare: 1 });
      await t.store.registry.writeCitizens('seed', people(3, (i) => ({ phone: mobile(i), email: i < 2 ? `v${i}@example.com` : null })));
      const c = campaignOf('voice', '[voice, email]');
      await launchCampaign(t.store.dispatch, c, 500, new Date().toISOString());
      const worker = await startTestWorker(t.store, sandbox, redis.prefix, server.url);
      try {
        // Every call's receipt in and its fallback decided (a call still ringing is `sent`, not yet at rest for the chain).
        await until('calls unanswered, emails sent, every chain decided', async () => {
          const calls = (await rows('voice')).filter((r) => r.channel === 'voice');
          return (await settled('voice')) && sandbox.outbox().emails.length === 2 && calls.every((r) => r.fallback_state !== null);
        }, 30_000);
      } finally {
        await worker.close();
      }
      const all = await rows('voice');
      const calls = all.filter((r) => r.channel === 'voice');
      expect(calls.map((r) => [r.state, r.error_code])).toEqual(Array(3).fill(['undelivered', 'no-answer']));
      expect(calls.map((r) => r.fallback_state)).toEqual(['made', 'made', 'no_channel']);
      const [report] = await statusReport(t.store.dispatch, 'voice');
      expect(report!.fallbacks.ended).toContainEqual({ step: 'invite', channel: 'voice', reason: 'no_channel', count: 1 });
      expect(formatStatus([report!])).toMatch(/invite fallbacks: voice → email 2 .*chains ended: voice no_channel 1/);
      // The one without an email: the chain ended at once, and its slot went back.
      const appts = await t.store.db.selectFrom('appointments').select(['citizen_id', 'state', 'state_reason']).where('campaign_id', '=', 'voice').orderBy('citizen_id').execute();
      expect(appts.map((a) => [a.state, a.state_reason])).toEqual([['held', null], ['held', null], ['released', 'undelivered']]);
    });
  });
}

describe.skipIf(!built)('the fallback chain through the built CLI', () => {
  it('`status` and `citizens show` print each chain: sms undelivered (30006) → email; an unknown citizen is CITIZEN_NOT_FOUND, naming only the id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invito-chain-cli-'));
    const db = join(dir, 'invito.db');
    const sandbox = await startSandbox({ callbackDelayMs: 1 });
    const store = await KyselyStore.open(db);
    const server = await startHttpServer({ store: store.feedback, authToken: sandbox.authToken, port: 0 });
    const redis = testPrefix();
    try {
      sandbox.setConfig({ landlineShare: 1 });
      await store.registry.writeCenters('seed', [CENTER]);
      await store.registry.writeCitizens('seed', people(2, (i) => ({ phone: mobile(i), email: `c${i}@example.com` })));
      await launchCampaign(store.dispatch, campaignOf('cli', '[sms, email]'), 500, new Date().toISOString());
      const worker = await startTestWorker(store, sandbox, redis.prefix, server.url);
      try {
        await until('both emails sent after the SMS', async () => {
          const left = await store.dispatch.unfinished('cli');
          return left.pending + left.queued + left.sending + left.awaitingFallback === 0 && sandbox.outbox().emails.length === 2;
        }, 30_000);
      } finally {
        await worker.close();
      }
    } finally {
      await server.close();
      await sandbox.close();
      await redis.cleanup();
      await store.close();
    }
    try {
      const status = await runCli(['--db', db, 'status', 'cli']);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^ {2}invite fallbacks: sms → email 2 \((sent|delivered)/m);
      const json = await runCli(['--db', db, 'status', 'cli', '--json']);
      expect(JSON.parse(json.stdout)[0].fallbacks.made).toMatchObject([{ step: 'invite', from: 'sms', to: 'email', count: 2 }]);
      const show = await runCli(['--db', db, 'citizens', 'show', 'F00001']);
      expect(show.stderr).toBe('');
      expect(show.stdout).toMatch(/^Citizen F00001: /m);
      expect(show.stdout).toMatch(/^ {2}cli \/ invite: sms undelivered \(30006\) → email (sent|delivered) · /m);
      const shown = JSON.parse((await runCli(['--db', db, 'citizens', 'show', 'F00001', '--json'])).stdout);
      expect(shown.chains).toEqual([{ campaign: 'cli', step: 'invite', attempts: ['cli.invite.F00001', 'cli.invite~email.F00001'], end: null }]);
      expect(shown.citizen).toMatchObject({ citizen_id: 'F00001', phone: mobile(1), phone_type: 'mobile', email: 'c1@example.com', doses: 0, opt_out: false });
      expect(shown.appointments).toEqual([expect.objectContaining({ id: 'cli.invite.F00001', campaign: 'cli', state: 'held', center: CENTER.center_id })]);
      expect(shown.messages.map((m: { channel: string; state: string }) => m.channel)).toEqual(['sms', 'email']);
      const missing = await runCli(['--db', db, 'citizens', 'show', 'NOPE']);
      expect(missing.code).toBe(4);
      expect(missing.stderr).toBe('invito: no citizen NOPE in the registry [CITIZEN_NOT_FOUND]\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
