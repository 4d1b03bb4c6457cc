/**
 * The health authority's dashboard at `/` (issue 15, item 2), a fastify plugin beside the
 * console, behind the same sign-in, session and CSRF token (console/sessions.ts): the
 * campaigns in the user's scope, each campaign's figures (tables, charts, CSVs, live counts),
 * and pause, resume and cancel (managers and admins: a confirmation, a CSRF-checked POST, an
 * audit row). A campaign outside the user's scope is answered as not found, so its existence
 * does not leak. Pages are in the account's language; times in the campaign's zone.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { type Permission, campaignInScope, can } from '../authority/access.js';
import type { AuditLog } from '../authority/audit.js';
import { csrfMatches, Sessions, signedIn } from '../console/sessions.js';
import type { ConsoleStore } from '../console/store.js';
import { csvText } from '../core/csv.js';
import { InvitoError, isInvitoError } from '../core/errors.js';
import type { Operator } from '../desk/types.js';
import { type CampaignControl, campaignRecord, controlCampaign } from '../pacer/campaigns.js';
import type { CampaignRecord, CampaignRecords, CampaignSummary } from '../pacer/store.js';
import { type CampaignFigures, type ChannelRow, type DashboardStore, type Prices, campaignFigures } from '../reports/dashboard.js';
import { type ExportsStore, REPORT_KINDS, buildReport } from '../reports/exports.js';
import { REPORT_FORMATS, writeReport } from '../reports/formats.js';
import type { StatusRow } from '../reports/store.js';
import { AUDIT_ACTIONS } from '../authority/audit.js';
import { pageLocale, type Translator, translator } from '../web/i18n.js';
import { packageAsset, publicAsset } from '../web/assets.js';
import type { Campaign } from '../campaigns/schema.js';
import { ASSET_BASE, type CampaignLine, type DashViewer, type NewCampaignState, auditPage, campaignPage, campaignsPage, confirmPage, messagePage, newCampaignPage } from './pages.js';

export interface DashboardOptions {
  /** The accounts (the desk's operators table). */
  readonly accounts: { operator(id: string): Promise<Operator> };
  /** Sessions (the console's). */
  readonly sessions: ConsoleStore;
  readonly store: {
    readonly campaignRecords: Pick<CampaignRecords, 'get' | 'update'> & { summaries(campaignId?: string): Promise<CampaignSummary[]> };
    readonly messages: { cancelUnsent(campaignId: string, at: string): Promise<number> };
    readonly dashboard: DashboardStore;
    statusCounts(campaignId?: string): Promise<StatusRow[]>;
  };
  readonly audit: Pick<AuditLog, 'record' | 'list'>;
  /** The reports with personal data (reports/exports.ts). */
  readonly exports: ExportsStore;
  readonly prices: Prices;
  /** A new campaign from its YAML: checked (errors at line:column), planned, launched. Absent: no such page (no templates). */
  readonly newCampaign?: NewCampaign;
  readonly now?: () => Date;
}

/** The composition root's campaign tools, as `invito validate`, `plan` and `launch` use them. */
export interface NewCampaign {
  /** @throws InvitoError CAMPAIGN_INVALID with `issues` (each `where` is `campaign.yaml:LINE:COLUMN`) */
  check(text: string): Promise<Campaign>;
  plan(campaign: Campaign): Promise<NewCampaignState['plan']>;
  launch(campaign: Campaign, at: string): Promise<{ recipients: number; created: boolean }>;
}

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
};

const ASSETS = [
  [`${ASSET_BASE}/dashboard.css`, 'text/css; charset=utf-8', () => publicAsset('dashboard/dashboard.css')],
  [`${ASSET_BASE}/dashboard.js`, 'text/javascript; charset=utf-8', () => publicAsset('dashboard/dashboard.js')],
  [`${ASSET_BASE}/chart.umd.min.js`, 'text/javascript; charset=utf-8', () => packageAsset('chart.js', 'dist/chart.umd.min.js')],
] as const;

const CONTROLS: readonly CampaignControl[] = ['pause', 'resume', 'cancel'];
const TABLES = ['funnel', 'days', 'channels', 'ages', 'regions', 'centers', 'replies', 'calls', 'cost', 'failures'] as const;

interface Who {
  readonly account: Operator;
  readonly viewer: DashViewer;
  readonly tr: Translator;
  readonly csrfToken: string;
}

const field = (req: FastifyRequest, name: string): string => {
  const body = req.body as Record<string, unknown> | null | undefined;
  const v = body && typeof body === 'object' ? body[name] : undefined;
  return typeof v === 'string' ? v : '';
};

/** The figures' tables as rows for CSV: the same numbers the page shows, unformatted. */
function tableRows(f: CampaignFigures, name: (typeof TABLES)[number]): (string | number)[][] {
  switch (name) {
    case 'funnel':
      return [['stage', 'count'], ...Object.entries(f.funnel)];
    case 'days':
      return [['day', 'target', 'released', 'cumulative'], ...f.days.map((d) => [d.day, d.target, d.released, d.cumulative])];
    case 'channels':
      return [['channel', 'state', 'count'], ...f.channels.flatMap((c) => Object.entries(c.states).map(([s, n]) => [c.channel, s, n]))];
    case 'ages':
      return [['band', 'selected', 'confirmed'], ...f.ageBands.map((b) => [b.band, b.selected, b.confirmed])];
    case 'regions':
      return [['region', 'selected', 'confirmed'], ...f.regions.map((r) => [r.region, r.selected, r.confirmed])];
    case 'centers':
      return [['center_id', 'day', 'booked', 'capacity', 'utilisation', 'no_shows', 'campaign_booked'], ...f.centers.map((c) => [c.centerId, c.day, c.booked, c.capacity, Math.round(c.utilisation * 10000) / 10000, c.noShows, c.campaignBooked])];
    case 'replies':
      return [['action', 'count'], ...f.replies.map((r) => [r.action, r.count])];
    case 'calls':
      return [['disposition', 'count'], ...f.calls.map((r) => [r.disposition, r.count])];
    case 'cost':
      return [['channel', 'units', 'price_eur', 'cost_eur'], ...f.cost.map((r) => [r.channel, r.units, r.price, r.cost])];
    case 'failures':
      return [['state', 'code', 'count', 'message_ids'], ...f.failures.map((r) => [r.state, r.code, r.count, r.messageIds.join(' ')])];
  }
}

export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, o) => {
  const now = o.now ?? (() => new Date());
  const sessions = new Sessions(o.sessions, now);
  const who = new WeakMap<FastifyRequest, Who>();
  const assets = ASSETS.map(([path, type, load]) => [path, type, load()] as const);

  const send = (reply: FastifyReply, status: number, body: string, code?: string) => {
    reply.code(status).headers(PAGE_HEADERS);
    if (code) reply.header('x-invito-error', code);
    return reply.send(body);
  };

  for (const [path, type, asset] of assets) {
    app.get(path, async (req, reply) => {
      reply.header('content-type', type).header('etag', asset.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
      if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }

  app.setErrorHandler((e: Error, req, reply) => {
    const w = who.get(req);
    const tr = w?.tr ?? translator('it');
    if (isInvitoError(e)) {
      const text = e.code === 'FORBIDDEN' ? tr.t('errors.forbidden') : e.message;
      return send(reply, e.status, messagePage(tr, w?.viewer ?? null, e.code, { kind: 'error', text, code: e.code }), e.code);
    }
    const status = (e as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) return send(reply, status, messagePage(tr, w?.viewer ?? null, 'USAGE', { kind: 'error', text: 'The request was not understood.', code: 'USAGE' }), 'USAGE');
    req.log.error({ route: req.routeOptions.url ?? null, err: e.message }, 'dashboard request failed');
    return send(reply, 500, messagePage(tr, w?.viewer ?? null, 'INTERNAL', { kind: 'error', text: 'The request could not be processed; try again.', code: 'INTERNAL' }), 'INTERNAL');
  });

  // Signed in, with a role that reads the dashboard; every POST carries the session's token.
  app.addHook('preHandler', async (req, reply) => {
    if ((req.routeOptions.url ?? '').startsWith(`${ASSET_BASE}/`)) return;
    const s = await signedIn(sessions, o.accounts, req.headers.cookie);
    if (!s) {
      if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect('/console/sign-in', 303);
      throw new InvitoError('SIGN_IN_REQUIRED', 'your session has ended: sign in again');
    }
    const tr = translator(pageLocale(s.account.locale));
    const viewer: DashViewer = { accountId: s.account.operatorId, name: s.account.name, role: s.account.role, csrfToken: s.session.csrfToken };
    who.set(req, { account: s.account, viewer, tr, csrfToken: s.session.csrfToken });
    if (!can(s.account.role, 'dashboard.read')) {
      // The desk's roles have the console for home.
      if (req.method === 'GET' && req.routeOptions.url === '/') return reply.redirect(s.account.role === 'supervisor' ? '/console/supervisor' : '/console/desk', 303);
      throw new InvitoError('FORBIDDEN', 'the dashboard is for the health authority\'s staff');
    }
    if (req.method === 'POST' && !csrfMatches(s.session, field(req, '_csrf'))) {
      req.log.warn({ route: req.routeOptions.url ?? null, operatorId: s.account.operatorId }, 'dashboard POST without a valid CSRF token');
      return send(reply, 403, messagePage(tr, viewer, 'CSRF_INVALID', { kind: 'error', text: tr.t('errors.csrf'), code: 'CSRF_INVALID' }), 'CSRF_INVALID');
    }
  });

  const ctx = (req: FastifyRequest): Who => who.get(req)!;
  const need = (req: FastifyRequest, p: Permission): Who => {
    const w = ctx(req);
    if (!can(w.account.role, p)) throw new InvitoError('FORBIDDEN', `your role (${w.account.role}) may not do this`);
    return w;
  };

  /** The campaign, if it is in the user's scope (otherwise: not found, as if it did not exist). */
  const campaignFor = async (w: Who, campaignId: string): Promise<CampaignRecord> => {
    const c = await campaignRecord(o.store, campaignId).catch((e: unknown) => {
      if (isInvitoError(e)) return null;
      throw e;
    });
    if (!c || !campaignInScope(w.account.scopes, c.definition.scope)) throw new InvitoError('CAMPAIGN_NOT_FOUND', w.tr.t('errors.noCampaign', { id: campaignId }));
    return c;
  };

  const channelsOf = async (campaignId: string): Promise<ChannelRow[]> => {
    const by = new Map<string, Record<string, number>>();
    for (const r of await o.store.statusCounts(campaignId)) {
      const ch = r.channel ?? 'none';
      const states = by.get(ch) ?? {};
      states[r.state] = (states[r.state] ?? 0) + r.count;
      by.set(ch, states);
    }
    return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([channel, states]) => ({ channel, states }));
  };

  const figuresOf = async (c: CampaignRecord): Promise<CampaignFigures> =>
    campaignFigures(o.store.dashboard, { campaignId: c.campaignId, recipients: c.recipients, referenceDate: c.definition.reference_date, channels: await channelsOf(c.campaignId), prices: o.prices });

  app.get<{ Querystring: { done?: string } }>('/', async (req, reply) => {
    const w = ctx(req);
    const lines: CampaignLine[] = [];
    for (const s of await o.store.campaignRecords.summaries()) {
      const c = await campaignRecord(o.store, s.campaignId).catch(() => null);
      if (!c || !campaignInScope(w.account.scopes, c.definition.scope)) continue;
      const days = await o.store.dashboard.pacingDays(c.campaignId);
      const today = DateTime.fromJSDate(now(), { zone: c.definition.timezone }).toISODate()!;
      const last = days.at(-1);
      // Progress is the pacer's own count of invitations released, day by day: no pass over the messages.
      const released = days.reduce((n, d) => n + d.released, 0);
      lines.push({ campaignId: c.campaignId, name: c.definition.name, status: c.status, recipients: c.recipients, released, today: last && last.day === today ? last : null, scope: c.definition.scope ?? [] });
    }
    return send(reply, 200, campaignsPage(w.tr, w.viewer, lines));
  });

  // A new campaign: YAML → its errors at line:column, or its plan and forecast → launch (managers, admins).
  const tools = (): NewCampaign => {
    if (!o.newCampaign) throw new InvitoError('USAGE', 'this server has no campaign tools (it needs the templates)');
    return o.newCampaign;
  };
  app.get('/campaigns/new', async (req, reply) => {
    const w = need(req, 'campaign.launch');
    tools();
    return send(reply, 200, newCampaignPage(w.tr, w.viewer, { text: '' }));
  });
  app.post('/campaigns/new', async (req, reply) => {
    const w = need(req, 'campaign.launch');
    const text = field(req, 'yaml').replace(/\r\n/g, '\n');
    let campaign: Campaign;
    try {
      campaign = await tools().check(text);
    } catch (e) {
      if (isInvitoError(e) && e.issues.length > 0) return send(reply, 422, newCampaignPage(w.tr, w.viewer, { text, issues: e.issues }), e.code);
      throw e;
    }
    if (!campaignInScope(w.account.scopes, campaign.scope)) {
      throw new InvitoError('FORBIDDEN', `the campaign's scope (${campaign.scope?.join(', ') ?? 'the whole installation'}) is not within yours (${w.account.scopes.join(', ')})`);
    }
    if (field(req, 'step') !== 'launch') return send(reply, 200, newCampaignPage(w.tr, w.viewer, { text, plan: await tools().plan(campaign) }));
    const r = await tools().launch(campaign, now().toISOString());
    await o.audit.record({ actor: w.account.operatorId, action: 'campaign.launch', target: campaign.id, origin: req.ip, details: { recipients: r.recipients, created: r.created } });
    return reply.redirect(`/campaigns/${encodeURIComponent(campaign.id)}?launched=${r.recipients}`, 303);
  });

  app.get<{ Params: { id: string }; Querystring: { done?: string; n?: string; launched?: string } }>('/campaigns/:id', async (req, reply) => {
    const w = ctx(req);
    const c = await campaignFor(w, req.params.id);
    const done = CONTROLS.find((a) => a === req.query.done);
    const launched = req.query.launched !== undefined ? { kind: 'ok' as const, text: w.tr.t('newCampaign.launched', { id: c.campaignId, count: Number(req.query.launched) }) } : undefined;
    const notice = done ? { kind: 'ok' as const, text: w.tr.t(`campaign.done.${done}`, { id: c.campaignId, count: Number(req.query.n ?? 0) }) } : launched;
    return send(reply, 200, campaignPage(w.tr, w.viewer, { campaignId: c.campaignId, name: c.definition.name, status: c.status, zone: c.definition.timezone, today: DateTime.fromJSDate(now(), { zone: c.definition.timezone }).toISODate()!, figures: await figuresOf(c), updatedAt: now().toISOString() }, notice));
  });

  app.get<{ Params: { id: string } }>('/campaigns/:id/counts.json', async (req, reply) => {
    const w = ctx(req);
    const c = await campaignFor(w, req.params.id);
    const f = await o.store.dashboard.funnel(c.campaignId);
    reply.header('cache-control', 'no-store');
    return reply.send({ campaign: c.campaignId, status: c.status, selected: c.recipients, ...f, time: w.tr.time(now().toISOString(), c.definition.timezone) });
  });

  app.get<{ Params: { id: string; table: string } }>('/campaigns/:id/data/:table', async (req, reply) => {
    const w = ctx(req);
    const c = await campaignFor(w, req.params.id);
    const name = TABLES.find((t) => `${t}.csv` === req.params.table);
    if (!name) throw new InvitoError('USAGE', `no table ${req.params.table} (${TABLES.map((t) => `${t}.csv`).join(', ')})`);
    const body = csvText(tableRows(await figuresOf(c), name));
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${c.campaignId}-${name}.csv"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  // Reports with personal data: managers and admins, the rows of citizens in their scope, audited.
  const TYPES = { csv: 'text/csv; charset=utf-8', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', pdf: 'application/pdf' } as const;
  app.get<{ Params: { id: string; file: string }; Querystring: { date?: string; center?: string } }>('/campaigns/:id/reports/:file', async (req, reply) => {
    const w = need(req, 'export');
    const c = await campaignFor(w, req.params.id);
    const [kind, format] = req.params.file.split('.');
    if (!(REPORT_KINDS as readonly string[]).includes(kind ?? '') || !(REPORT_FORMATS as readonly string[]).includes(format ?? '')) {
      throw new InvitoError('USAGE', `no report ${req.params.file}: ${REPORT_KINDS.join('|')} . ${REPORT_FORMATS.join('|')}`);
    }
    const day = req.query.date ?? DateTime.fromJSDate(now(), { zone: c.definition.timezone }).toISODate()!;
    if (!/^\d{4}-\d\d-\d\d$/.test(day) || !DateTime.fromISO(day).isValid) throw new InvitoError('USAGE', `date: "${day.slice(0, 20)}" is not a date (YYYY-MM-DD)`);
    const center = req.query.center?.slice(0, 64);
    const report = await buildReport(o.exports, { kind: kind as (typeof REPORT_KINDS)[number], campaignId: c.campaignId, day, ...(center ? { centerId: center } : {}), scope: w.account.scopes });
    const body = await writeReport(report, format as (typeof REPORT_FORMATS)[number], w.tr.dateTime(now().toISOString(), c.definition.timezone));
    await o.audit.record({ actor: w.account.operatorId, action: 'export', target: c.campaignId, origin: req.ip, details: { kind: kind!, format: format!, day, rows: report.rows.length, ...(center ? { center } : {}) } });
    return reply
      .header('content-type', TYPES[format as keyof typeof TYPES])
      .header('content-disposition', `attachment; filename="${c.campaignId}-${kind}-${day}${center ? `-${center}` : ''}.${format}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  // The audit log, for admins: filtered by action, actor and time.
  app.get<{ Querystring: { action?: string; actor?: string; since?: string } }>('/audit', async (req, reply) => {
    const w = need(req, 'admin.read');
    const action = AUDIT_ACTIONS.find((a) => a === req.query.action);
    const since = req.query.since && DateTime.fromISO(req.query.since, { zone: 'Europe/Rome' }).isValid ? DateTime.fromISO(req.query.since, { zone: 'Europe/Rome' }).toUTC().toISO()! : undefined;
    const entries = await o.audit.list({ ...(action ? { action } : {}), ...(req.query.actor ? { actor: req.query.actor.slice(0, 60) } : {}), ...(since ? { since } : {}) });
    return send(reply, 200, auditPage(w.tr, w.viewer, entries.slice(-500).reverse(), { action: action ?? '', actor: req.query.actor ?? '', since: req.query.since ?? '' }));
  });

  app.get<{ Params: { id: string; action: string } }>('/campaigns/:id/:action', async (req, reply) => {
    const action = CONTROLS.find((a) => a === req.params.action);
    if (!action) throw new InvitoError('USAGE', `no page ${req.url.split('?')[0]}`);
    const w = need(req, 'campaign.control');
    const c = await campaignFor(w, req.params.id);
    return send(reply, 200, confirmPage(w.tr, w.viewer, c.campaignId, action));
  });

  app.post<{ Params: { id: string; action: string } }>('/campaigns/:id/:action', async (req, reply) => {
    const action = CONTROLS.find((a) => a === req.params.action);
    if (!action) throw new InvitoError('USAGE', `no action ${req.params.action} (${CONTROLS.join(', ')})`);
    const w = need(req, 'campaign.control');
    const c = await campaignFor(w, req.params.id);
    const reason = field(req, 'reason').trim().slice(0, 200);
    const r = await controlCampaign(o.store, c.campaignId, action, { ...(reason ? { reason } : {}), at: now().toISOString() });
    await o.audit.record({ actor: w.account.operatorId, action: `campaign.${action}`, target: c.campaignId, origin: req.ip, ...(action === 'cancel' ? { details: { cancelled: r.cancelled } } : {}) });
    req.log.info({ operatorId: w.account.operatorId, campaignId: c.campaignId, action }, 'campaign control from the dashboard');
    return reply.redirect(`/campaigns/${encodeURIComponent(c.campaignId)}?done=${action}${action === 'cancel' ? `&n=${r.cancelled}` : ''}`, 303);
  });
};
