/**
 * HTML building blocks for the console: every value goes through `esc` (or `attr`) on its way
 * into a page; `Html` marks strings that are already markup, so nothing is escaped twice or missed.
 */
import { createHash } from 'node:crypto';
import { CONSOLE_JS } from './script.js';
import { CONSOLE_CSS } from './style.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Markup that is already safe. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

/** Escapes text for element content and quoted attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function render(p: Part): string {
  if (p === null || p === undefined || p === false) return '';
  if (p instanceof Html) return p.value;
  if (Array.isArray(p)) return (p as readonly Part[]).map(render).join('');
  return esc(String(p));
}

/** A template tag: interpolated values are escaped unless they are `Html`; arrays are joined. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Where the console lives; every path below is under it. */
export const BASE = '/console';

export const CSS_PATH = `${BASE}/console.css`;
const CSS_ETAG = `"${createHash('sha256').update(CONSOLE_CSS).digest('base64url').slice(0, 16)}"`;
export const cssAsset = { body: CONSOLE_CSS, etag: CSS_ETAG };
export const JS_PATH = `${BASE}/console.js`;
export const jsAsset = { body: CONSOLE_JS, etag: `"${createHash('sha256').update(CONSOLE_JS).digest('base64url').slice(0, 16)}"` };

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
  readonly role: 'operator' | 'supervisor';
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

/** A whole page. */
export function page(title: string, body: Html, viewer?: Viewer, n?: Notice): string {
  const bar = viewer
    ? html`<header class="bar"><span class="brand">invito · call desk</span>
<a href="${BASE}/desk">Desk</a>${viewer.role === 'supervisor' ? html`<a href="${BASE}/supervisor">Supervisor</a>` : ''}
<span>${viewer.name} <span class="who">(${viewer.operatorId}, ${viewer.role})</span></span>
<form method="post" action="${BASE}/sign-out">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary">Sign out</button></form></header>`
    : html`<header class="bar"><span class="brand">invito · call desk</span></header>`;
  return (
    '<!doctype html>\n' +
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>${title} · invito</title><link rel="stylesheet" href="${CSS_PATH}"><script src="${JS_PATH}" defer></script></head>
<body>${bar}<main>${notice(n)}${body}</main></body></html>
`.value
  );
}
