/**
 * The one way invito writes HTML, for every page it serves (the citizens' reply-link pages and
 * the operators' console): every value goes through `esc` on its way into a page, and `Html`
 * marks strings that are already markup, so nothing is escaped twice or missed.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** Markup that is already safe: made by `html`, or written by invito itself (never from input). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/**
 * Markup invito writes itself and has checked (a style sheet from `public/`), put in a page as
 * it is. Never for anything a request, the registry or an operator supplied.
 */
export const trusted = (markup: string): Html => new Html(markup);

export type Part = Html | string | number | null | undefined | false | readonly Part[];

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

/** A whole document: the doctype line, then the page. */
export const documentOf = (page: Html): string => `<!doctype html>\n${page.value}`;
