/**
 * The citizens' reply-link pages as a fastify plugin: `GET /r/:token` (the short link an SMS
 * carries: a page with every action) and `GET|POST /r/:token/:action` (confirm, decline, optout);
 * only POST acts. A citizen always gets a page, never JSON: this plugin's own
 * error handler answers "try again" when the store failed and "not valid" otherwise, with the
 * stable code in a header for monitoring and tests.
 *
 * It logs ids and counts only: the token in the address is as good as the citizen's answer.
 */
import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { createEvent } from 'ics';
import { DateTime } from 'luxon';
import { DEFAULT_SENDER } from '../messages/context.js';
import { laterSlotRequest } from '../pacer/allocation.js';
import { citizenPage, pageLanguage } from './citizen-page.js';
import type { Offer, PageTarget, ReplyStore } from './conversation.js';
import { OFFER_LETTERS } from './replies.js';
import { InvitoError } from '../core/errors.js';
import { refusal } from '../web/errors.js';
import { type LinkAction, PAGE_HEADERS, askPage, donePage, isLinkAction, landingPage, notFoundPage, unavailablePage } from './pages.js';
import type { FeedbackStore, LinkTarget } from './store.js';

export interface ReplyLinkOptions {
  readonly store: Pick<FeedbackStore, 'messageByToken' | 'optOutCitizen' | 'recordResponse'>;
  /**
   * The citizen's page (`GET /r/<token>`: the appointment, change, calendar; citizen-page.ts);
   * without it the short link shows a page with the three actions only.
   */
  readonly page?: Pick<ReplyStore, 'pageOf' | 'candidateCenters' | 'offers' | 'moveTo'>;
  /** The clock answers and opt-outs are stamped with. */
  readonly now: () => Date;
}

/** Reply-link tokens are base64url (12 characters, 22 before issue 13); anything else is not worth a query. */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

interface LinkParams {
  token: string;
  action: string;
}

export const replyLinks: FastifyPluginAsync<ReplyLinkOptions> = async (app, options) => {
  const { store, now } = options;
  const log = app.log;

  app.setErrorHandler((e: FastifyError | InvitoError, req, reply) => {
    const { status, error } = refusal(e, req, log);
    return reply.code(status).headers(PAGE_HEADERS).header('x-invito-error', error.code).send(status >= 500 ? unavailablePage() : notFoundPage());
  });

  /** The message behind a reply link; `LINK_NOT_FOUND` for an unknown token or action. */
  const target = async (params: LinkParams): Promise<{ link: LinkTarget; action: LinkAction }> => {
    const { token, action } = params;
    const link = isLinkAction(action) && TOKEN.test(token) ? await store.messageByToken(token) : null;
    if (link === null || !isLinkAction(action)) throw new InvitoError('LINK_NOT_FOUND', 'no message has this reply-link token and action');
    return { link, action };
  };

  const pageStore = options.page;
  /** The page's data for a token; `LINK_NOT_FOUND` when none. */
  const pageTarget = async (token: string): Promise<PageTarget> => {
    const p = TOKEN.test(token) && pageStore ? await pageStore.pageOf(token) : null;
    if (!p) throw new InvitoError('LINK_NOT_FOUND', 'no message has this reply-link token');
    return p;
  };
  /** Up to three later free slots at the citizen's centres (none for an appointment that is over). */
  const offersFor = async (p: PageTarget): Promise<Offer[]> => {
    const a = p.target.appointment;
    if (!pageStore || !a || !p.campaign || (a.state !== 'held' && a.state !== 'confirmed')) return [];
    const centers = await pageStore.candidateCenters(p.target.place);
    const names = new Map(centers.map((c) => [c.centerId, c.name]));
    const found = await pageStore.offers(laterSlotRequest(p.campaign, { appointmentId: a.appointmentId, citizenId: p.target.citizenId, currentStart: a.start }, centers, now()), OFFER_LETTERS.length);
    return found.map((o, i) => ({ ...o, letter: OFFER_LETTERS[i]!, centerName: names.get(o.centerId) ?? o.centerId }));
  };
  const langOf = (req: FastifyRequest) => (req.query as { lang?: string } | undefined)?.lang;

  // The short link an SMS carries: the citizen's page, whose buttons post to the actions.
  app.get<{ Params: { token: string }; Querystring: { lang?: string; done?: string } }>('/r/:token', async (req, reply) => {
    const { token } = req.params;
    if (!pageStore) {
      if (!TOKEN.test(token) || (await store.messageByToken(token)) === null) throw new InvitoError('LINK_NOT_FOUND', 'no message has this reply-link token');
      return reply.code(200).headers(PAGE_HEADERS).send(landingPage(token));
    }
    const p = await pageTarget(token);
    const a = p.target.appointment;
    const done = req.query.done === 'moved' || req.query.done === 'gone' ? req.query.done : undefined;
    return reply.code(200).headers(PAGE_HEADERS).send(
      citizenPage({
        token,
        language: pageLanguage(req.query.lang, p.target.language),
        sender: p.campaign?.sender ?? DEFAULT_SENDER,
        timezone: p.campaign?.timezone ?? 'Europe/Rome',
        appointment: a ? { state: a.state, start: a.start, center: a.center } : null,
        offers: (await offersFor(p)).map((o) => ({ start: o.start, centerName: o.centerName })),
        ...(done ? { notice: done } : {}),
      }),
    );
  });

  // The appointment as a calendar file (the `ics` library): a GET that changes nothing.
  app.get<{ Params: { token: string } }>('/r/:token/calendar.ics', async (req, reply) => {
    const p = await pageTarget(req.params.token);
    const a = p.target.appointment;
    if (!a) throw new InvitoError('LINK_NOT_FOUND', 'this link has no appointment');
    const start = DateTime.fromISO(a.start).toUTC();
    const { error, value } = createEvent({
      start: [start.year, start.month, start.day, start.hour, start.minute],
      startInputType: 'utc',
      startOutputType: 'utc',
      duration: { minutes: p.campaign?.appointments.slot_minutes ?? 15 },
      title: p.campaign?.name ?? 'Vaccinazione',
      location: [a.center.name, a.center.address, a.center.municipality].filter(Boolean).join(', '),
      uid: `${a.appointmentId}@invito`,
      productId: 'invito',
    });
    if (error || !value) throw new InvitoError('INTERNAL', `the calendar file could not be made (${error?.message ?? 'no value'})`);
    return reply.code(200).headers({ ...PAGE_HEADERS, 'content-type': 'text/calendar; charset=utf-8', 'content-disposition': 'attachment; filename="vaccinazione.ics"' }).send(value);
  });

  // One press on a slot of the page: the appointment moves there, the old slot freed in the same transaction.
  app.post<{ Params: { token: string } }>('/r/:token/change', async (req, reply) => {
    const p = await pageTarget(req.params.token);
    const a = p.target.appointment;
    const lang = pageLanguage(langOf(req), p.target.language);
    const index = Number((req.body as Record<string, string> | undefined)?.slot);
    const offer = (await offersFor(p))[index];
    let done: 'moved' | 'gone' = 'gone';
    if (a && offer && (await pageStore!.moveTo(a.appointmentId, offer, now().toISOString()))) {
      done = 'moved';
      await store.recordResponse({ responseId: `${p.messageId}.change.${offer.day}.${offer.centerId}.${offer.seq}`, citizenId: p.target.citizenId, messageId: p.messageId, channel: 'link', kind: 'change', body: null, at: now().toISOString(), action: 'moved' });
    }
    log.info({ messageId: p.messageId, done }, 'appointment change by link');
    return reply.redirect(`../${encodeURIComponent(req.params.token)}?lang=${lang}&done=${done}`, 303);
  });

  // GET only describes: mail scanners and link previews open every link they see.
  app.get<{ Params: LinkParams }>('/r/:token/:action', async (req, reply) => {
    const { action } = await target(req.params);
    return reply.code(200).headers(PAGE_HEADERS).send(askPage(action));
  });

  // POST acts: the page's button, or a mail client's RFC 8058 one-click unsubscribe
  // (`List-Unsubscribe=One-Click`), which posts without ever showing the page.
  app.post<{ Params: LinkParams }>('/r/:token/:action', async (req, reply) => {
    const { link, action } = await target(req.params);
    const at = now().toISOString();
    if (action === 'optout') {
      const r = await store.optOutCitizen(link.citizenId, 'link', at);
      log.info({ messageId: link.messageId, citizens: r.citizens, messagesStopped: r.messagesStopped }, 'opt-out by link');
    } else {
      // One response per message and action, so a second press (or a retried POST) adds nothing.
      await store.recordResponse({
        responseId: `${link.messageId}.${action}`,
        citizenId: link.citizenId,
        messageId: link.messageId,
        channel: 'link',
        kind: action,
        body: null,
        at,
      });
      log.info({ messageId: link.messageId, kind: action }, 'link response recorded');
    }
    // From the citizen's page (its forms carry ?lang=): back to it, showing the new state.
    const lang = langOf(req);
    if (pageStore && lang) return reply.redirect(`../${encodeURIComponent(req.params.token)}?lang=${pageLanguage(lang, 'it')}`, 303);
    return reply.code(200).headers(PAGE_HEADERS).send(donePage(action));
  });
};
