/**
 * The console's page frame: where it lives, its headers, the bar at the top, notices and the
 * CSRF field. Markup comes from the one markup module (`src/web/markup.ts`), as the citizens'
 * pages' does; the style sheet and the script are files in `public/console/`.
 */
import { can, type Role } from '../authority/access.js';
import { type Html, documentOf, html } from '../web/markup.js';

/** Where the console lives; every path below is under it. */
export const BASE = '/console';

/** The style sheet and the script, `public/console/console.css` and `console.js`, served as they are. */
export const CSS_PATH = `${BASE}/console.css`;
export const JS_PATH = `${BASE}/console.js`;

/**
 * Headers for every console page: nothing loads from elsewhere and only the console's own
 * script runs (no inline script, so injected markup cannot run any); a page
 * about a citizen is never cached; links do not leak the path to other sites.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
};

/** Who the page is for, for the header bar. */
export interface Viewer {
  readonly operatorId: string;
  readonly name: string;
  readonly role: Role;
  readonly csrfToken: string;
}

/** A hidden field carrying the session's CSRF token: every form has one. */
export const csrfField = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}">`;

/** A notice at the top of the page. */
export interface Notice {
  readonly kind: 'error' | 'ok';
  readonly text: string;
  /** The error code, shown small for the help desk. */
  readonly code?: string;
}

const notice = (n: Notice | undefined): Html =>
  n
    ? html`<div class="alert ${n.kind}" role="${n.kind === 'error' ? 'alert' : 'status'}">${n.text}${n.code ? html` <span class="muted">(${n.code})</span>` : ''}</div>`
    : html``;

/** A whole page; `refreshS` reloads it every so many seconds (a view one watches: the line's queues, an operator waiting for a caller). */
export function page(title: string, body: Html, viewer?: Viewer, n?: Notice, refreshS?: number): string {
  const bar = viewer
    ? html`<header class="bar"><span class="brand">invito · call desk</span>
<a href="${BASE}/desk">Desk</a><a href="${BASE}/replies">Replies</a>${can(viewer.role, 'desk.supervise') ? html`<a href="${BASE}/supervisor">Supervisor</a><a href="${BASE}/supervisor/line">Line</a>` : ''}
<span>${viewer.name} <span class="who">(${viewer.operatorId}, ${viewer.role})</span></span>
<form method="post" action="${BASE}/sign-out">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary">Sign out</button></form></header>`
    : html`<header class="bar"><span class="brand">invito · call desk</span></header>`;
  return documentOf(
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">${refreshS ? html`<meta http-equiv="refresh" content="${String(refreshS)}">` : ''}<title>${title} · invito</title><link rel="stylesheet" href="${CSS_PATH}"><script src="${JS_PATH}" defer></script></head>
<body>${bar}<main>${notice(n)}${body}</main></body></html>
`,
  );
}
