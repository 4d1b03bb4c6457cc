/**
 * Shared set-up for dispatch tests: a fresh BullMQ prefix on the shared Redis (never flushed:
 * each test removes only its own keys), sandbox-backed channels, seeded citizens.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { parseCampaign } from '../../src/campaigns/load.js';
import type { Campaign } from '../../src/campaigns/schema.js';
import { openApp, startWorker } from '../../src/app/index.js';
import type { WorkerConfig } from '../../src/app/config.js';
import type { Clock } from '../../src/core/clock.js';
import { buildChannels, type ProviderConfig, providerConfig } from '../../src/channels/index.js';
import type { Channel } from '../../src/core/channels.js';
import { CHANNELS } from '../../src/core/channels.js';
import { SendCalendar } from '../../src/pacer/windows.js';
import { releaseInvitations } from '../../src/pacer/invitations.js';
import type { Released } from '../../src/pacer/store.js';
import type { QueueSettings } from '../../src/queues/queues.js';
import type { RunningWorker } from '../../src/queues/worker.js';
import { deleteKeys } from '../../src/queues/redis.js';
import type { CitizenRecord, CenterRecord } from '../../src/registry/store.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { KyselyStore } from '../../src/store/index.js';

export const REDIS_URL = process.env.INVITO_TEST_REDIS ?? 'redis://127.0.0.1:6379';

export function redisConnection(url = REDIS_URL): () => Redis {
  return () => {
    const r = new Redis(url, { maxRetriesPerRequest: null });
    r.on('error', () => {});
    return r;
  };
}

/** A unique prefix per test, and a function deleting exactly its keys afterwards. */
export function testPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `invito-test-${randomUUID().slice(0, 8)}`;
  return {
    prefix,
    async cleanup() {
      const r = new Redis(REDIS_URL);
      await deleteKeys(r, prefix);
      await r.quit();
    },
  };
}

export function settings(prefix: string, limits: Partial<Record<Channel, number | null>> = {}, attempts = 3, backoffMs = 50): QueueSettings {
  return {
    prefix,
    limits: { ...(Object.fromEntries(CHANNELS.map((c) => [c, null])) as Record<Channel, null>), ...limits },
    attempts,
    backoffMs,
  };
}

/** The provider settings of a worker sending through the sandbox. */
export function sandboxProviders(sandbox: Sandbox, publicUrl = 'http://127.0.0.1:9'): ProviderConfig {
  return providerConfig({
    ...sandbox.env,
    TWILIO_MESSAGING_SERVICE_SID: 'MG00000000000000000000000000000001',
    TWILIO_FROM: '+390612345678',
    TWILIO_WHATSAPP_FROM: '+390612345679',
    INVITO_MAIL_FROM: 'vaccinazioni@invito.test',
    INVITO_PUBLIC_URL: publicUrl,
  });
}

export function sandboxChannels(sandbox: Sandbox, store: KyselyStore, publicUrl = 'http://127.0.0.1:9') {
  return buildChannels(sandboxProviders(sandbox, publicUrl), CHANNELS, store.dispatch);
}

export function campaign(id: string, channels = '[sms, email, call]', extra = ''): Campaign {
  return parseCampaign(
    `id: ${id}
name: "Prima dose"
reference_date: 2021-03-01
cohort:
  age: { min: 60 }
steps:
  - id: invite
    channels: ${channels}
    template: invite
pacing: { daily_target: 100000000 }
windows: { sms: daily 00:00-24:00, email: daily 00:00-24:00, voice: daily 00:00-24:00, call: daily 00:00-24:00 }
holidays: none
sms: { max_segments: 6 }
${extra}`,
    `${id}.yaml`,
  ).campaign;
}

/**
 * Releases up to `limit` invitations of `c` now, as the pacer's tick would (without its quota):
 * for tests of what a release does to each message.
 */
export async function releaseNow(store: KyselyStore, c: Campaign, limit: number, token: (id: string) => string, at: string, callRoom?: number): Promise<Released[]> {
  const calendar = new SendCalendar(c);
  const now = Date.parse(at);
  const day = calendar.localDay(now);
  await store.pacing.open(c.id, day, 1_000_000, at);
  const r = await releaseInvitations(store.dispatch, c, limit, { at, now, day, calendar, token, ...(callRoom !== undefined ? { callRoom } : {}) });
  return r.released;
}

export const CENTER: CenterRecord = {
  center_id: 'LAZ-0001', name: 'Nuvola', region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: 'Viale Asia 40',
  daily_capacity: 375, opening: 'mon-sat 08:00-20:00', catchment: ['RM1'], line: 2,
};

/** `n` citizens over 60: phones for the first `phones`, emails for the next `emails`, the rest neither. */
export function citizens(n: number, phones: number, emails: number, prefix = 'P'): CitizenRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    citizen_id: `${prefix}${String(i).padStart(5, '0')}`,
    given_name: 'Anna',
    family_name: 'Rossi',
    birth_date: `19${30 + (i % 30)}-0${1 + (i % 9)}-1${i % 10}`,
    sex: i % 2 ? 'F' : 'M',
    phone: i < phones ? `+39333${String(1000000 + i)}` : null,
    email: i >= phones && i < phones + emails ? `p${i}@example.com` : null,
    language: i % 5 === 0 ? 'de' : 'it',
    region: 'LAZ',
    asl: 'RM1',
    municipality: 'Roma',
    doses: 0,
    last_dose_date: null,
    opt_out: false,
    priority_groups: [],
    line: i + 2,
  }));
}

export async function until<T>(what: string, fn: () => Promise<T | false | null | undefined>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The environment a worker process (the built CLI) needs to send through the sandbox. */
export function workerEnv(sandbox: Sandbox, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...sandbox.env,
    TWILIO_MESSAGING_SERVICE_SID: 'MG00000000000000000000000000000001',
    TWILIO_FROM: '+390612345678',
    INVITO_MAIL_FROM: 'vaccinazioni@invito.test',
    INVITO_PUBLIC_URL: 'http://127.0.0.1:9',
    INVITO_LOG_LEVEL: 'silent',
    ...extra,
  };
}

/**
 * A worker in this process, built by the composition root as `invito worker` builds its own,
 * sending through the sandbox, with a fast releaser. Closing it closes its Redis connections;
 * the store stays the test's.
 */
export async function startTestWorker(
  store: KyselyStore,
  sandbox: Sandbox,
  prefix: string,
  publicUrl?: string,
  extra: { readonly clock?: Clock; readonly releaser?: WorkerConfig['timings']['releaser'] } = {},
): Promise<RunningWorker> {
  const app = await openApp({ db: undefined, templates: undefined, redisUrl: REDIS_URL }, { store, redis: true });
  try {
    const worker = await startWorker(app, {
      // `publicUrl`: a feedback server the sandbox's status callbacks go to (receipts move the messages).
      config: { queues: settings(prefix), providers: sandboxProviders(sandbox, publicUrl), timings: { releaser: { tickMs: 20, ...extra.releaser } } },
      channels: CHANNELS,
      owner: 'test-worker',
      ...(extra.clock ? { clock: extra.clock } : {}),
    });
    return {
      queues: worker.queues,
      releaser: worker.releaser,
      async close(force) {
        await worker.close(force);
        await app.close();
      },
    };
  } catch (e) {
    await app.close();
    throw e;
  }
}
