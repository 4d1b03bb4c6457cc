/**
 * The citizen's page behind the short link `/r/<token>` (issue 13, item 3): who writes, the
 * appointment (day, time, centre, address, a map link), and buttons to confirm, decline, change
 * (the next free slots at the citizen's centres, one press rebooks), add it to a calendar (an
 * `.ics` made with the `ics` library) and stop messages — in the citizen's language, with a
 * switch, right-to-left for Arabic. Mobile-first (360×640), labelled, keyboard-usable, AA
 * contrast (public/citizen/page.css). Every action is a POST; a GET changes nothing. It names
 * no one: whoever holds the link sees the appointment, never the citizen's name or contacts.
 */
import { DateTime } from 'luxon';
import { type Html, documentOf, html } from '../web/markup.js';
import { STYLE } from './pages.js';

/** The languages the page speaks, in the switch's order. */
export const PAGE_LANGUAGES = ['it', 'en', 'de', 'ro', 'ar'] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];
const RTL: ReadonlySet<string> = new Set(['ar']);
const LOCALE: Readonly<Record<PageLanguage, string>> = { it: 'it-IT', en: 'en-GB', de: 'de-DE', ro: 'ro-RO', ar: 'ar-u-nu-latn' };
const NAMES: Readonly<Record<PageLanguage, string>> = { it: 'Italiano', en: 'English', de: 'Deutsch', ro: 'Română', ar: 'العربية' };

interface PageText {
  readonly title: string;
  readonly from: string;
  readonly when: string;
  readonly where: string;
  readonly map: string;
  readonly status: string;
  readonly state: Readonly<Record<string, string>>;
  readonly confirm: string;
  readonly decline: string;
  readonly change: string;
  readonly changeHint: string;
  readonly noSlots: string;
  readonly calendar: string;
  readonly stop: string;
  readonly none: string;
  readonly language: string;
  readonly moved: string;
  readonly gone: string;
}

const TEXT: Readonly<Record<PageLanguage, PageText>> = {
  it: {
    title: 'Il Suo appuntamento per la vaccinazione', from: 'Le scrive', when: 'Quando', where: 'Dove', map: 'Apri la mappa', status: 'Stato',
    state: { held: 'da confermare', confirmed: 'confermato', released: 'annullato', attended: 'vaccinazione fatta', no_show: 'non presentato' },
    confirm: 'Confermo', decline: 'Non posso venire', change: 'Scelga un altro orario', changeHint: 'Un tocco prenota il nuovo orario e libera quello di prima.', noSlots: 'Al momento non ci sono altri posti liberi.',
    calendar: 'Aggiungi al calendario', stop: 'Non voglio più ricevere messaggi', none: 'Non risulta un appuntamento per questo link.', language: 'Lingua',
    moved: 'Nuovo appuntamento confermato.', gone: 'Quel posto non è più libero: ne scelga un altro.',
  },
  en: {
    title: 'Your vaccination appointment', from: 'From', when: 'When', where: 'Where', map: 'Open the map', status: 'Status',
    state: { held: 'to be confirmed', confirmed: 'confirmed', released: 'cancelled', attended: 'vaccinated', no_show: 'missed' },
    confirm: 'I confirm', decline: 'I cannot come', change: 'Choose another time', changeHint: 'One tap books the new time and frees the old one.', noSlots: 'There are no other free places at the moment.',
    calendar: 'Add to calendar', stop: 'Stop all messages', none: 'There is no appointment for this link.', language: 'Language',
    moved: 'New appointment confirmed.', gone: 'That place is gone: please choose another.',
  },
  de: {
    title: 'Ihr Impftermin', from: 'Absender', when: 'Wann', where: 'Wo', map: 'Karte öffnen', status: 'Status',
    state: { held: 'zu bestätigen', confirmed: 'bestätigt', released: 'abgesagt', attended: 'geimpft', no_show: 'nicht erschienen' },
    confirm: 'Ich bestätige', decline: 'Ich kann nicht kommen', change: 'Anderen Termin wählen', changeHint: 'Ein Tipp bucht den neuen Termin und gibt den alten frei.', noSlots: 'Zurzeit gibt es keine anderen freien Termine.',
    calendar: 'Zum Kalender hinzufügen', stop: 'Keine Nachrichten mehr', none: 'Zu diesem Link gibt es keinen Termin.', language: 'Sprache',
    moved: 'Neuer Termin bestätigt.', gone: 'Dieser Termin ist vergeben: bitte einen anderen wählen.',
  },
  ro: {
    title: 'Programarea dumneavoastră la vaccinare', from: 'Expeditor', when: 'Când', where: 'Unde', map: 'Deschide harta', status: 'Stare',
    state: { held: 'de confirmat', confirmed: 'confirmată', released: 'anulată', attended: 'vaccinat', no_show: 'absent' },
    confirm: 'Confirm', decline: 'Nu pot veni', change: 'Alegeți altă oră', changeHint: 'O atingere rezervă noua oră și o eliberează pe cea veche.', noSlots: 'Momentan nu sunt alte locuri libere.',
    calendar: 'Adaugă în calendar', stop: 'Nu mai vreau mesaje', none: 'Nu există o programare pentru acest link.', language: 'Limba',
    moved: 'Noua programare este confirmată.', gone: 'Locul nu mai este liber: alegeți altul.',
  },
  ar: {
    title: 'موعد التطعيم الخاص بك', from: 'المرسل', when: 'متى', where: 'أين', map: 'افتح الخريطة', status: 'الحالة',
    state: { held: 'بانتظار التأكيد', confirmed: 'مؤكد', released: 'ملغى', attended: 'تم التطعيم', no_show: 'لم يحضر' },
    confirm: 'أؤكد الموعد', decline: 'لا أستطيع الحضور', change: 'اختر وقتا آخر', changeHint: 'نقرة واحدة تحجز الوقت الجديد وتلغي القديم.', noSlots: 'لا توجد أماكن أخرى متاحة حاليا.',
    calendar: 'أضف إلى التقويم', stop: 'لا أريد تلقي رسائل بعد الآن', none: 'لا يوجد موعد لهذا الرابط.', language: 'اللغة',
    moved: 'تم تأكيد الموعد الجديد.', gone: 'هذا المكان لم يعد متاحا: اختر مكانا آخر.',
  },
};

/** The page's language: the one asked for (the switch), else the citizen's, else Italian. */
export function pageLanguage(asked: string | undefined, citizen: string): PageLanguage {
  const pick = (l: string | undefined) => (PAGE_LANGUAGES as readonly string[]).find((x) => x === l?.toLowerCase().slice(0, 2)) as PageLanguage | undefined;
  return pick(asked) ?? pick(citizen) ?? 'it';
}

export interface PageModel {
  readonly token: string;
  readonly language: PageLanguage;
  readonly sender: string;
  readonly timezone: string;
  readonly appointment: { readonly state: string; readonly start: string; readonly center: { readonly name: string; readonly address: string | null; readonly municipality: string | null } } | null;
  /** Free slots to move to (each posted back by its index). */
  readonly offers: readonly { readonly start: string; readonly centerName: string }[];
  readonly notice?: 'moved' | 'gone';
}

const fmt = (iso: string, zone: string, lang: PageLanguage, f: string) => DateTime.fromISO(iso, { zone }).setLocale(LOCALE[lang]).toFormat(f);

export function citizenPage(m: PageModel): string {
  const t = TEXT[m.language];
  const dir = RTL.has(m.language) ? 'rtl' : 'ltr';
  const a = m.appointment;
  const place = a ? [a.center.address, a.center.municipality].filter(Boolean).join(', ') : '';
  const map = a ? `https://www.openstreetmap.org/search?query=${encodeURIComponent([a.center.name, place].filter(Boolean).join(', '))}` : '';
  const post = (action: string, label: string, cls = '', extra: Html = html``) =>
    html`<form method="post" action="${m.token}/${action}?lang=${m.language}">${extra}<button type="submit"${cls ? html` class="${cls}"` : ''}>${label}</button></form>`;
  const notice = m.notice ? html`<p class="notice" role="status">${m.notice === 'moved' ? t.moved : t.gone}</p>` : html``;
  const live = a && (a.state === 'held' || a.state === 'confirmed');
  const body = a
    ? html`<dl class="appointment">
<dt>${t.when}</dt><dd><strong>${fmt(a.start, m.timezone, m.language, 'cccc d LLLL yyyy')}</strong>, ${fmt(a.start, m.timezone, m.language, 'HH:mm')}</dd>
<dt>${t.where}</dt><dd><strong>${a.center.name}</strong>${place ? html`<br>${place}` : ''}<br><a href="${map}" rel="noopener noreferrer">${t.map}</a></dd>
<dt>${t.status}</dt><dd class="state">${t.state[a.state] ?? a.state}</dd>
</dl>
${live ? html`<div class="actions">${a.state === 'held' ? post('confirm', t.confirm) : ''}${post('decline', t.decline, 'secondary')}</div>
<section aria-labelledby="change"><h2 id="change">${t.change}</h2>${
        m.offers.length
          ? html`<p class="hint">${t.changeHint}</p><div class="slots">${m.offers.map((o, i) => post('change', `${fmt(o.start, m.timezone, m.language, 'ccc d LLL')} · ${fmt(o.start, m.timezone, m.language, 'HH:mm')} · ${o.centerName}`, 'slot', html`<input type="hidden" name="slot" value="${String(i)}">`))}</div>`
          : html`<p>${t.noSlots}</p>`
      }</section>
<p><a class="button secondary" href="${m.token}/calendar.ics" download>${t.calendar}</a></p>` : ''}`
    : html`<p>${t.none}</p>`;
  const switcher = html`<nav aria-label="${t.language}" class="languages">${PAGE_LANGUAGES.map((l) =>
    l === m.language ? html`<span aria-current="true" lang="${l}">${NAMES[l]}</span>` : html`<a href="?lang=${l}" lang="${l}" hreflang="${l}">${NAMES[l]}</a>`,
  )}</nav>`;
  return documentOf(
    html`<html lang="${m.language}" dir="${dir}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow"><title>${t.title}</title><style>${STYLE}</style></head><body><main>
${switcher}
<p class="from">${t.from}: <strong>${m.sender}</strong></p>
<h1>${t.title}</h1>
${notice}${body}
<footer>${post('optout', t.stop, 'quiet')}</footer>
</main></body></html>\n`,
  );
}
