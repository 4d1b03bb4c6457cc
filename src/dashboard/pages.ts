/**
 * The dashboard's pages (issue 15, item 2), on the one markup module, in the user's language.
 * Every figure is a table; a table with `data-chart` is also drawn as a chart by
 * `public/dashboard/dashboard.js` (Chart.js from node_modules), with patterns and point shapes
 * besides colour, and each has its CSV. Cells marked `data-live` are refreshed while one watches.
 */
import type { Translator } from '../web/i18n.js';
import { type Html, documentOf, html } from '../web/markup.js';
import type { CampaignFigures } from '../reports/dashboard.js';
import type { Role } from '../authority/access.js';
import { can } from '../authority/access.js';
import { AUDIT_ACTIONS, type AuditEntry } from '../authority/audit.js';

export const ASSET_BASE = '/assets';
export const CSS = `${ASSET_BASE}/dashboard.css`;
export const JS = `${ASSET_BASE}/dashboard.js`;
export const CHART_JS = `${ASSET_BASE}/chart.umd.min.js`;

export interface DashViewer {
  readonly accountId: string;
  readonly name: string;
  readonly role: Role;
  readonly csrfToken: string;
}

export interface DashNotice {
  readonly kind: 'ok' | 'error';
  readonly text: string;
  readonly code?: string;
}

const csrf = (v: DashViewer): Html => html`<input type="hidden" name="_csrf" value="${v.csrfToken}">`;

export function dashPage(tr: Translator, title: string, body: Html, viewer: DashViewer, notice?: DashNotice): string {
  const { t } = tr;
  const n = notice
    ? html`<div class="alert ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}">${notice.text}${notice.code ? html` <span class="muted">(${notice.code})</span>` : ''}</div>`
    : '';
  return documentOf(html`<html lang="${tr.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>${title} · invito</title><link rel="stylesheet" href="${CSS}">
<script src="${CHART_JS}" defer></script><script src="${JS}" defer></script></head>
<body><header class="bar"><span class="brand">${t('brand')}</span><nav><a href="/">${t('nav.campaigns')}</a>${can(viewer.role, 'campaign.launch') ? html`<a href="/campaigns/new">${t('nav.newCampaign')}</a>` : ''}${can(viewer.role, 'admin.read') ? html`<a href="/audit">${t('nav.audit')}</a>` : ''}${can(viewer.role, 'desk.work') ? html`<a href="/console/desk">${t('nav.desk')}</a>` : ''}</nav>
<span class="who">${viewer.name} <span class="muted">(${viewer.accountId}, ${viewer.role})</span></span>
<form method="post" action="/console/sign-out">${csrf(viewer)}<button type="submit" class="secondary">${t('signOut')}</button></form></header>
<main>${n}${body}</main></body></html>
`);
}

export interface CampaignLine {
  readonly campaignId: string;
  readonly name: string;
  readonly status: string;
  readonly recipients: number;
  /** Invitations released so far (the pacer's days summed). */
  readonly released: number;
  readonly today: { readonly day: string; readonly target: number; readonly released: number } | null;
  readonly scope: readonly string[];
}

export function campaignsPage(tr: Translator, viewer: DashViewer, lines: readonly CampaignLine[], notice?: DashNotice): string {
  const { t } = tr;
  const body = lines.length
    ? html`<table id="campaigns"><thead><tr><th>${t('campaigns.id')}</th><th>${t('campaigns.name')}</th><th>${t('campaigns.status')}</th><th class="num">${t('campaigns.recipients')}</th><th class="num">${t('campaigns.progress')}</th><th class="num">${t('campaigns.today')}</th><th>${t('campaigns.scope')}</th></tr></thead><tbody>
${lines.map(
  (l) => html`<tr data-campaign="${l.campaignId}"><td><a href="/campaigns/${encodeURIComponent(l.campaignId)}">${l.campaignId}</a></td><td>${l.name}</td><td data-status="${l.status}">${t(`status.${l.status}`)}</td>
<td class="num">${tr.number(l.recipients)}</td><td class="num">${tr.percent(l.recipients ? l.released / l.recipients : 0)}</td>
<td class="num">${l.today ? html`${tr.number(l.today.released)} / ${tr.number(l.today.target)} ${t('campaigns.target')}` : '—'}</td><td>${l.scope.length ? l.scope.join(', ') : '*'}</td></tr>`,
)}</tbody></table>`
    : html`<p id="campaigns-none">${t('campaigns.none')}</p>`;
  return dashPage(tr, t('campaigns.title'), html`<h1>${t('welcome', { name: viewer.name })}</h1><h2>${t('campaigns.title')}</h2>${body}`, viewer, notice);
}

type Cell = string | number;

/** A figure: a table (with its CSV link), drawn as a chart when `chart` says how. */
function figure(tr: Translator, o: { id: string; title: string; csv: string; columns: readonly string[]; rows: readonly (readonly Cell[])[]; chart?: 'bar' | 'line' | 'heat'; live?: readonly string[] }): Html {
  const cell = (c: Cell, i: number) => (typeof c === 'number' ? html`<td class="num" data-value="${String(c)}"${o.live?.[i] ? html` data-live="${o.live[i]!}"` : ''}>${tr.number(c, Number.isInteger(c) ? 0 : 2)}</td>` : html`<td>${c}</td>`);
  return html`<section class="figure" id="${o.id}"><h2>${o.title}</h2>${o.chart ? html`<div class="chart"><canvas aria-hidden="true"></canvas></div>` : ''}
<table${o.chart ? html` data-chart="${o.chart}"` : ''}><thead><tr>${o.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
<tbody>${o.rows.map((r) => html`<tr>${r.map((c, i) => cell(c, i))}</tr>`)}</tbody></table>
<p class="csv"><a href="${o.csv}" download>${tr.t('campaign.csv')}</a></p></section>`;
}

export function campaignPage(tr: Translator, viewer: DashViewer, c: { campaignId: string; name: string; status: string; zone: string; today: string; figures: CampaignFigures; updatedAt: string }, notice?: DashNotice): string {
  const { t } = tr;
  const f = c.figures;
  const id = encodeURIComponent(c.campaignId);
  const csv = (name: string) => `/campaigns/${id}/data/${name}.csv`;
  const funnelKeys = ['selected', 'released', 'delivered', 'confirmed', 'declined', 'noAnswer', 'unreachable', 'fallbacks'] as const;
  const controls = can(viewer.role, 'campaign.control')
    ? html`<div class="controls">${c.status === 'active' ? html`<a class="button" href="/campaigns/${id}/pause">${t('campaign.pause')}</a>` : ''}${c.status === 'paused' ? html`<a class="button" href="/campaigns/${id}/resume">${t('campaign.resume')}</a>` : ''}${c.status !== 'cancelled' && c.status !== 'completed' ? html`<a class="button danger" href="/campaigns/${id}/cancel">${t('campaign.cancel')}</a>` : ''}</div>`
    : '';
  const body = html`<h1>${c.name} <span class="muted">(${c.campaignId})</span></h1>
<p><span id="status" data-status="${c.status}">${t(`status.${c.status}`)}</span> · <span id="updated" data-live-poll="/campaigns/${id}/counts.json">${t('campaign.refreshed', { time: tr.time(c.updatedAt, c.zone) })}</span></p>${controls}
${figure(tr, { id: 'funnel', title: t('campaign.funnel'), csv: csv('funnel'), columns: [t('col.stage'), t('col.count')], rows: funnelKeys.map((k) => [t(`funnel.${k}`), f.funnel[k]]), chart: 'bar', live: [] })}
${figure(tr, { id: 'days', title: t('campaign.days'), csv: csv('days'), columns: [t('col.day'), t('col.target'), t('col.released'), t('col.cumulative')], rows: f.days.map((d) => [tr.date(`${d.day}T12:00:00`, c.zone), d.target, d.released, d.cumulative]), chart: 'line' })}
${figure(tr, { id: 'channels', title: t('campaign.channels'), csv: csv('channels'), columns: [t('col.channel'), t('col.state'), t('col.count')], rows: f.channels.flatMap((ch) => Object.entries(ch.states).map(([s, k]) => [ch.channel, s, k] as Cell[])) })}
${figure(tr, { id: 'ages', title: t('campaign.ageBands'), csv: csv('ages'), columns: [t('col.band'), t('col.selected'), t('col.confirmed')], rows: f.ageBands.map((b) => [b.band, b.selected, b.confirmed]), chart: 'bar' })}
${figure(tr, { id: 'regions', title: t('campaign.regions'), csv: csv('regions'), columns: [t('col.region'), t('col.selected'), t('col.confirmed')], rows: f.regions.map((r) => [r.region, r.selected, r.confirmed]), chart: 'bar' })}
${figure(tr, { id: 'centers', title: t('campaign.centers'), csv: csv('centers'), columns: [t('col.center'), t('col.day'), t('col.booked'), t('col.capacity'), t('col.utilisation'), t('col.noShows')], rows: f.centers.map((x) => [x.centerId, tr.date(`${x.day}T12:00:00`, c.zone), x.booked, x.capacity, Math.round(x.utilisation * 1000) / 10, x.noShows]), chart: 'heat' })}
${figure(tr, { id: 'replies', title: t('campaign.replies'), csv: csv('replies'), columns: [t('col.action'), t('col.count')], rows: f.replies.map((r) => [r.action, r.count]) })}
${figure(tr, { id: 'calls', title: t('campaign.calls'), csv: csv('calls'), columns: [t('col.disposition'), t('col.count')], rows: f.calls.map((r) => [r.disposition, r.count]) })}
${figure(tr, { id: 'cost', title: t('campaign.cost'), csv: csv('cost'), columns: [t('col.channel'), t('col.units'), t('col.price'), t('col.cost')], rows: f.cost.map((r) => [r.channel, r.units, r.price, r.cost]) })}
${figure(tr, { id: 'failures', title: t('campaign.failures'), csv: csv('failures'), columns: [t('col.state'), t('col.code'), t('col.count'), t('col.ids')], rows: f.failures.map((r) => [r.state, r.code, r.count, r.messageIds.join(' ')]) })}`;
  const reports = can(viewer.role, 'export')
    ? html`<section class="figure" id="reports"><h2>${t('campaign.reports')}</h2><form method="get" action="/campaigns/${id}/reports/appointments.csv" id="report-form"><label>${t('col.day')} <input name="date" type="date" value="${c.today}"></label> <label>${t('col.center')} <input name="center" maxlength="64"></label> <button type="submit">${t('campaign.appointmentList')} (CSV)</button></form>
<ul>${(['unreachable', 'declined', 'outcomes'] as const).map((k) => html`<li>${t(`reports.${k}`)}: ${(['csv', 'xlsx'] as const).map((f) => html`<a href="/campaigns/${id}/reports/${k}.${f}" download>${f.toUpperCase()}</a> `)}</li>`)}<li>${t('reports.summary')}: <a href="/campaigns/${id}/reports/summary.pdf?date=${c.today}" download>PDF</a></li></ul></section>`
    : '';
  return dashPage(tr, c.name, html`${body}${reports}`, viewer, notice);
}

export function confirmPage(tr: Translator, viewer: DashViewer, campaignId: string, action: 'pause' | 'resume' | 'cancel'): string {
  const { t } = tr;
  const id = encodeURIComponent(campaignId);
  const text = t(action === 'pause' ? 'campaign.confirmPause' : action === 'resume' ? 'campaign.confirmResume' : 'campaign.confirmCancel', { id: campaignId });
  return dashPage(
    tr,
    t('campaign.confirmTitle'),
    html`<h1>${t('campaign.confirmTitle')}</h1><p id="confirm-text">${text}</p>
<form method="post" action="/campaigns/${id}/${action}" id="confirm">${csrf(viewer)}${action !== 'resume' ? html`<label>${t('campaign.reason')} <input name="reason" maxlength="200"></label>` : ''}
<button type="submit" class="${action === 'cancel' ? 'danger' : ''}">${t('campaign.confirm')}</button> <a href="/campaigns/${id}">${t('campaign.back')}</a></form>`,
    viewer,
  );
}

export function messagePage(tr: Translator, viewer: DashViewer | null, title: string, notice: DashNotice): string {
  if (viewer) return dashPage(tr, title, html`<h1>${title}</h1>`, viewer, notice);
  return documentOf(html`<html lang="${tr.locale}"><head><meta charset="utf-8"><title>${title} · invito</title><link rel="stylesheet" href="${CSS}"></head><body><main><h1>${title}</h1><div class="alert error" role="alert">${notice.text}</div></main></body></html>
`);
}

/** The audit log, newest first, with its filters (admins). */
export function auditPage(tr: Translator, viewer: DashViewer, entries: readonly AuditEntry[], filter: { action: string; actor: string; since: string }): string {
  const { t } = tr;
  const body = html`<h1>${t('nav.audit')}</h1>
<form method="get" action="/audit" class="filters"><label>${t('audit.action')} <select name="action"><option value="">—</option>${AUDIT_ACTIONS.map((a) => html`<option value="${a}"${a === filter.action ? html` selected` : ''}>${a}</option>`)}</select></label>
<label>${t('audit.actor')} <input name="actor" value="${filter.actor}" maxlength="60"></label><label>${t('audit.since')} <input name="since" value="${filter.since}" placeholder="2026-12-07" maxlength="25"></label><button type="submit">${t('audit.filter')}</button></form>
<table id="audit"><thead><tr><th>${t('audit.at')}</th><th>${t('audit.actor')}</th><th>${t('audit.action')}</th><th>${t('audit.target')}</th><th>${t('audit.origin')}</th><th>${t('audit.details')}</th></tr></thead><tbody>
${entries.map((e) => html`<tr data-action="${e.action}"><td>${tr.dateTime(e.at, 'Europe/Rome')}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.target ?? '—'}</td><td>${e.origin}</td><td>${Object.entries(e.details).map(([k, v]) => `${k}=${String(v)}`).join(' ')}</td></tr>`)}</tbody></table>`;
  return dashPage(tr, t('nav.audit'), body, viewer);
}

/** What the new-campaign page shows after a check: the errors at their place, or the plan. */
export interface NewCampaignState {
  readonly text: string;
  readonly issues?: readonly { where: string; message: string }[];
  readonly plan?: { campaignId: string; name: string; cohort: number; completesOn: string | null; smsCost: number | null; scope: readonly string[]; schedule: readonly { date: string; target: number; invitations: number; appointments: number }[] };
}

/** Line numbers of `where`s such as `campaign.yaml:12:5`. */
const linesOf = (issues: readonly { where: string }[]): Set<number> => new Set(issues.map((i) => Number(/:(\d+):\d+$/.exec(i.where)?.[1] ?? 0)).filter((n) => n > 0));

export function newCampaignPage(tr: Translator, viewer: DashViewer, s: NewCampaignState): string {
  const { t } = tr;
  const bad = linesOf(s.issues ?? []);
  const errors = s.issues?.length
    ? html`<div class="alert error" role="alert" id="campaign-errors"><p>${t('newCampaign.invalid', { count: s.issues.length })}</p><ul>${s.issues.map((i) => html`<li data-where="${i.where}"><code>${i.where}</code> ${i.message}</li>`)}</ul></div>
<pre class="yaml" id="campaign-text">${s.text.split('\n').map((line, i) => html`<span class="${bad.has(i + 1) ? 'err' : ''}" data-line="${String(i + 1)}">${String(i + 1).padStart(4)}  ${line}</span>\n`)}</pre>`
    : '';
  const plan = s.plan
    ? html`<section class="figure" id="plan"><h2>${t('newCampaign.plan', { id: s.plan.campaignId })}</h2>
<table id="plan-summary"><tbody><tr><th>${t('campaigns.name')}</th><td>${s.plan.name}</td></tr><tr><th>${t('col.selected')}</th><td class="num" data-value="${String(s.plan.cohort)}">${tr.number(s.plan.cohort)}</td></tr>
<tr><th>${t('newCampaign.completes')}</th><td>${s.plan.completesOn ? tr.date(`${s.plan.completesOn}T12:00:00`, 'Europe/Rome') : '—'}</td></tr><tr><th>${t('newCampaign.smsCost')}</th><td class="num">${s.plan.smsCost === null ? '—' : tr.number(s.plan.smsCost, 2)}</td></tr><tr><th>${t('campaigns.scope')}</th><td>${s.plan.scope.length ? s.plan.scope.join(', ') : '*'}</td></tr></tbody></table>
<div class="chart"><canvas aria-hidden="true"></canvas></div><table data-chart="line" id="plan-forecast"><thead><tr><th>${t('col.day')}</th><th>${t('col.target')}</th><th>${t('col.forecast')}</th><th>${t('newCampaign.appointments')}</th></tr></thead>
<tbody>${s.plan.schedule.map((d) => html`<tr><td>${tr.date(`${d.date}T12:00:00`, 'Europe/Rome')}</td><td class="num" data-value="${String(d.target)}">${tr.number(d.target)}</td><td class="num" data-value="${String(d.invitations)}">${tr.number(d.invitations)}</td><td class="num" data-value="${String(d.appointments)}">${tr.number(d.appointments)}</td></tr>`)}</tbody></table>
<form method="post" action="/campaigns/new" id="launch"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><input type="hidden" name="step" value="launch"><textarea name="yaml" hidden>${s.text}</textarea><button type="submit">${t('newCampaign.launch')}</button></form></section>`
    : '';
  const body = html`<h1>${t('nav.newCampaign')}</h1>${errors}
<form method="post" action="/campaigns/new" id="check"><input type="hidden" name="_csrf" value="${viewer.csrfToken}"><input type="hidden" name="step" value="check">
<label>${t('newCampaign.file')} <input type="file" id="yaml-file" accept=".yaml,.yml,text/yaml"></label>
<label>${t('newCampaign.text')}<br><textarea name="yaml" id="yaml" rows="22" cols="100" spellcheck="false">${s.text}</textarea></label>
<button type="submit">${t('newCampaign.check')}</button></form>${plan}`;
  return dashPage(tr, t('nav.newCampaign'), body, viewer);
}
