/**
 * `GET /metrics` (issue 15, item 4): the installation in the Prometheus text format, through
 * prom-client. Every value is read when Prometheus scrapes, from the store (the same counts
 * `invito status` prints) and from Redis (the queues), so any number of `serve` processes give the
 * same answer and nothing is lost on a restart:
 *
 * - `invito_messages{campaign,channel,state}`: messages by state;
 * - `invito_messages_sent_total{campaign,channel}`: messages a provider surely took (sent,
 *   delivered or undelivered), a counter: `rate()` of it is sends per second;
 * - `invito_campaign_info{campaign,status}`, `invito_campaign_recipients{campaign}`;
 * - `invito_campaign_target{campaign,day}`, `invito_campaign_released{campaign,day}`: the
 *   pacer's latest day of each campaign (today, while it releases);
 * - `invito_center_free_places{center,day}`: capacity less booked, from today for 14 days;
 * - `invito_call_tasks{campaign,state}`: the call lists;
 * - `invito_line_waiting{language}`, `invito_line_ready{language}`, `invito_line_service_level`
 *   (this hour's share answered within 60 s);
 * - `invito_queue_jobs{queue,state}`: BullMQ waiting, delayed, active, failed (when Redis is there);
 * - and the process's own (`process_*`, `nodejs_*`).
 *
 * Provider latency and provider errors by code are measured where the calls happen, in the
 * worker (`invito_provider_latency_seconds`, `invito_provider_errors_total`, worker.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The counts the metrics read from the store (src/store/metrics.ts). */
export interface MetricsStore {
  messageCounts(): Promise<{ campaignId: string; channel: string | null; state: string; count: number }[]>;
  campaigns(): Promise<{ campaignId: string; status: string; recipients: number }[]>;
  /** Each campaign's latest pacing day. */
  latestPacingDays(): Promise<{ campaignId: string; day: string; target: number; released: number }[]>;
  /** Capacity less booked per centre and day, for days in [fromDay, toDay]. */
  freePlaces(fromDay: string, toDay: string): Promise<{ centerId: string; day: string; free: number }[]>;
  callTasks(): Promise<{ campaignId: string; state: string; count: number }[]>;
}

/** The free-phone line as the metrics see it (desk/line.ts `Line.view`). */
export interface LineGauge {
  view(hours?: number): Promise<{ queues: readonly { language: string; waiting: number; ready: number }[]; hours: readonly { serviceLevel: number | null }[] }>;
}

/** Job counts per queue (BullMQ `getJobCounts`). */
export type QueueDepths = () => Promise<{ queue: string; counts: Record<string, number> }[]>;

export interface MetricsOptions {
  readonly store: MetricsStore;
  readonly line?: LineGauge;
  readonly queues?: QueueDepths;
  readonly now?: () => Date;
}

/** States in which a provider has surely taken the message (a `failed` one may have been refused at the send). */
const SENT_STATES = new Set(['sent', 'delivered', 'undelivered']);
const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed', 'prioritized'] as const;
const FREE_PLACE_DAYS = 14;

const day = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * One read shared by every gauge that shows part of it: prom-client collects a scrape's metrics
 * at once, so the gauges asking while a read is in flight get that read, and the next scrape
 * reads anew.
 */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () =>
    (inFlight ??= read().finally(() => {
      inFlight = null;
    }));
}

/** A registry of its own (not prom-client's global one), so two servers in one process do not collide. */
export function metricsRegistry(o: MetricsOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const now = o.now ?? (() => new Date());
  // The store is a class: its methods are named one by one (a spread would copy none of them).
  const store: MetricsStore = {
    messageCounts: shared(() => o.store.messageCounts()),
    campaigns: shared(() => o.store.campaigns()),
    latestPacingDays: shared(() => o.store.latestPacingDays()),
    freePlaces: (from, to) => o.store.freePlaces(from, to),
    callTasks: () => o.store.callTasks(),
  };

  new Gauge({
    name: 'invito_messages',
    help: 'Messages by campaign, channel and state (the store\'s counts)',
    labelNames: ['campaign', 'channel', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await store.messageCounts()) this.set({ campaign: r.campaignId, channel: r.channel ?? 'none', state: r.state }, r.count);
    },
  });
  new Counter({
    name: 'invito_messages_sent_total',
    help: 'Messages a provider took, by campaign and channel: rate() of it is sends per second',
    labelNames: ['campaign', 'channel'],
    registers: [registry],
    async collect() {
      this.reset();
      const sums = new Map<string, { campaign: string; channel: string; n: number }>();
      for (const r of await store.messageCounts()) {
        if (!SENT_STATES.has(r.state)) continue;
        const k = `${r.campaignId}\u0000${r.channel ?? 'none'}`;
        const s = sums.get(k) ?? { campaign: r.campaignId, channel: r.channel ?? 'none', n: 0 };
        s.n += r.count;
        sums.set(k, s);
      }
      for (const s of sums.values()) this.inc({ campaign: s.campaign, channel: s.channel }, s.n);
    },
  });
  new Gauge({
    name: 'invito_campaign_info',
    help: 'One per campaign, 1, with its status',
    labelNames: ['campaign', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await store.campaigns()) this.set({ campaign: c.campaignId, status: c.status }, 1);
    },
  });
  new Gauge({
    name: 'invito_campaign_recipients',
    help: 'Citizens selected for the campaign',
    labelNames: ['campaign'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await store.campaigns()) this.set({ campaign: c.campaignId }, c.recipients);
    },
  });
  for (const [name, help, key] of [
    ['invito_campaign_target', 'The daily target of the campaign\'s latest pacing day, carried shortfall included', 'target'],
    ['invito_campaign_released', 'Invitations released on the campaign\'s latest pacing day (today while it releases)', 'released'],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ['campaign', 'day'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const d of await store.latestPacingDays()) this.set({ campaign: d.campaignId, day: d.day }, d[key]);
      },
    });
  }
  new Gauge({
    name: 'invito_center_free_places',
    help: `Places not booked per centre and day, from today for ${FREE_PLACE_DAYS} days`,
    labelNames: ['center', 'day'],
    registers: [registry],
    async collect() {
      this.reset();
      const from = now();
      const to = new Date(from.getTime() + (FREE_PLACE_DAYS - 1) * 86_400_000);
      for (const r of await store.freePlaces(day(from), day(to))) this.set({ center: r.centerId, day: r.day }, r.free);
    },
  });
  new Gauge({
    name: 'invito_call_tasks',
    help: 'Call-list tasks by campaign and state (open, leased, closed)',
    labelNames: ['campaign', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await store.callTasks()) this.set({ campaign: r.campaignId, state: r.state }, r.count);
    },
  });
  if (o.line) {
    const view = shared(() => o.line!.view(1));
    for (const [name, help, key] of [
      ['invito_line_waiting', 'Callers waiting in the free-phone line\'s queue, per language', 'waiting'],
      ['invito_line_ready', 'Operators ready for inbound calls, per queue language', 'ready'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['language'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const q of (await view()).queues) this.set({ language: q.language }, q[key]);
        },
      });
    }
    new Gauge({
      name: 'invito_line_service_level',
      help: 'Share of this hour\'s callers answered by an operator within 60 s (absent in an hour without calls)',
      registers: [registry],
      async collect() {
        this.reset();
        const level = (await view()).hours.at(-1)?.serviceLevel;
        if (level !== null && level !== undefined) this.set(level);
      },
    });
  }
  if (o.queues) {
    const depths = o.queues;
    new Gauge({
      name: 'invito_queue_jobs',
      help: 'BullMQ jobs per channel queue and state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const q of await depths()) for (const s of QUEUE_STATES) if (q.counts[s] !== undefined) this.set({ queue: q.queue, state: s }, q.counts[s]);
      },
    });
  }
  return registry;
}

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Who may scrape: with a token (`INVITO_METRICS_TOKEN`), whoever sends `Authorization: Bearer
 * <token>` (compared in constant time); without one, only a client on this machine that came
 * straight (the connection from the loopback and no `X-Forwarded-For`: a reverse proxy on the
 * same host forwards the world).
 */
export function scrapeAllowed(req: { headers: Record<string, string | string[] | undefined>; socket: { remoteAddress?: string | undefined } }, token: string | undefined): boolean {
  if (token) {
    const header = req.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const a = createHash('sha256').update(given).digest();
    const b = createHash('sha256').update(token).digest();
    return given !== '' && timingSafeEqual(a, b);
  }
  return LOOPBACK.has(req.socket.remoteAddress ?? '') && req.headers['x-forwarded-for'] === undefined;
}

export interface MetricsRouteOptions {
  readonly registry: Registry;
  readonly token?: string;
}

/** `GET /metrics` as a fastify plugin: 401 without the token, 403 from elsewhere without one configured. */
export const metricsPlugin: FastifyPluginAsync<MetricsRouteOptions> = async (app, o) => {
  app.get(METRICS_PATH, async (req, reply) => {
    if (!scrapeAllowed(req, o.token)) {
      reply.header('cache-control', 'no-store');
      if (o.token) return reply.code(401).header('www-authenticate', 'Bearer realm="invito metrics"').send({ error: { code: 'SIGN_IN_REQUIRED', message: 'metrics need Authorization: Bearer <INVITO_METRICS_TOKEN>' } });
      return reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'metrics are served to this machine only; set INVITO_METRICS_TOKEN to scrape from elsewhere' } });
    }
    const body = await o.registry.metrics();
    return reply.header('content-type', o.registry.contentType).header('cache-control', 'no-store').send(body);
  });
};
