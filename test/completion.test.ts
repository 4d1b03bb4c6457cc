/**
 * A campaign is complete only when every member has a final outcome: open call tasks keep it
 * active, so the desk goes on handing them out, and `status` says what keeps it open. The
 * trial of issue 12: a 355-member over-80 cohort where 156 have neither phone nor email, sent
 * through the real pipeline (the store on both dialects, BullMQ on Redis, the twilio SDK and
 * nodemailer against the sandbox), the tasks handed out by the desk — the first through the
 * built CLI — after every message of the campaign was sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { Desk } from '../src/desk/desk.js';
import { campaignRecord } from '../src/pacer/campaigns.js';
import { launchCampaign } from '../src/pacer/launch.js';
import { formatStatus, statusReport } from '../src/reports/status.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { KyselyStore } from '../src/store/index.js';
import { built, runCli } from './support/cli.js';
import { CENTER, citizens, startTestWorker, testPrefix, until } from './support/dispatch.js';
import { DIALECTS } from './support/stores.js';

const MEMBERS = 355;
const PHONES = 120;
const EMAILS = 79;
const CALL_ONLY = MEMBERS - PHONES - EMAILS; // 156

const over80 = () =>
  parseCampaign(
    `id: over80
name: "Over 80"
reference_date: 2021-03-01
cohort: { age: { min: 80 } }
steps:
  - id: invite
    channels: [sms, email, call]
    template: invite
pacing: { daily_target: 100000000 }
windows: { sms: daily 00:00-24:00, email: daily 00:00-24:00, call: daily 00:00-24:00 }
holidays: none
sms: { max_segments: 6 }
calls: { calls_per_hour: 120, hopper_hours: 24 }
`,
    'over80.yaml',
  ).campaign;

/** The store as the test opens it: the SQLite case keeps its file, so the built CLI can open it too. */
interface Opened {
  readonly store: KyselyStore;
  readonly file: string | null;
  dispose(): Promise<void>;
}

const OPENERS: { name: string; available: boolean; open(): Promise<Opened> }[] = [
  {
    name: 'sqlite',
    available: true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'invito-complete-'));
      const file = join(dir, 'invito.db');
      const store = await KyselyStore.open(file);
      return { store, file, dispose: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'postgres',
    available: DIALECTS[1]!.available,
    async open() {
      const t = await DIALECTS[1]!.open();
      return { store: t.store, file: null, dispose: () => t.dispose() };
    },
  },
];

for (const opener of OPENERS) {
  describe.skipIf(!opener.available)(`completion waits for people, on ${opener.name}`, () => {
    let o: Opened;
    let sandbox: Sandbox;
    let redis: ReturnType<typeof testPrefix>;
    beforeEach(async () => {
      o = await opener.open();
      sandbox = await startSandbox({ callbackDelayMs: 1 });
      redis = testPrefix();
      await o.store.registry.writeCenters('seed', [CENTER]);
      // Born 1931–1940: 80 or over on the reference date. Phones first, then emails, then neither.
      await o.store.registry.writeCitizens('seed', citizens(MEMBERS, PHONES, EMAILS).map((c, i) => ({ ...c, birth_date: `19${31 + (i % 10)}-0${1 + (i % 9)}-1${i % 10}` })));
    });
    afterEach(async () => {
      await sandbox.close();
      await redis.cleanup();
      await o.dispose();
    });

    it('a call-only member keeps the campaign active after every message is sent; every task is handed out, then it completes', async () => {
      const c = over80();
      const desk = new Desk({ store: o.store.desk });
      await desk.addOperator({ operatorId: 'ana', name: 'Ana', languages: ['it', 'de'] });
      await desk.addOperator({ operatorId: 'bo', name: 'Bo', languages: ['it', 'de'] });
      // On shift: operators seen recently make room on the list (the hopper).
      expect(await desk.next('ana')).toBeNull();
      expect(await desk.next('bo')).toBeNull();
      expect(await launchCampaign(o.store.dispatch, c, 500, new Date().toISOString())).toMatchObject({ recipients: MEMBERS });

      const worker = await startTestWorker(o.store, sandbox, redis.prefix);
      try {
        await until('every message at rest and every call-only member on the list', async () => {
          const left = await o.store.dispatch.unfinished(c.id);
          return left.pending + left.queued + left.sending === 0 && left.callTasks === CALL_ONLY;
        }, 60_000, 100);
        expect(sandbox.outbox().messages).toHaveLength(PHONES);
        expect(sandbox.outbox().emails).toHaveLength(EMAILS);

        // The completion check runs every few seconds: give it two rounds, then it must still be active.
        await new Promise((r) => setTimeout(r, 6500));
        expect((await campaignRecord(o.store, c.id))?.status).toBe('active');
        const [report] = await statusReport(o.store.dispatch, c.id);
        expect(report!.openReasons).toEqual({ to_release: 0, in_flight: 0, call_tasks: CALL_ONLY, awaiting_fallback: 0, appointments_ahead: 0, attendance_unknown: 0 });
        expect(formatStatus([report!])).toContain(`  open: call tasks ${CALL_ONLY}\n`);

        const handed = new Set<string>();
        if (o.file && built) {
          // The first task through the built CLI, as an operator at the desk would take it.
          const next = await runCli(['--db', o.file, 'calls', 'next', '--operator', 'ana', '--json']);
          expect(next.code).toBe(0);
          const card = JSON.parse(next.stdout) as { task: { taskId: string } | null };
          expect(card.task).not.toBeNull();
          handed.add(card.task!.taskId);
          const done = await runCli(['--db', o.file, 'calls', 'done', card.task!.taskId, '--operator', 'ana', '--disposition', 'booked', '--json']);
          expect(done.code).toBe(0);
        }
        for (let i = 0; handed.size < CALL_ONLY && i < 2 * CALL_ONLY; i++) {
          const op = i % 2 ? 'bo' : 'ana';
          const card = await desk.next(op);
          if (!card) break;
          expect(handed.has(card.task.taskId)).toBe(false);
          handed.add(card.task.taskId);
          await desk.done(op, card.task.taskId, { disposition: i % 3 ? 'booked' : 'declined' });
        }
        expect(handed.size).toBe(CALL_ONLY);
        expect(await desk.next('ana')).toBeNull();

        await until('completed once every task is closed', async () => (await campaignRecord(o.store, c.id))?.status === 'completed', 30_000, 100);
        const [after] = await statusReport(o.store.dispatch, c.id);
        expect(after!.openReasons).toEqual({ to_release: 0, in_flight: 0, call_tasks: 0, awaiting_fallback: 0, appointments_ahead: 0, attendance_unknown: 0 });
      } finally {
        await worker.close();
      }
    }, 120_000);
  });
}
