// npm run bench:redis — Redis holds only work in flight: launch N recipients (default
// 1,000,000) and send at a slow rate for a while, sampling Redis's used_memory. A private
// redis-server is started for the measurement so nothing else shares its memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseCampaign } from '../dist/campaigns/load.js';
import { openApp, startWorker } from '../dist/app/index.js';
import { providerConfig } from '../dist/channels/index.js';
import { launchCampaign } from '../dist/pacer/launch.js';
import { startPrivateRedis } from '../dist/queues/redis.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { KyselyStore } from '../dist/store/index.js';

const N = Number(process.argv[2] ?? process.env.BENCH_RECIPIENTS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'invito-bench-redis-'));
const mb = (b) => (b / 1024 / 1024).toFixed(2);

const redis = await startPrivateRedis(join(dir, 'redis'));
const r = new Redis(redis.url);
const used = async () => Number(/used_memory:(\d+)/.exec(await r.info('memory'))[1]);
const sandbox = await startSandbox({ callbackDelayMs: 10 });
const store = await KyselyStore.open(join(dir, 'invito.db'));
try {
  console.log(`invito bench:redis — ${N.toLocaleString('en')} recipients, released at ${RATE}/s for ${SECONDS} s`);
  await store.registry.writeCenters('seed', [{ center_id: 'LAZ-0001', name: 'Nuvola', region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: 'Viale Asia 40', daily_capacity: 50000, opening: 'daily 00:00-24:00', catchment: ['RM1'], line: 2 }]);
  let t = performance.now();
  const batch = [];
  for (let i = 0; i < N; i++) {
    batch.push({
      citizen_id: `M${String(i).padStart(8, '0')}`, given_name: 'Anna', family_name: 'Rossi', birth_date: `19${30 + (i % 60)}-05-1${i % 10}`, sex: 'F',
      phone: `+39333${String(1000000 + (i % 8999999))}`, email: null, language: 'it', region: 'LAZ', asl: 'RM1', municipality: 'Roma', doses: 0,
      last_dose_date: null, opt_out: false, priority_groups: [], line: i + 2,
    });
    if (batch.length === 10_000) await store.registry.writeCitizens('bench', batch.splice(0));
  }
  if (batch.length) await store.registry.writeCitizens('bench', batch.splice(0));
  console.log(`registry written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const { campaign } = parseCampaign(
    'id: everyone\nname: Everyone\nreference_date: 2021-03-01\ncohort: {}\nsteps: [{ id: invite, channels: [sms], template: invite }]\npacing: { daily_target: 100000000 }\nwindows: { sms: daily 00:00-24:00, email: daily 00:00-24:00 }\nholidays: none\nsms: { max_segments: 6 }\n',
    'everyone.yaml',
  );
  const before = await used();
  t = performance.now();
  const launched = await launchCampaign(store.dispatch, campaign, RATE, new Date().toISOString());
  const launchSeconds = (performance.now() - t) / 1000;
  const afterLaunch = await used();
  // The worker `invito worker` runs, built by the same composition root.
  const app = await openApp({ db: undefined, templates: undefined, redisUrl: redis.url }, { store, redis: true });
  const worker = await startWorker(app, {
    config: {
      queues: { prefix: 'bench', limits: { sms: null, email: null, voice: null, call: null }, attempts: 3, backoffMs: 100 },
      providers: providerConfig({ ...sandbox.env, TWILIO_MESSAGING_SERVICE_SID: 'MG00000000000000000000000000000001' }),
      timings: { releaser: {} },
    },
    channels: ['sms'],
    owner: 'bench',
  });
  let peak = afterLaunch;
  const samples = [];
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    await new Promise((res) => setTimeout(res, 500));
    const u = await used();
    samples.push(u);
    peak = Math.max(peak, u);
  }
  await worker.close();
  await app.close();
  const keys = await r.dbsize();
  const sent = sandbox.outbox().messages.length;
  const median = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  console.table([
    { measure: 'recipients launched', value: launched.recipients.toLocaleString('en') },
    { measure: 'launch (select the cohort into the store), s', value: launchSeconds.toFixed(1) },
    { measure: `sent in ${SECONDS} s`, value: sent.toLocaleString('en') },
    { measure: 'Redis used_memory before launch, MB', value: mb(before) },
    { measure: 'Redis used_memory after launch, MB', value: mb(afterLaunch) },
    { measure: 'Redis used_memory while sending, median MB', value: mb(median) },
    { measure: 'Redis used_memory while sending, peak MB', value: mb(peak) },
    { measure: 'Redis keys at the end', value: keys },
  ]);
} finally {
  r.disconnect();
  await sandbox.close();
  await store.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
