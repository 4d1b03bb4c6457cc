/**
 * The citizens' reply-link pages as a fastify plugin: `GET /r/:token` (the short link an SMS
 * carries: a page with every action) and `GET|POST /r/:token/:action` (confirm, decline, optout);
 * only POST acts. A citizen always gets a page, never JSON: this plugin's own
 * error handler answers "try again" when the store failed and "not valid" otherwise, with the
 * stable code in a header for monitoring and tests.
 *
 * It logs ids and counts only: the token in the address is as good as the citizen's answer.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { InvitoError } from '../core/errors.js';
import { refusal } from '../web/errors.js';
import { type LinkAction, PAGE_HEADERS, askPage, donePage, isLinkAction, landingPage, notFoundPage, unavailablePage } from './pages.js';
import type { FeedbackStore, LinkTarget } from './store.js';

export interface ReplyLinkOptions {
  readonly store: Pick<FeedbackStore, 'messageByToken' | 'optOutCitizen' | 'recordResponse'>;
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

  // The short link an SMS carries: the citizen's page, whose buttons post to the actions.
  app.get<{ Params: { token: string } }>('/r/:token', async (req, reply) => {
    const { token } = req.params;
    if (!TOKEN.test(token) || (await store.messageByToken(token)) === null) throw new InvitoError('LINK_NOT_FOUND', 'no message has this reply-link token');
    return reply.code(200).headers(PAGE_HEADERS).send(landingPage(token));
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
    return reply.code(200).headers(PAGE_HEADERS).send(donePage(action));
  });
};
