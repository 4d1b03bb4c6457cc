/**
 * The health authority's dashboard over HTTP (issue 15), on both dialects, after a campaign ran
 * through the real pipeline (worker, sandbox, receipts): one sign-in for every page; the funnel
 * and the channel table equal the store's counts and each CSV equals its table; a viewer reads
 * but cannot pause; a user of another region can neither see the campaign nor its CSVs (answered
 * as not found); a manager pauses through a confirmation and a CSRF-checked POST, which is
 * audited; a POST without the token changes nothing; an operator is sent to the call desk;
 * the page is in Italian with Italian dates and numbers.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/authority/audit.js';
import { Desk } from '../../src/desk/desk.js';
import { Client, PASSWORD } from '../desk/console-support.js';
import { citizens } from '../support/dispatch.js';
import { allSent, feedbackRig, type FeedbackRig, send, smsCampaign, smsCampaignYaml } from '../support/feedback.js';
import { DIALECTS } from '../support/stores.js';

const CAMPAIGN = 'lazio-flu';

async function accounts(r: FeedbackRig): Promise<void> {
  const desk = new Desk({ store: r.t.store.desk });
  const add = (operatorId: string, role: 'admin' | 'manager' | 'viewer' | 'operator', scopes: string[] = [], locale = 'it') =>
    desk.addOperator({ operatorId, name: operatorId.toUpperCase(), languages: ['it'], role, scopes, locale, password: PASSWORD });
  await add('ada', 'admin');
  await add('mara', 'manager', ['LAZ']);
  await add('vito', 'viewer', ['LAZ']);
  await add('tosca', 'viewer', ['TOS']);
  await add('olga', 'operator');
}

const signedIn = async (r: FeedbackRig, id: string): Promise<Client> => {
  const c = new Client(r.server.url);
  const s = await c.signIn(id);
  expect(s.status).toBe(303);
  return c;
};

/** The numbers of a figure's table on the page, by its section id: first cell → the other cells' data-value. */
function tableOf(page: string, id: string): string[][] {
  const section = new RegExp(`<section class="figure" id="${id}">([\\s\\S]*?)</section>`).exec(page)?.[1] ?? '';
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(section)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*?(?:data-value="([^"]*)")?[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1] ?? c[2]!));
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`the dashboard on ${dialect.name}`, () => {
    const rig = feedbackRig(dialect, {}, { console: true });

    it('shows the store\'s counts, in Italian, to each role within its scope, and lets a manager pause with an audited, CSRF-checked POST', async () => {
      const r = rig();
      const people = citizens(8, 8, 0, 'D');
      await send(r, people, smsCampaign(CAMPAIGN, 'scope: [LAZ]'), allSent(r, CAMPAIGN, 8), 'every invitation sent');
      await r.sandbox.idle();
      await accounts(r);

      // A viewer of Lazio: the list, the campaign's figures equal to the store's counts.
      const vito = await signedIn(r, 'vito');
      const home = await vito.get('/');
      expect(home.status).toBe(200);
      expect(home.text).toContain('<html lang="it">');
      expect(home.text).toContain(`data-campaign="${CAMPAIGN}"`);
      // Progress: the pacer's releases over the citizens selected (all 8 invited).
      const row = new RegExp(`<tr data-campaign="${CAMPAIGN}">([\\s\\S]*?)</tr>`).exec(home.text)![1]!;
      expect([...row.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]!.trim()).slice(0, 2)).toEqual(['8', '100%']);
      const page = await vito.get(`/campaigns/${CAMPAIGN}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Imbuto');
      const funnel = tableOf(page.text, 'funnel');
      expect(funnel.map((row) => row[0])).toEqual(['Selezionati', 'Invitati', 'Consegnati', 'Confermati', 'Rifiutati', 'Senza risposta', 'Irraggiungibili', 'Tentativi su un altro canale']);
      const msgs = await r.t.store.db.selectFrom('messages').select(['citizen_id', 'state', 'queued_at']).where('campaign_id', '=', CAMPAIGN).execute();
      expect(Number(funnel[0]![1])).toBe(8);
      expect(Number(funnel[1]![1])).toBe(new Set(msgs.filter((m) => m.queued_at).map((m) => m.citizen_id)).size);
      expect(Number(funnel[2]![1])).toBe(new Set(msgs.filter((m) => m.state === 'delivered').map((m) => m.citizen_id)).size);
      const channels = tableOf(page.text, 'channels');
      const counts = await r.t.store.dispatch.statusCounts(CAMPAIGN);
      expect(channels.map((c) => `${c[0]}/${c[1]}=${c[2]}`).sort()).toEqual(counts.map((c) => `${c.channel}/${c.state}=${c.count}`).sort());
      // Each CSV equals its table.
      const csv = await vito.get(`/campaigns/${CAMPAIGN}/data/funnel.csv`);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const rows = parse(csv.text) as string[][];
      expect(rows[0]).toEqual(['stage', 'count']);
      expect(rows.slice(1).map((x) => Number(x[1]))).toEqual(funnel.map((x) => Number(x[1])));
      const days = tableOf(page.text, 'days');
      const pacing = await r.t.store.db.selectFrom('pacing_days').selectAll().where('campaign_id', '=', CAMPAIGN).execute();
      expect(days.map((d) => Number(d[2]))).toEqual(pacing.map((p) => p.released));
      // Italian dates: 07/12/2026, not 2026-12-07.
      expect(days[0]![0]).toMatch(/^\d\d\/\d\d\/\d{4}$/);

      // The viewer cannot pause: neither the confirmation nor the POST.
      expect((await vito.get(`/campaigns/${CAMPAIGN}/pause`)).status).toBe(403);
      const refused = await vito.post(`/campaigns/${CAMPAIGN}/pause`);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('x-invito-error')).toBe('FORBIDDEN');

      // Tuscany's viewer: not listed, and the page and the CSV answer "not found".
      const tosca = await signedIn(r, 'tosca');
      expect((await tosca.get('/')).text).not.toContain(`data-campaign="${CAMPAIGN}"`);
      for (const path of [`/campaigns/${CAMPAIGN}`, `/campaigns/${CAMPAIGN}/data/funnel.csv`, `/campaigns/${CAMPAIGN}/counts.json`]) {
        const g = await tosca.get(path);
        expect([path, g.status]).toEqual([path, 404]);
        expect(g.text).not.toContain('Prima dose');
      }

      // A manager of Lazio: a POST without the token changes nothing; the confirmed one pauses, audited.
      const mara = await signedIn(r, 'mara');
      const forged = await mara.request('POST', `/campaigns/${CAMPAIGN}/pause`, { _csrf: 'forged' });
      expect(forged.status).toBe(403);
      expect(forged.headers.get('x-invito-error')).toBe('CSRF_INVALID');
      expect((await r.t.store.campaignRecords.get(CAMPAIGN))!.status).toBe('active');
      const confirm = await mara.get(`/campaigns/${CAMPAIGN}/pause`);
      expect(confirm.text).toContain('smette di inviare');
      const paused = await mara.post(`/campaigns/${CAMPAIGN}/pause`, { reason: 'centro chiuso' });
      expect(paused.status).toBe(303);
      expect((await r.t.store.campaignRecords.get(CAMPAIGN))!.status).toBe('paused');
      const after = await mara.get(paused.location!);
      expect(after.text).toContain(`Campagna ${CAMPAIGN} in pausa.`);
      const log = await new AuditLog(r.t.store.audit).list({ action: 'campaign.pause' });
      expect(log.map((e) => [e.actor, e.target, e.origin])).toEqual([['mara', CAMPAIGN, '127.0.0.1']]);

      // Exports with personal data: the manager's, audited with the row count; not the viewer's, not another region's.
      const appts = await r.t.store.db.selectFrom('appointments').selectAll().where('campaign_id', '=', CAMPAIGN).execute();
      const day = appts.map((x) => x.day).sort()[0]!;
      const list = await mara.get(`/campaigns/${CAMPAIGN}/reports/appointments.csv?date=${day}`);
      expect(list.status).toBe(200);
      const listRows = parse(list.text) as string[][];
      expect(listRows[0]![0]).toBe('citizen_id');
      expect(listRows.slice(1).map((x) => x[0]).sort()).toEqual(appts.filter((x) => x.day === day && x.state !== 'released').map((x) => x.citizen_id).sort());
      const exported = await new AuditLog(r.t.store.audit).list({ action: 'export' });
      expect(exported.map((e) => [e.actor, e.target, e.details.kind, e.details.rows])).toEqual([['mara', CAMPAIGN, 'appointments', listRows.length - 1]]);
      expect((await vito.get(`/campaigns/${CAMPAIGN}/reports/outcomes.csv`)).status).toBe(403);
      expect((await tosca.get(`/campaigns/${CAMPAIGN}/reports/outcomes.csv`)).status).toBe(403);

      // An operator's home is the desk; the admin sees everything, audit link included.
      const olga = await signedIn(r, 'olga');
      const o = await olga.get('/');
      expect([o.status, o.location]).toEqual([303, '/console/desk']);
      expect((await olga.get(`/campaigns/${CAMPAIGN}`)).status).toBe(403);
      const ada = await signedIn(r, 'ada');
      const a = await ada.get('/');
      expect(a.text).toContain(`data-campaign="${CAMPAIGN}"`);
      const auditPage = await ada.get('/audit?action=campaign.pause');
      expect(auditPage.status).toBe(200);
      expect(auditPage.text).toMatch(/<tr data-action="campaign\.pause"><td>\d\d\/\d\d\/\d{4} \d\d:\d\d<\/td><td>mara<\/td>/);
      expect((await vito.get('/audit')).status).toBe(403);
      // Without a session: to the sign-in page.
      const anon = await new Client(r.server.url).get('/');
      expect([anon.status, anon.location]).toEqual([303, '/console/sign-in']);
    });

    it('a campaign without scope: belongs to the installation, seen by unscoped users only', async () => {
      const r = rig();
      await send(r, citizens(2, 2, 0, 'N'), smsCampaign('national'), allSent(r, 'national', 2), 'sent');
      await accounts(r);
      expect((await (await signedIn(r, 'ada')).get('/')).text).toContain('data-campaign="national"');
      const vito = await signedIn(r, 'vito');
      expect((await vito.get('/')).text).not.toContain('data-campaign="national"');
      expect((await vito.get('/campaigns/national')).status).toBe(404);
    });
  });
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`a new campaign from the dashboard on ${dialect.name}`, () => {
    const rig = feedbackRig(dialect, {}, { console: true });

    it('shows each error at its line:column, plans a sound campaign, launches it (audited); a viewer cannot, and a campaign outside the manager\'s scope is refused', async () => {
      const r = rig();
      await r.t.store.registry.writeCitizens('seed', citizens(5, 5, 0, 'W'));
      await accounts(r);
      const mara = await signedIn(r, 'mara');
      expect((await mara.get('/campaigns/new')).status).toBe(200);

      const bad = 'id: Bad Id\nname: x\nreference_date: 2021-13-01\ncohort: { age: { min: 60 } }\nsteps:\n  - { id: invite, channels: [sms], template: invite }\npacing: { daily_target: 100000 }\n';
      const checked = await mara.post('/campaigns/new', { step: 'check', yaml: bad });
      expect(checked.status).toBe(422);
      expect(checked.headers.get('x-invito-error')).toBe('CAMPAIGN_INVALID');
      const wheres = [...checked.text.matchAll(/<li data-where="([^"]+)">/g)].map((m) => m[1]);
      expect(wheres).toEqual(expect.arrayContaining(['campaign.yaml:1:5', 'campaign.yaml:3:17']));
      expect(checked.text).toMatch(/<span class="err" data-line="1">/);
      expect(checked.text).toMatch(/<span class="" data-line="2">/);

      const yaml = smsCampaignYaml('new-lazio', 'scope: [LAZ]');
      const planned = await mara.post('/campaigns/new', { step: 'check', yaml });
      expect(planned.status).toBe(200);
      expect(planned.text).toContain('Piano della campagna new-lazio');
      expect(planned.text).toMatch(/<td class="num" data-value="5">5<\/td>/);
      expect(await r.t.store.campaignRecords.get('new-lazio')).toBeNull();

      const vito = await signedIn(r, 'vito');
      expect((await vito.post('/campaigns/new', { step: 'launch', yaml })).status).toBe(403);
      expect((await mara.post('/campaigns/new', { step: 'launch', yaml: smsCampaignYaml('tuscan', 'scope: [TOS]') })).status).toBe(403);
      expect(await r.t.store.campaignRecords.get('tuscan')).toBeNull();

      const launched = await mara.post('/campaigns/new', { step: 'launch', yaml });
      expect(launched.status).toBe(303);
      expect((await mara.get(launched.location!)).text).toContain('Campagna new-lazio avviata: 5 cittadini selezionati.');
      expect((await r.t.store.campaignRecords.get('new-lazio'))!.recipients).toBe(5);
      const log = await new AuditLog(r.t.store.audit).list({ action: 'campaign.launch' });
      expect(log.map((e) => [e.actor, e.target, e.details.recipients])).toEqual([['mara', 'new-lazio', 5]]);
    });
  });
}
