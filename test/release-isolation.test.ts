/**
 * One campaign whose release fails stops nothing else: a centre row an import would refuse
 * (written straight into the store, as an old store or an old import has it) once killed every
 * worker on its first release (V8 "invalid size", 2.5 GB), again after each restart. Now the
 * failure is kept on that campaign, shown by `invito status`, and the worker goes on releasing
 * the others; a later release that works clears it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeCampaigns, campaignRecord } from '../src/pacer/campaigns.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { formatStatus, statusReport } from '../src/reports/status.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { startWorker } from '../src/queues/worker.js';
import { templateLibrary } from '../src/campaigns/messages.js';
import { campaign, CENTER, citizens, redisConnection, sandboxChannels, settings, testPrefix, until } from './support/dispatch.js';
import { KyselyDispatchStore } from '../src/store/dispatch.js';
import { DIALECTS, type TestStore } from './support/stores.js';

const ROOT = join(import.meta.dirname, '..');
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
const run = promisify(execFile);
const AT = new Date().toISOString();

/** Citizens of Lombardy, served only by the Lombardy centre. */
const lombards = (n: number) => citizens(n, n, 0, 'L').map((c) => ({ ...c, region: 'LOM', asl: 'MI1', municipality: 'Milano' }));

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`release isolation on ${dialect.name}`, () => {
    let t: TestStore;
    let sandbox: Sandbox;
    let redis: ReturnType<typeof testPrefix>;
    beforeEach(async () => {
      t = await dialect.open();
      sandbox = await startSandbox({ callbackDelayMs: 1 });
      redis = testPrefix();
    });
    afterEach(async () => {
      await sandbox.close();
      await redis.cleanup();
      await t.dispose();
    });

    it('a centre row over the capacity bound fails only its own campaign: recorded on it, shown by status, cleared once the row is fixed; the other campaign sends', async () => {
      await t.store.registry.writeCenters('seed', [CENTER, { ...CENTER, center_id: 'LOM-0001', region: 'LOM', asl: 'MI1', municipality: 'Milano', catchment: [], daily_capacity: 100 }]);
      // Past the import's validation, as an older version let it in. PostgreSQL's integer column
      // stops at 2^31 − 1, itself 2 billion places: still far too many to lay out.
      const huge = dialect.name === 'sqlite' ? 99_999_999_999 : 2_147_483_647;
      await sql`update centers set daily_capacity = ${huge} where center_id = 'LOM-0001'`.execute(t.store.db);
      await t.store.registry.writeCitizens('seed', [...citizens(10, 10, 0), ...lombards(10)]);
      // "a-…" comes first in every tick: the loop must go on past it.
      const broken = campaign('a-lombardy', '[sms]');
      const healthy = campaign('b-lazio', '[sms]');
      await launchCampaign(t.store.dispatch, { ...broken, cohort: { ...broken.cohort, regions: ['LOM'] } }, 0, AT);
      await launchCampaign(t.store.dispatch, { ...healthy, cohort: { ...healthy.cohort, regions: ['LAZ'] } }, 0, AT);

      const start = async (store: KyselyDispatchStore) =>
        startWorker({
          connection: redisConnection(),
          store,
          settings: settings(redis.prefix),
          channels: sandboxChannels(sandbox, t.store),
          library: await templateLibrary(),
          owner: 'isolation-worker',
          releaser: { tickMs: 20, retryFailedMs: 300 },
        });
      let worker = await start(t.store.dispatch);
      try {
        await until('the healthy campaign completed', async () => (await campaignRecord(t.store, 'b-lazio'))?.status === 'completed', 30_000);
        const failing = await until('the error recorded on the failing campaign', async () => (await campaignRecord(t.store, 'a-lombardy'))?.releaseError);
        expect(failing.code).toBe('CENTER_INVALID');
        expect(failing.message).toContain('LOM-0001');
        expect(failing.message).toContain('daily_capacity');
        expect(Date.parse(failing.at)).not.toBeNaN();
        expect(sandbox.outbox().messages.map((m) => m.to).sort()).toEqual(citizens(10, 10, 0).map((c) => c.phone).sort());

        // status, as text and as JSON, shows which campaign is failing and why.
        const reports = await statusReport(t.store.dispatch);
        expect(reports.find((r) => r.campaign === 'a-lombardy')?.releaseError).toMatchObject({ code: 'CENTER_INVALID' });
        expect(reports.find((r) => r.campaign === 'b-lazio')?.releaseError).toBeNull();
        expect(formatStatus(reports)).toMatch(/Campaign a-lombardy: active[^\n]*\n {2}⚠ release failing since \S+ \[CENTER_INVALID\]: centre LOM-0001/);
        if (built && dialect.name === 'sqlite') {
          const db = t.store.handle.location;
          const json = JSON.parse((await run(process.execPath, [join(ROOT, 'bin', 'invito.js'), '--db', db, 'status', '--json'])).stdout);
          expect(json.find((r: { campaign: string }) => r.campaign === 'a-lombardy').releaseError).toMatchObject({ code: 'CENTER_INVALID', message: expect.stringContaining('LOM-0001') });
          const text = (await run(process.execPath, [join(ROOT, 'bin', 'invito.js'), '--db', db, 'status'])).stdout;
          expect(text).toContain('release failing since');
        }

        // The row repaired (and the worker restarted: centres are cached for a minute), the next
        // release works and the error is gone.
        await sql`update centers set daily_capacity = 100 where center_id = 'LOM-0001'`.execute(t.store.db);
        await worker.close();
        worker = await start(new KyselyDispatchStore(t.store.db, t.store.handle.dialect));
        await until('the repaired campaign completed', async () => (await campaignRecord(t.store, 'a-lombardy'))?.status === 'completed', 30_000);
        expect((await campaignRecord(t.store, 'a-lombardy'))?.releaseError).toBeNull();
        expect(sandbox.outbox().messages).toHaveLength(20);
      } finally {
        await worker.close();
      }
    });

    it('a stored definition the schema now refuses is recorded on its campaign and left out; the others are still released', async () => {
      await t.store.registry.writeCenters('seed', [CENTER]);
      await t.store.registry.writeCitizens('seed', citizens(5, 5, 0));
      await launchCampaign(t.store.dispatch, campaign('a-old', '[sms]'), 0, AT);
      await launchCampaign(t.store.dispatch, campaign('b-new', '[sms]'), 0, AT);
      // As a version with looser bounds stored it.
      const row = await t.store.db.selectFrom('campaigns').select('definition').where('campaign_id', '=', 'a-old').executeTakeFirstOrThrow();
      const old = JSON.parse(row.definition);
      old.appointments.horizon_days = 100_000;
      await t.store.db.updateTable('campaigns').set({ definition: JSON.stringify(old) }).where('campaign_id', '=', 'a-old').execute();

      const active = await activeCampaigns(t.store.dispatch);
      expect(active.map((c) => c.campaignId)).toEqual(['b-new']);
      const [report] = await statusReport(t.store.dispatch, 'a-old');
      expect(report?.releaseError).toMatchObject({ code: 'CAMPAIGN_INVALID', message: expect.stringContaining('appointments.horizon_days') });
    });
  });
}
