/**
 * The rig of the tests that go through the feedback server: a store of one dialect with the test
 * centre, the sandbox, the server the composition root builds (with the shipped templates, so it
 * answers), and a Redis prefix of its own; each test gets a fresh one. `send` launches a campaign
 * and lets a worker send it until the test's condition holds.
 */
import { afterEach, beforeEach } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { startServer } from '../../src/app/server.js';
import { templateLibrary } from '../../src/campaigns/messages.js';
import { parseCampaign } from '../../src/campaigns/load.js';
import type { Campaign } from '../../src/campaigns/schema.js';
import type { RunningHttpServer } from '../../src/http/server.js';
import { launchCampaign } from '../../src/pacer/launch.js';
import type { CitizenRecord } from '../../src/registry/store.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.js';
import { CENTER, sandboxProviders, startTestWorker, testPrefix, until } from './dispatch.js';
import type { DialectCase, TestStore } from './stores.js';

export interface FeedbackRig {
  readonly t: TestStore;
  readonly sandbox: Sandbox;
  readonly app: App;
  readonly server: RunningHttpServer;
  readonly prefix: string;
}

/** Registers the rig's set-up and tear-down around each test; the getter gives the current one. */
export function feedbackRig(dialect: DialectCase, sandboxOptions: SandboxOptions = {}, serverOptions: { console?: boolean } = {}): () => FeedbackRig {
  let rig: (FeedbackRig & { cleanup(): Promise<void> }) | null = null;
  beforeEach(async () => {
    const t = await dialect.open();
    const sandbox = await startSandbox({ callbackDelayMs: 1, ...sandboxOptions });
    const app = await openApp({ db: undefined, templates: undefined, redisUrl: undefined }, { store: t.store });
    const server = await startServer(app, { config: { authToken: sandbox.authToken, providers: sandboxProviders(sandbox) }, port: 0, console: serverOptions.console ?? false, library: await templateLibrary() });
    const redis = testPrefix();
    await t.store.registry.writeCenters('seed', [CENTER]);
    rig = { t, sandbox, app, server, prefix: redis.prefix, cleanup: redis.cleanup };
  });
  afterEach(async () => {
    if (!rig) return;
    await rig.server.close();
    await rig.sandbox.close();
    await rig.cleanup();
    await rig.app.close();
    await rig.t.dispose();
    rig = null;
  });
  return () => {
    if (!rig) throw new Error('the feedback rig is set up in beforeEach');
    return rig;
  };
}

/** Every message of the campaign is at least sent (its provider took it). */
export const allSent = (r: FeedbackRig, campaignId: string, n: number) => async (): Promise<boolean> => {
  const rows = await r.t.store.db.selectFrom('messages').select('state').where('campaign_id', '=', campaignId).execute();
  return rows.length === n && rows.every((m) => m.state === 'sent' || m.state === 'delivered');
};

/** Writes the citizens, launches the campaign, and lets a worker send until `done` holds (`what` names it in a timeout). */
export async function send(r: FeedbackRig, people: readonly CitizenRecord[], campaign: Campaign, done: () => Promise<boolean>, what: string): Promise<void> {
  await r.t.store.registry.writeCitizens('seed', [...people]);
  await launchCampaign(r.t.store.dispatch, campaign, 500, new Date().toISOString());
  const worker = await startTestWorker(r.t.store, r.sandbox, r.prefix, r.server.url);
  try {
    await until(what, done);
  } finally {
    await worker.close();
  }
}

/** The feedback tests' campaign as YAML: an SMS invitation to everyone over 60, sent at any hour; `extra` adds YAML keys. */
export const smsCampaignYaml = (id: string, extra = ''): string =>
  `id: ${id}
name: Prima dose
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - { id: invite, channels: [sms], template: invite }
pacing: { daily_target: 100000 }
windows: { sms: daily 00:00-24:00 }
holidays: none
sms: { max_segments: 6 }
${extra}`;

/** The same campaign, parsed. */
export const smsCampaign = (id: string, extra = ''): Campaign => parseCampaign(smsCampaignYaml(id, extra), `${id}.yaml`).campaign;
