/**
 * `invito simulate` against reality: the same campaign played by the simulator (virtual clock,
 * no Redis) and by a real, accelerated run (the built CLI's worker at --time-scale, BullMQ on
 * Redis, the twilio SDK against the sandbox, citizens answering through the feedback server's
 * reply links with the simulator's seeded draw). Their day-by-day counts must agree.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { startHttpServer, type RunningHttpServer } from '../src/http/server.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { SendCalendar } from '../src/pacer/windows.js';
import { sharedClock } from '../src/queues/clock.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { answerOf, simulate, type SimulatedDay } from '../src/simulate/engine.js';
import { KyselyStore } from '../src/store/index.js';
import { citizens, REDIS_URL, testPrefix, until, workerEnv } from './support/dispatch.js';

const BIN = fileURLToPath(new URL('../bin/invito.js', import.meta.url));
const SCALE = 6000;
const DAYS = 3;
const SEED = 7;
const ACCEPT = 0.5;
const DECLINE = 0.5;
const ANSWER_AFTER = 3 * 3_600_000;
const START = '2021-03-01'; // a Monday

const yaml = `id: agree
name: Agreement
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - { id: invite, channels: [sms], template: invite }
  - { id: reminder, channels: [sms], template: reminder, send: { before_appointment: { days: 1, at: "10:00" } } }
  - { id: follow-up, channels: [sms], template: invite, send: { no_answer_after: { days: 1 } } }
pacing: { daily_target: 15 }
windows: { sms: "mon-sat 09:00-20:00" }
holidays: none
appointments: { lead_days: 1, horizon_days: 14 }
sms: { max_segments: 6 }`;
const campaign = parseCampaign(yaml, 'agree.yaml').campaign;
const calendar = new SendCalendar(campaign);

describe('simulate agrees with an accelerated real run of the same campaign', () => {
  let dir: string;
  let store: KyselyStore;
  let sandbox: Sandbox;
  let feedback: RunningHttpServer;
  let worker: ChildProcess | undefined;
  const prefix = testPrefix();
  let simulated: SimulatedDay[] = [];
  const real = new Map<string, { invitations: number; acceptances: number; declines: number; reminders: number; followUps: number }>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invito-agree-'));
    store = await KyselyStore.open(join(dir, 'invito.db'));
    await store.registry.writeCenters('seed', [
      { center_id: 'LAZ-0001', name: 'Nuvola', region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: 'Viale Asia 40', daily_capacity: 100, opening: 'mon-sat 08:00-20:00', catchment: ['RM1'], line: 2 },
    ]);
    await store.registry.writeCitizens('seed', citizens(50, 50, 0));

    const sim = await simulate({ source: store, campaign, days: DAYS, start: START, acceptance: ACCEPT, decline: DECLINE, seed: SEED, answerAfterMs: ANSWER_AFTER, ceilings: { sms: 100, email: 50, voice: 10, call: null, whatsapp: 80 } });
    simulated = sim.days;

    sandbox = await startSandbox({ callbackDelayMs: 1 });
    feedback = await startHttpServer({ store: store.feedback, authToken: sandbox.env.TWILIO_AUTH_TOKEN!, port: 0 });
    await launchCampaign(store.dispatch, campaign, 0, new Date(calendar.dayStart(START) - 1).toISOString());
    worker = spawn(process.execPath, [BIN, '--db', join(dir, 'invito.db'), 'worker', '--time-scale', String(SCALE), '--start', new Date(calendar.dayStart(START)).toISOString()], {
      env: workerEnv(sandbox, { INVITO_REDIS_URL: REDIS_URL, INVITO_QUEUE_PREFIX: prefix.prefix, INVITO_RELEASE_TICK_MS: '25' }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const redis = new Redis(REDIS_URL);
    await until('the worker to set the clock', async () => (await redis.get(`${prefix.prefix}-clock`)) !== null, 30_000);
    const clock = await sharedClock(redis, prefix.prefix);
    await redis.quit();

    // The citizens: each answers their invitation ANSWER_AFTER after it was sent, as drawn.
    const count = (at: number) => {
      const day = calendar.localDay(at);
      let e = real.get(day);
      if (!e) real.set(day, (e = { invitations: 0, acceptances: 0, declines: 0, reminders: 0, followUps: 0 }));
      return e;
    };
    const answered = new Set<string>();
    const end = calendar.dayStart(calendar.addDays(START, DAYS));
    while (clock.now().getTime() < end) {
      const now = clock.now().getTime();
      const sent = await store.db
        .selectFrom('messages')
        .select(['message_id', 'citizen_id', 'sent_at', 'link_token'])
        .where('campaign_id', '=', 'agree')
        .where('step_id', '=', 'invite')
        .where('sent_at', 'is not', null)
        .execute();
      for (const m of sent) {
        const at = Date.parse(m.sent_at!) + ANSWER_AFTER;
        if (answered.has(m.message_id) || at > now) continue;
        answered.add(m.message_id);
        const kind = answerOf(SEED, m.citizen_id, ACCEPT, DECLINE);
        if (!kind) continue;
        const res = await fetch(`${feedback.url}/r/${m.link_token}/${kind}`, { method: 'POST', redirect: 'manual' });
        expect(res.status).toBeLessThan(400);
        if (kind === 'confirm') count(at).acceptances++;
        else count(at).declines++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    worker.kill('SIGTERM');
    await new Promise((r) => worker!.once('exit', r));
    const rows = await store.db.selectFrom('messages').select(['step_id', 'sent_at']).where('campaign_id', '=', 'agree').where('sent_at', 'is not', null).execute();
    for (const r of rows) {
      const at = Date.parse(r.sent_at!);
      if (at >= end) continue;
      const e = count(at);
      if (r.step_id === 'invite') e.invitations++;
      else if (r.step_id === 'reminder') e.reminders++;
      else e.followUps++;
    }
  }, 180_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await feedback?.close();
    await sandbox?.close();
    await prefix.cleanup();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('invites, hears back and reminds the same numbers each day', () => {
    const table = simulated.map((d) => ({ date: d.date, sim: d, real: real.get(d.date) ?? { invitations: 0, acceptances: 0, declines: 0, reminders: 0, followUps: 0 } }));
    console.table(table.map((r) => ({ date: r.date, 'invited sim/real': `${r.sim.invitations}/${r.real.invitations}`, 'accepted': `${r.sim.acceptances}/${r.real.acceptances}`, 'declined': `${r.sim.declines}/${r.real.declines}`, 'reminders': `${r.sim.reminders}/${r.real.reminders}`, 'follow-ups': `${r.sim.followUps}/${r.real.followUps}` })));
    // Each day's counts, and the run's totals, agree within two. At --time-scale 6000 a tick is
    // minutes of clock time, and on a loaded machine the last tick before 20:00 can come after
    // it: what it would have released is carried to the next open day (as any shortfall), and a
    // reminder whose appointment moved with it may find no window left before the appointment.
    // On a quiet machine they agree exactly.
    const sum = (side: 'sim' | 'real', k: 'invitations' | 'acceptances' | 'declines' | 'reminders' | 'followUps') => table.reduce((n, r) => n + r[side][k], 0);
    for (const k of ['invitations', 'acceptances', 'declines', 'reminders', 'followUps'] as const) expect(Math.abs(sum('real', k) - sum('sim', k)), k).toBeLessThanOrEqual(2);
    expect(sum('sim', 'invitations')).toBe(45);
    for (const r of table) {
      for (const k of ['invitations', 'acceptances', 'declines', 'reminders', 'followUps'] as const) {
        expect(Math.abs(r.real[k] - r.sim[k]), `${r.date} ${k}`).toBeLessThanOrEqual(2);
      }
    }
  });

  it('the simulated schedule is the campaign’s: the target on open days, nothing on Sunday', () => {
    expect(simulated.map((d) => d.invitations)).toEqual([15, 15, 15]);
    expect(DateTime.fromISO(START).weekday).toBe(1);
  });
});
