// npm run bench:dispatch (BENCH_PIPELINE_ONLY=1 skips the baselines, for profiling) — N messages (default 100,000: half SMS, half email), unthrottled,
// through the whole pipeline (store → release → BullMQ → render → claim → real SDK → sandbox →
// record) and, in the same run, the bare baselines: a BullMQ no-op worker over the same number
// of jobs, and raw SDK sends (twilio messages.create and pooled nodemailer) to the same
// sandbox. The sandbox runs in its own process, as a provider would. Prints messages/s for
// each and the ratios. Aims on 2 cores: ≥ 2,000 messages/s end to end, ≥ 0.5 of the baseline.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { parseCampaign } from '../dist/campaigns/load.js';
import { openApp, startWorker } from '../dist/app/index.js';
import { providerConfig } from '../dist/channels/index.js';
import { createTwilioClient } from '../dist/channels/twilio/http-client.js';
import { campaignRecord } from '../dist/pacer/campaigns.js';
import { launchCampaign } from '../dist/pacer/launch.js';
import { KyselyStore } from '../dist/store/index.js';

const N = Number(process.argv[2] ?? process.env.BENCH_MESSAGES ?? 100_000);
const REDIS_URL = process.env.INVITO_REDIS_URL || 'redis://127.0.0.1:6379';
const dir = mkdtempSync(join(tmpdir(), 'invito-bench-dispatch-'));
const prefix = `invito-bench-${randomUUID().slice(0, 8)}`;
const conn = () => {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  r.on('error', () => {});
  return r;
};

async function cleanupRedis() {
  const r = conn();
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  await r.quit();
}

/** The sandbox in a child process; resolves with its env once it listens. */
function startSandboxProcess() {
  const child = spawn(process.execPath, [new URL('../bin/invito.js', import.meta.url).pathname, 'sandbox', '--api-port', '0', '--smtp-port', '0', '--json', '--callback-delay-ms', '60000'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, info: JSON.parse(line) });
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}

async function inFlight(total, concurrency, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await fn(next++);
  }));
}

const results = [];
const rate = (name, n, ms) => {
  results.push({ measure: name, messages: n, seconds: +(ms / 1000).toFixed(2), 'messages/s': Math.round(n / (ms / 1000)) });
  return n / (ms / 1000);
};

try {
  console.log(`invito bench:dispatch — ${N.toLocaleString('en')} messages (half SMS, half email), node ${process.version}`);
  const { child, info } = await startSandboxProcess();
  const env = info.env;

  // Baseline 1: BullMQ alone — N jobs through a worker that does nothing.
  if (!process.env.BENCH_PIPELINE_ONLY) {
    const q = new Queue('noop', { connection: conn(), prefix });
    for (let i = 0; i < N; i += 1000) await q.addBulk(Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ name: 'n', data: { i: i + j }, opts: { removeOnComplete: true } })));
    let done = 0;
    const t0 = performance.now();
    const finished = new Promise((ok) => {
      const w = new Worker('noop', async () => {}, { connection: conn(), prefix, concurrency: 100 });
      w.on('completed', () => {
        if (++done === N) ok(w);
      });
    });
    const w = await finished;
    rate('baseline: BullMQ no-op worker', N, performance.now() - t0);
    await w.close();
    await q.close();
  }

  // Baseline 2: the providers' SDKs alone, to the same sandbox, 100 in flight.
  let rawRate = NaN;
  if (!process.env.BENCH_PIPELINE_ONLY) {
    const twilio = createTwilioClient({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, apiBase: env.INVITO_TWILIO_API_BASE, maxSockets: 64 });
    const mail = nodemailer.createTransport({ url: env.INVITO_SMTP_URL, pool: true, maxConnections: 5 });
    const body = 'Gentile Signora Rossi, la Sua vaccinazione: lunedì 1 marzo alle 09:30, Centro vaccinale Nuvola, Viale Asia 40, Roma. Confermi: http://127.0.0.1:8080/r/k3Jd9sLq2XbV7mPz0aTf4w/confirm';
    const t0 = performance.now();
    await inFlight(N, 100, async (i) => {
      if (i % 2 === 0) await twilio.messages.create({ to: `+39333${String(1000000 + i)}`, messagingServiceSid: 'MG00000000000000000000000000000001', body });
      else await mail.sendMail({ from: 'a@invito.local', to: `p${i}@example.com`, subject: 'Vaccinazione', text: body, html: `<p>${body}</p>` });
    });
    rawRate = rate('baseline: raw SDK sends (twilio + nodemailer)', N, performance.now() - t0);
    mail.close();
  }

  // The pipeline.
  let pipeRate;
  {
    const store = await KyselyStore.open(join(dir, 'invito.db'));
    await store.registry.writeCenters('seed', [{ center_id: 'LAZ-0001', name: 'Centro vaccinale Nuvola', region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: 'Viale Asia 40', daily_capacity: 20000, opening: 'daily 00:00-24:00', catchment: ['RM1'], line: 2 }]);
    const batch = [];
    for (let i = 0; i < N; i++) {
      batch.push({
        citizen_id: `B${String(i).padStart(7, '0')}`, given_name: 'Anna', family_name: 'Rossi', birth_date: `19${30 + (i % 30)}-05-1${i % 10}`, sex: 'F',
        phone: i % 2 === 0 ? `+39333${String(1000000 + i)}` : null, email: i % 2 === 1 ? `p${i}@example.com` : null, language: 'it', region: 'LAZ', asl: 'RM1',
        municipality: 'Roma', doses: 0, last_dose_date: null, opt_out: false, priority_groups: [], line: i + 2,
      });
      if (batch.length === 5000) await store.registry.writeCitizens('bench', batch.splice(0));
    }
    if (batch.length) await store.registry.writeCitizens('bench', batch.splice(0));
    const { campaign } = parseCampaign(
      'id: bench\nname: Bench\nreference_date: 2021-03-01\ncohort: { age: { min: 18 } }\nsteps: [{ id: invite, channels: [sms, email], template: invite }]\npacing: { daily_target: 100000000 }\nwindows: { sms: daily 00:00-24:00, email: daily 00:00-24:00 }\nholidays: none\nsms: { max_segments: 6 }\n',
      'bench.yaml',
    );
    await launchCampaign(store.dispatch, campaign, 1_000_000, new Date().toISOString());
    // The worker `invito worker` runs, built by the same composition root.
    const app = await openApp({ db: undefined, templates: undefined, redisUrl: REDIS_URL }, { store, redis: true });
    const t0 = performance.now();
    const worker = await startWorker(app, {
      config: {
        queues: { prefix, limits: { sms: null, email: null, voice: null, call: null }, attempts: 3, backoffMs: 100 },
        providers: providerConfig({ ...env, TWILIO_MESSAGING_SERVICE_SID: 'MG00000000000000000000000000000001', INVITO_MAIL_FROM: 'a@invito.local', INVITO_PUBLIC_URL: 'http://127.0.0.1:8080' }),
        timings: { releaser: { tickMs: 20, backlogSeconds: 0.002 } },
      },
      channels: ['sms', 'email'],
      owner: 'bench',
      concurrency: 100,
    });
    for (;;) {
      const c = await campaignRecord(store, 'bench');
      if (c.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    pipeRate = rate('pipeline: store → BullMQ → render → claim → SDK → record', N, performance.now() - t0);
    await worker.close();
    await app.close();
    const states = await store.dispatch.statusCounts('bench');
    results.push({ measure: `outcomes: ${states.map((s) => `${s.channel} ${s.state} ${s.count}`).join(', ')}` });
    await store.close();
  }
  child.kill('SIGTERM');
  console.table(results);
  console.log(`ratio pipeline / raw SDK baseline: ${(pipeRate / rawRate).toFixed(2)}`);
} finally {
  await cleanupRedis();
  rmSync(dir, { recursive: true, force: true });
}
// Connections handed to BullMQ stay open; the measurements are done.
process.exit(0);
