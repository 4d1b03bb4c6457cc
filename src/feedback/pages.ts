/**
 * The pages a citizen sees behind a reply link: Italian first, English below, no external
 * assets (a page that loads nothing from elsewhere tells no one else who opened it), and
 * nothing about the citizen on them — whoever holds the link sees only what it will do.
 * Written with the one markup module every page uses (`src/web/markup.ts`).
 */
import { createHash } from 'node:crypto';
import { publicText } from '../web/assets.js';
import { type Html, documentOf, html, trusted } from '../web/markup.js';

/** What a reply link can do. */
export type LinkAction = 'confirm' | 'decline' | 'optout';

/** Every reply-link action, as it appears in the link's last path segment. */
export const LINK_ACTIONS: readonly LinkAction[] = ['confirm', 'decline', 'optout'];

/** Whether a path segment names a reply-link action. */
export const isLinkAction = (s: string): s is LinkAction => (LINK_ACTIONS as readonly string[]).includes(s);

interface Text {
  readonly title: string;
  readonly body: string;
  /** The button's label, on pages that ask. */
  readonly button?: string;
}

interface Bilingual {
  readonly it: Text;
  readonly en: Text;
}

const ASK: Readonly<Record<LinkAction, Bilingual>> = {
  confirm: {
    it: {
      title: "Conferma dell'appuntamento",
      body: "Premendo il pulsante conferma l'appuntamento per la vaccinazione indicato nel messaggio che ha ricevuto.",
      button: "Confermo l'appuntamento",
    },
    en: {
      title: 'Confirm the appointment',
      body: 'Pressing the button confirms the vaccination appointment given in the message you received.',
      button: 'Confirm the appointment',
    },
  },
  decline: {
    it: {
      title: "Rinuncia all'appuntamento",
      body: "Premendo il pulsante rinuncia all'appuntamento indicato nel messaggio che ha ricevuto: il posto sarà offerto a un'altra persona.",
      button: "Rinuncio all'appuntamento",
    },
    en: {
      title: 'Decline the appointment',
      body: 'Pressing the button declines the appointment given in the message you received: the slot will be offered to someone else.',
      button: 'Decline the appointment',
    },
  },
  optout: {
    it: {
      title: 'Non ricevere più messaggi',
      body: 'Premendo il pulsante non riceverà più inviti né promemoria per nessuna campagna di vaccinazione.',
      button: 'Non voglio più ricevere messaggi',
    },
    en: {
      title: 'Stop receiving messages',
      body: 'Pressing the button stops all further invitations and reminders from every vaccination campaign.',
      button: 'Stop all messages',
    },
  },
};

const DONE: Readonly<Record<LinkAction, Bilingual>> = {
  confirm: {
    it: { title: 'Appuntamento confermato', body: 'Grazie: abbiamo registrato la sua conferma.' },
    en: { title: 'Appointment confirmed', body: 'Thank you: your confirmation has been recorded.' },
  },
  decline: {
    it: { title: 'Rinuncia registrata', body: "Abbiamo registrato la sua rinuncia: il posto sarà offerto a un'altra persona." },
    en: { title: 'Decline recorded', body: 'Your answer has been recorded: the slot will be offered to someone else.' },
  },
  optout: {
    it: { title: 'Richiesta registrata', body: 'Non riceverà più inviti né promemoria per le campagne di vaccinazione.' },
    en: { title: 'Request recorded', body: 'You will receive no further invitations or reminders from vaccination campaigns.' },
  },
};

const NOT_FOUND: Bilingual = {
  it: { title: 'Link non valido', body: 'Il link non è valido o non è più attivo. Controlli di averlo aperto per intero, così come è arrivato nel messaggio.' },
  en: { title: 'Link not valid', body: 'This link is not valid or no longer active. Check that it was opened in full, as it came in the message.' },
};

const UNAVAILABLE: Bilingual = {
  it: { title: 'Servizio non disponibile', body: 'Non è stato possibile registrare la richiesta. Riprovi tra qualche minuto.' },
  en: { title: 'Service unavailable', body: 'Your request could not be recorded. Please try again in a few minutes.' },
};

/**
 * The style sheet, `public/citizen/page.css`, read once and written into each page rather than
 * linked: the page loads nothing, not even from this server, so opening it makes no second
 * request that a log or a proxy could tie to the link.
 */
const CSS = publicText('citizen/page.css').trimEnd();
// Inside <style> nothing is unescaped: a `<` could only be the start of `</style>`.
if (CSS.includes('<')) throw new Error('public/citizen/page.css may not contain "<"');
export const STYLE = trusted(CSS);

/**
 * Headers for every page: the style is allowed by its hash and nothing else may load; the token
 * in the address must not leak through a Referer; a page about one citizen is never cached.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
};

/** One language's part. The form has no `action`: it posts back to the address it came from, behind any proxy prefix. */
function section(lang: 'it' | 'en', t: Text, heading: 'h1' | 'h2'): Html {
  const form = t.button === undefined ? '' : html`<form method="post"><button type="submit">${t.button}</button></form>`;
  const title = heading === 'h1' ? html`<h1>${t.title}</h1>` : html`<h2>${t.title}</h2>`;
  return html`<section lang="${lang}">${title}<p>${t.body}</p>${form}</section>`;
}

function page(b: Bilingual): string {
  return documentOf(
    html`<html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><title>${b.it.title} · ${b.en.title}</title><style>${STYLE}</style></head><body><main>${section('it', b.it, 'h1')}${section('en', b.en, 'h2')}</main></body></html>\n`,
  );
}

const LANDING: Bilingual = {
  it: { title: 'Il Suo appuntamento per la vaccinazione', body: "Scelga che cosa fare dell'appuntamento indicato nel messaggio che ha ricevuto." },
  en: { title: 'Your vaccination appointment', body: 'Choose what to do about the appointment given in the message you received.' },
};

/**
 * The citizen's page behind the short link `/r/<token>` (an SMS has room for one link): a button
 * for each action, each posting to `/r/<token>/<action>` (relative, so it works behind a proxy
 * prefix). A GET changes nothing.
 */
export function landingPage(token: string): string {
  const part = (lang: 'it' | 'en', heading: 'h1' | 'h2') => {
    const t = LANDING[lang];
    const title = heading === 'h1' ? html`<h1>${t.title}</h1>` : html`<h2>${t.title}</h2>`;
    const buttons = LINK_ACTIONS.map((a) => html`<form method="post" action="${token}/${a}"><button type="submit">${ASK[a][lang].button ?? a}</button></form>`);
    return html`<section lang="${lang}">${title}<p>${t.body}</p>${buttons}</section>`;
  };
  return documentOf(
    html`<html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><title>${LANDING.it.title} · ${LANDING.en.title}</title><style>${STYLE}</style></head><body><main>${part('it', 'h1')}${part('en', 'h2')}</main></body></html>\n`,
  );
}

/** What a link will do, with the button that does it (a GET must change nothing: mail scanners open links). */
export const askPage = (action: LinkAction): string => page(ASK[action]);

/** What a link did. */
export const donePage = (action: LinkAction): string => page(DONE[action]);

/** An unknown token or action. */
export const notFoundPage = (): string => page(NOT_FOUND);

/** The store failed: the citizen should try again, and nothing says it worked. */
export const unavailablePage = (): string => page(UNAVAILABLE);
