/**
 * `GET /metrics` (issue 15, item 4), scraped as Prometheus does and parsed by a Prometheus
 * text-format parser from npm, on both dialects: after a campaign ran through the real pipeline
 * (worker, sandbox, receipts), `invito_messages{campaign,channel,state}` equals the store's
 * counts, the sent counter, the campaign's target and releases, the centres' free places and the
 * BullMQ queue depths are there; with `INVITO_METRICS_TOKEN` a scrape without the bearer token
 * is refused, and without a token only this machine's direct requests are served.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/app/server.js';
import { templateLibrary } from '../../src/campaigns/messages.js';
import { type MetricsStore, metricsRegistry } from '../../src/metrics/metrics.js';
import { queueDepths } from '../../src/queues/queues.js';
import { REDIS_URL, citizens, sandboxProviders } from '../support/dispatch.js';
import { allSent, feedbackRig, send, smsCampaign } from '../support/feedback.js';
import { DIALECTS } from '../support/stores.js';

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};
const family = (fams: Family[], name: string): Family | undefined => fams.find((f) => f.name === name);

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`GET /metrics on ${dialect.name}`, () => {
    const rig = feedbackRig(dialect);

    it('reports the store\'s message counts by campaign, channel and state, the sends, the pacing day, free places and queue depths', async () => {
      const r = rig();
      const people = citizens(6, 6, 0, 'M');
      await send(r, people, smsCampaign('metrics-flu'), allSent(r, 'metrics-flu', 6), 'every invitation sent');
      await r.sandbox.idle();

      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      const depths = queueDepths(redis, r.prefix);
      const server = await startServer(r.app, { config: { authToken: r.sandbox.authToken, providers: sandboxProviders(r.sandbox) }, port: 0, console: false, library: await templateLibrary(), queueDepths: depths.read });
      try {
        const got = await scrape(server.url);
        expect(got.status).toBe(200);
        expect(got.type).toMatch(/^text\/plain; version=0\.0\.4/);
        const fams = parsePrometheusTextFormat(got.text) as Family[];

        const counts = await r.t.store.dispatch.statusCounts('metrics-flu');
        const expected = new Map<string, number>();
        for (const c of counts) expected.set(`${c.channel}/${c.state}`, (expected.get(`${c.channel}/${c.state}`) ?? 0) + c.count);
        const messages = family(fams, 'invito_messages')!;
        expect(messages.type).toBe('GAUGE');
        const scraped = new Map(messages.metrics.filter((m) => m.labels!.campaign === 'metrics-flu').map((m) => [`${m.labels!.channel}/${m.labels!.state}`, Number(m.value)]));
        expect(scraped).toEqual(expected);
        expect([...scraped.values()].reduce((a, b) => a + b, 0)).toBe(6);

        const sent = family(fams, 'invito_messages_sent_total')!;
        expect(sent.type).toBe('COUNTER');
        const sentStore = counts.filter((c) => ['sent', 'delivered', 'undelivered'].includes(c.state)).reduce((a, c) => a + c.count, 0);
        expect(sent.metrics.find((m) => m.labels!.campaign === 'metrics-flu' && m.labels!.channel === 'sms')?.value).toBe(String(sentStore));

        const day = await r.t.store.db.selectFrom('pacing_days').selectAll().where('campaign_id', '=', 'metrics-flu').executeTakeFirstOrThrow();
        expect(family(fams, 'invito_campaign_released')!.metrics).toContainEqual({ value: String(day.released), labels: { campaign: 'metrics-flu', day: day.day } });
        expect(family(fams, 'invito_campaign_target')!.metrics).toContainEqual({ value: String(day.target), labels: { campaign: 'metrics-flu', day: day.day } });
        expect(family(fams, 'invito_campaign_info')!.metrics).toContainEqual({ value: '1', labels: { campaign: 'metrics-flu', status: 'active' } });
        expect(family(fams, 'invito_campaign_recipients')!.metrics).toContainEqual({ value: '6', labels: { campaign: 'metrics-flu' } });

        const centerDays = await r.t.store.db.selectFrom('center_days').selectAll().execute();
        const free = family(fams, 'invito_center_free_places')!.metrics;
        expect(free.length).toBeGreaterThan(0);
        expect(free.some((m) => Number(m.value) < centerDays.find((c) => c.center_id === m.labels!.center && c.day === m.labels!.day)!.capacity)).toBe(true);
        for (const m of free) {
          const row = centerDays.find((c) => c.center_id === m.labels!.center && c.day === m.labels!.day)!;
          expect(Number(m.value)).toBe(row.capacity - row.booked);
        }

        const jobs = family(fams, 'invito_queue_jobs')!;
        expect(jobs.metrics.map((m) => `${m.labels!.queue}/${m.labels!.state}`)).toEqual(expect.arrayContaining(['sms/waiting', 'sms/delayed', 'sms/active', 'sms/failed', 'email/waiting']));
        expect(family(fams, 'process_cpu_seconds_total')).toBeDefined();
        // The Grafana dashboard in docs/ asks only for metrics the server exposes.
        const grafana = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8');
        const asked = new Set([...grafana.matchAll(/\binvito_[a-z_]+/g)].map((m) => m[0]));
        expect(asked.size).toBeGreaterThan(5);
        for (const name of asked) expect([name, family(fams, name) !== undefined || name.startsWith('invito_line')]).toEqual([name, true]);
        // Counts and ids only: nothing of the citizens is in the scrape.
        for (const p of people) expect(got.text).not.toContain(p.phone!.slice(3));
      } finally {
        await server.close();
        await depths.close();
        await redis.quit();
      }
    });

    it('one scrape reads each count once, however many metrics show part of it, and the next scrape reads anew', async () => {
      const r = rig();
      const reads = { messageCounts: 0, campaigns: 0, latestPacingDays: 0 };
      const real = r.t.store.metrics;
      const counted: MetricsStore = {
        messageCounts: () => (reads.messageCounts++, real.messageCounts()),
        campaigns: () => (reads.campaigns++, real.campaigns()),
        latestPacingDays: () => (reads.latestPacingDays++, real.latestPacingDays()),
        freePlaces: (a, b) => real.freePlaces(a, b),
        callTasks: () => real.callTasks(),
      };
      const registry = metricsRegistry({ store: counted });
      const text = await registry.metrics();
      expect(text).toContain('# TYPE invito_messages_sent_total counter');
      expect(reads).toEqual({ messageCounts: 1, campaigns: 1, latestPacingDays: 1 });
      await registry.metrics();
      expect(reads).toEqual({ messageCounts: 2, campaigns: 2, latestPacingDays: 2 });
    });

    it('with INVITO_METRICS_TOKEN, a scrape needs the bearer token; without one, a request forwarded by a proxy is refused', async () => {
      const r = rig();
      const secured = await startServer(r.app, { config: { authToken: r.sandbox.authToken, providers: sandboxProviders(r.sandbox), metricsToken: 'scrape-me-0123456789' }, port: 0, console: false });
      try {
        const none = await scrape(secured.url);
        expect(none.status).toBe(401);
        expect(JSON.parse(none.text).error.code).toBe('SIGN_IN_REQUIRED');
        expect((await scrape(secured.url, { authorization: 'Bearer wrong' })).status).toBe(401);
        const ok = await scrape(secured.url, { authorization: 'Bearer scrape-me-0123456789' });
        expect(ok.status).toBe(200);
        expect(ok.text).toContain('# TYPE invito_messages gauge');
      } finally {
        await secured.close();
      }
      // The rig's server has no token: this machine scrapes, a forwarded request does not.
      expect((await scrape(r.server.url)).status).toBe(200);
      const forwarded = await scrape(r.server.url, { 'x-forwarded-for': '203.0.113.9' });
      expect(forwarded.status).toBe(403);
      expect(JSON.parse(forwarded.text).error.code).toBe('FORBIDDEN');
    });
  });
}
