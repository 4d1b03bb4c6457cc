/**
 * The web console inside `invito serve`, under `/console`: operators sign in, take the next
 * call, walk the script and record the outcome; supervisors watch the lists and move tasks.
 *
 * Security, in one place:
 * - sessions: a random id in an HttpOnly, SameSite=Lax cookie (Secure when the public URL is
 *   https), only its SHA-256 stored, idle and absolute expiry (sessions.ts);
 * - CSRF: every form carries the session's synchronizer token and every POST is refused
 *   without it (`CSRF_INVALID`); the sign-in form, before any session, uses a double-submit
 *   cookie so no one can sign a desk in as someone else;
 * - sign-in: the desk checks the scrypt hash; every failure gets one message after the same
 *   pause, whatever failed (no operator enumeration); a disabled operator's sessions stop working
 *   at their next request;
 * - guessing: failures are counted per client address (@fastify/rate-limit, in this process) and
 *   per account (on the operator's row, so in every process); past either limit the attempt is
 *   refused before any password is checked (`SIGN_IN_THROTTLED`, `SIGN_IN_LOCKED`), and every
 *   failure is logged with the operator id and the address, never what was typed as a password;
 * - HSTS on every console response when the public URL is https;
 * - roles: supervisor pages refuse operators (`FORBIDDEN`).
 *
 * Logs carry operator and task ids only: pages show names and phones, and nothing of them is logged.
 */
import { randomBytes } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { DISPOSITIONS, type Disposition } from '../campaigns/schema-desk.js';
import { can } from '../authority/access.js';
import type { AuditLog } from '../authority/audit.js';
import { ERRORS, InvitoError, isInvitoError } from '../core/errors.js';
import { type Desk, type DoneInput, type Operator, SignInError, type TaskCard } from '../desk/desk.js';
import { publicAsset } from '../web/assets.js';
import { BASE, CSS_PATH, JS_PATH, type Notice, PAGE_HEADERS, type Viewer } from './layout.js';
import { citizenHistory, type HistoryStore, type RepliesToReadStore } from '../reports/citizen.js';
import type { Line } from '../desk/line.js';
import { type WrapUp, callPage, citizenPage, deskPage, doneNotice, lineCallPage, linePage, messagePage, repliesPage, signInPage, supervisorPage } from './pages.js';
import { SESSION_COOKIE, SESSION_COOKIE_PATH, type Session, Sessions, cookieValue, csrfMatches, signedIn } from './sessions.js';
import type { ConsoleStore } from './store.js';
import { answer, back, newWalk, parseWalk, walkState } from './walk.js';

/** What the console uses of the desk. */
export type ConsoleDesk = Pick<Desk, 'authenticate' | 'operator' | 'operators' | 'unlockOperator' | 'next' | 'card' | 'done' | 'list' | 'task' | 'release' | 'reassign' | 'stats'>;

/** What `invito serve` gives the console. */
export interface ConsoleOptions {
  readonly desk: ConsoleDesk;
  /** Sessions. */
  readonly store: ConsoleStore;
  /** A campaign's time zone: callback times are typed and shown in it. */
  readonly campaignZone: (campaignId: string) => Promise<string>;
  /** One citizen's history (`/console/citizens/:id`) and the replies nobody understood (`/console/replies`). */
  readonly history: HistoryStore & RepliesToReadStore;
  /** The free-phone line's distribution: "ready for inbound", the caller's screen, the supervisor's queues. Absent: no line. */
  readonly line?: Pick<Line, 'setReady' | 'operatorView' | 'view' | 'lineCall' | 'operators'>;
  /** Sign-ins (and failed ones), sign-outs, dispositions, opt-outs and unlocks are recorded here. */
  readonly audit: Pick<AuditLog, 'record'>;
}

export interface ConsoleDeps extends ConsoleOptions {
  /** The server's public base URL: https makes the cookies Secure. */
  readonly publicUrl: () => string;
  /** Wall-clock time for session expiry. @defaultValue the system clock */
  readonly now?: () => Date;
}

/** Where the server mounts the console: every link and redirect in it points below this. */
export const CONSOLE_PREFIX = BASE;

/** The sign-in form's double-submit token, before there is a session to hold one. */
const SIGN_IN_COOKIE = 'invito_sign_in';
/**
 * A failed sign-in answers this long after it arrived, whatever failed: guessing is slow, and an
 * unknown id (no hash to check) takes as long as a wrong password (a scrypt check).
 */
const SIGN_IN_FAILURE_MS = 750;
const SIGN_IN_FAILED_TEXT = 'Sign-in failed: the operator id or the password is not right, or the account cannot sign in. Ask a supervisor if it keeps failing.';
/**
 * Failed sign-ins one client address may make in `windowMs` before its attempts are refused
 * unchecked (`SIGN_IN_THROTTLED`). Only failures count: a call centre behind one NAT address
 * signs its whole shift in at eight. Kept in the process's memory: the account lock is the one
 * that holds across processes and restarts.
 */
export const SIGN_IN_ADDRESS_LIMIT = { maxFailures: 20, windowMs: 15 * 60_000 } as const;
/** The media types of the files in `public/console/`. */
/** The console's style sheet and script (public/console/), read once, served by path with their media type. */
const ASSETS = [
  ['/console.css', 'text/css; charset=utf-8', publicAsset('console/console.css')],
  ['/console.js', 'text/javascript; charset=utf-8', publicAsset('console/console.js')],
] as const;
/** One year; without includeSubDomains, since other services may live under the same domain. */
const HSTS = 'max-age=31536000';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One cookie's value from the request's Cookie header. */
export function readCookie(req: FastifyRequest, name: string): string | undefined {
  return cookieValue(req.headers.cookie, name);
}

/** A form field as a string ('' when absent or repeated oddly). */
const field = (req: FastifyRequest, name: string): string => {
  const body = req.body as Record<string, unknown> | null | undefined;
  const v = body && typeof body === 'object' ? body[name] : undefined;
  return typeof v === 'string' ? v : '';
};

interface Signed {
  readonly session: Session;
  readonly operator: Operator;
  readonly viewer: Viewer;
}

/**
 * The console as a fastify plugin: its routes, its own error and not-found pages, its session
 * check, sign-in limits and HSTS, and its style sheet and script (`public/console/`), all
 * encapsulated, so nothing of it reaches the webhooks or the citizens' pages beside it. The
 * server mounts it under `CONSOLE_PREFIX`, where its links and redirects point.
 *
 * @example
 * app.register(consolePlugin, { desk, store: new KyselyConsoleStore(db), campaignZone, publicUrl: () => 'https://invito.example.org', prefix: CONSOLE_PREFIX });
 */
export const consolePlugin: FastifyPluginAsync<ConsoleDeps> = async (scope, deps) => {
  const now = deps.now ?? (() => new Date());
  /** Citizens' pages, replies and the line are shown in the installation's zone (Italy's). */
  const CITIZEN_ZONE = 'Europe/Rome';
  const sessions = new Sessions(deps.store, now);
  const { desk } = deps;
  const log = scope.log;
  const signed = new WeakMap<FastifyRequest, Signed>();

  const https = (): boolean => deps.publicUrl().startsWith('https:');
  /** Times on the sign-in page, in the server's zone (named next to them), as on the supervisor's page. */
  const serverZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const at = (iso: string): string => `${DateTime.fromISO(iso, { zone: serverZone }).toFormat('yyyy-LL-dd HH:mm')} (${serverZone})`;

  const cookie = (name: string, value: string, path: string, clear = false): string =>
    `${name}=${value}; Path=${path}; HttpOnly; SameSite=Lax${https() ? '; Secure' : ''}${clear ? '; Max-Age=0' : ''}`;

  const send = (reply: FastifyReply, status: number, body: string, code?: string) => {
    reply.code(status).headers(PAGE_HEADERS);
    if (code) reply.header('x-invito-error', code);
    return reply.send(body);
  };

  const errorNotice = (e: InvitoError): Notice => ({ kind: 'error', text: e.message, code: e.code });

  const signInForm = (reply: FastifyReply, status: number, o: { operatorId?: string; notice?: Notice; code?: string }) => {
    const formToken = randomBytes(24).toString('base64url');
    reply.header('set-cookie', cookie(SIGN_IN_COOKIE, formToken, `${BASE}/sign-in`));
    return send(reply, status, signInPage({ formToken, ...o }), o.code);
  };

  const publicRoute = (req: FastifyRequest): boolean => {
    const url = req.routeOptions.url;
    return url === `${BASE}/sign-in` || url === CSS_PATH || url === JS_PATH;
  };

  // Not global: only the sign-in form counts failures per address, through `createRateLimit`.
  await scope.register(rateLimit, { global: false });
  const addressFailures = scope.createRateLimit({ max: SIGN_IN_ADDRESS_LIMIT.maxFailures, timeWindow: SIGN_IN_ADDRESS_LIMIT.windowMs });

  scope.addHook('onSend', async (_req, reply, payload) => {
    if (https()) reply.header('strict-transport-security', HSTS);
    return payload;
  });

  scope.setNotFoundHandler((req, reply) => send(reply, 404, messagePage('Not found', { kind: 'error', text: `There is no page ${req.url.split('?')[0]}.`, code: 'USAGE' }), 'USAGE'));

  scope.setErrorHandler((e: Error, req, reply) => {
    const ctx = signed.get(req);
    if (isInvitoError(e)) {
      log.warn({ route: req.routeOptions.url ?? null, code: e.code, operatorId: ctx?.operator.operatorId ?? null }, 'console request refused');
      return send(reply, e.status, messagePage('Not possible', errorNotice(e), ctx?.viewer), e.code);
    }
    const status = (e as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) return send(reply, status, messagePage('Not possible', { kind: 'error', text: 'The request was not understood.', code: 'USAGE' }, ctx?.viewer), 'USAGE');
    log.error({ route: req.routeOptions.url ?? null, err: e.message }, 'console request failed');
    return send(reply, 500, messagePage('Something went wrong', { kind: 'error', text: 'The request could not be processed; try again.', code: 'INTERNAL' }, ctx?.viewer), 'INTERNAL');
  });

  // Who is asking, before any handler runs: pages without a session go to the sign-in
  // page; a POST without one is refused (its form data would be lost by a redirect anyway).
  scope.addHook('preHandler', async (req, reply) => {
    if (publicRoute(req)) return;
    const who = await signedIn(sessions, desk, req.headers.cookie);
    if (!who) {
      if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect(`${BASE}/sign-in`, 303);
      return signInForm(reply, 401, { notice: { kind: 'error', text: 'Your session has ended: sign in again.', code: 'SIGN_IN_REQUIRED' }, code: 'SIGN_IN_REQUIRED' });
    }
    const { session, account: operator } = who;
    const viewer: Viewer = { operatorId: operator.operatorId, name: operator.name, role: operator.role, csrfToken: session.csrfToken };
    signed.set(req, { session, operator, viewer });
    if (req.method === 'POST' && !csrfMatches(session, field(req, '_csrf'))) {
      log.warn({ route: req.routeOptions.url ?? null, operatorId: operator.operatorId }, 'console POST without a valid CSRF token');
      return send(reply, 403, messagePage('Form expired', { kind: 'error', text: 'This form is out of date or did not come from the console: reload the page and try again.', code: 'CSRF_INVALID' }, viewer), 'CSRF_INVALID');
    }
    // The authority's managers and viewers do not work calls: their home is the dashboard.
    if (!can(operator.role, 'desk.work') && req.routeOptions.url !== `${BASE}/sign-out`) {
      if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect('/', 303);
      throw new InvitoError('FORBIDDEN', 'the call desk is for operators and supervisors');
    }
  });

  const ctx = (req: FastifyRequest): Signed => signed.get(req)!;
  const supervisor = (req: FastifyRequest): Signed => {
    const c = ctx(req);
    if (!can(c.operator.role, 'desk.supervise')) throw new InvitoError('FORBIDDEN', 'this page is for supervisors');
    return c;
  };

  // The style sheet and the script, files of public/console/ read once at start-up: one route per
  // file (nothing else under /console is looked up on disk), with an ETag of the content to
  // revalidate by on every page (`no-cache`), so a new release's file is used at once.
  for (const [path, type, asset] of ASSETS) {
    scope.get(path, async (req, reply) => {
      reply.header('content-type', type).header('etag', asset.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
      if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }

  scope.get('/', async (_req, reply) => reply.redirect(`${BASE}/desk`, 303));

  // ── signing in and out ──────────────────────────────────────────────────────
  scope.get('/sign-in', async (_req, reply) => signInForm(reply, 200, {}));

  scope.post('/sign-in', async (req, reply) => {
    const operatorId = field(req, 'operator').trim();
    const formToken = readCookie(req, SIGN_IN_COOKIE);
    if (!formToken || formToken !== field(req, '_csrf')) {
      return signInForm(reply, 403, { operatorId, notice: { kind: 'error', text: 'The sign-in form is out of date: try again.', code: 'CSRF_INVALID' }, code: 'CSRF_INVALID' });
    }
    const started = performance.now();
    /**
     * Every refusal: logged with the operator id only when it names an account (a mistyped
     * id can be a password) and the client's address, then answered after the same pause.
     */
    const refuse = async (code: 'SIGN_IN_FAILED' | 'SIGN_IN_LOCKED' | 'SIGN_IN_THROTTLED', known: boolean, text: string, retryAfterMs?: number) => {
      log.warn({ operatorId: known ? operatorId : null, address: req.ip, code }, 'console sign-in failed');
      await deps.audit.record({ actor: known ? operatorId : '-', action: 'sign-in.failed', origin: req.ip, details: { code } });
      await sleep(Math.max(0, SIGN_IN_FAILURE_MS - (performance.now() - started)));
      if (retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
      return signInForm(reply, ERRORS[code].status, { operatorId, notice: { kind: 'error', text, code }, code });
    };
    const seen = await addressFailures(req, { increment: false });
    if (!seen.isAllowed && seen.remaining === 0) {
      const known = await desk.operator(operatorId).then(
        () => true,
        (e: unknown) => {
          if (isInvitoError(e) && e.code === 'OPERATOR_NOT_FOUND') return false;
          throw e;
        },
      );
      return refuse('SIGN_IN_THROTTLED', known, `Too many failed sign-ins from this address: try again after ${at(new Date(Date.now() + seen.ttl).toISOString())}.`, seen.ttl);
    }
    let operator: Operator;
    try {
      operator = await desk.authenticate(operatorId, field(req, 'password'));
    } catch (e) {
      if (!isInvitoError(e) || (e.code !== 'SIGN_IN_FAILED' && e.code !== 'SIGN_IN_LOCKED' && e.code !== 'OPERATOR_NOT_FOUND' && e.code !== 'OPERATOR_DISABLED' && e.code !== 'USAGE')) throw e;
      await addressFailures(req);
      const known = e instanceof SignInError && e.operatorKnown;
      const until = e instanceof SignInError ? e.lockedUntil : null;
      if (e.code === 'SIGN_IN_LOCKED' && until !== null) {
        return refuse('SIGN_IN_LOCKED', known, `This account is locked after too many failed sign-ins, until ${at(until)}. Try again then, or ask a supervisor to unlock it.`, Date.parse(until) - now().getTime());
      }
      return refuse('SIGN_IN_FAILED', known, SIGN_IN_FAILED_TEXT);
    }
    if (operator.disabled) throw new InvitoError('INTERNAL', 'the desk signed in a disabled operator');
    // A session left over in this browser is ended: a new id at every sign-in (no fixation).
    const old = await sessions.find(readCookie(req, SESSION_COOKIE));
    if (old) await sessions.end(old);
    await sessions.sweep();
    const { id } = await sessions.start(operator.operatorId);
    log.info({ operatorId: operator.operatorId }, 'console sign-in');
    await deps.audit.record({ actor: operator.operatorId, action: 'sign-in', origin: req.ip });
    reply.header('set-cookie', [cookie(SESSION_COOKIE, id, SESSION_COOKIE_PATH), cookie(SIGN_IN_COOKIE, '', `${BASE}/sign-in`, true)]);
    // Each role's home: the desk's roles the console, the authority's staff the dashboard.
    return reply.redirect(operator.role === 'supervisor' ? `${BASE}/supervisor` : operator.role === 'operator' ? `${BASE}/desk` : '/', 303);
  });

  scope.post('/sign-out', async (req, reply) => {
    const c = ctx(req);
    await sessions.end(c.session);
    log.info({ operatorId: c.operator.operatorId }, 'console sign-out');
    await deps.audit.record({ actor: c.operator.operatorId, action: 'sign-out', origin: req.ip });
    reply.header('set-cookie', cookie(SESSION_COOKIE, '', SESSION_COOKIE_PATH, true));
    return reply.redirect(`${BASE}/sign-in`, 303);
  });

  // ── the operator's desk ─────────────────────────────────────────────────────
  const renderDesk = async (req: FastifyRequest, reply: FastifyReply, status: number, notice?: Notice) => {
    const c = ctx(req);
    const held = await desk.list({ operatorId: c.operator.operatorId, state: 'leased' });
    const onLine = deps.line ? await deps.line.operatorView(c.operator.operatorId) : null;
    const inbound = onLine?.operator ? { operator: onLine.operator, call: onLine.call } : undefined;
    return send(reply, status, deskPage(c.viewer, { held, ...(notice ? { notice } : {}), ...(inbound ? { inbound } : {}) }), notice?.kind === 'error' ? notice.code : undefined);
  };

  // ── the free-phone line: ready for inbound, the caller's screen ─────────────
  const line = (): NonNullable<ConsoleOptions['line']> => {
    if (!deps.line) throw new InvitoError('USAGE', 'this server has no free-phone line (it needs the voice templates)');
    return deps.line;
  };
  for (const [path, ready] of [['/desk/line/ready', true], ['/desk/line/pause', false]] as const) {
    scope.post(path, async (req, reply) => {
      const c = ctx(req);
      try {
        await line().setReady(c.operator.operatorId, ready);
      } catch (e) {
        if (!isInvitoError(e)) throw e;
        return renderDesk(req, reply, e.status, errorNotice(e));
      }
      return reply.redirect(`${BASE}/desk`, 303);
    });
  }

  scope.get<{ Params: { callSid: string } }>('/line/:callSid', async (req, reply) => {
    const c = ctx(req);
    const call = await line().lineCall(req.params.callSid);
    // Only the operator the caller was connected to, or a supervisor.
    if (!call || (!can(c.operator.role, 'desk.supervise') && call.operatorId !== c.operator.operatorId)) {
      return send(reply, 404, messagePage('Call not found', { kind: 'error', text: `No call ${req.params.callSid} of yours on the line.`, code: 'TASK_NOT_FOUND' }, c.viewer), 'TASK_NOT_FOUND');
    }
    return send(reply, 200, lineCallPage(c.viewer, call, CITIZEN_ZONE, now()));
  });

  scope.get<{ Querystring: { id?: string } }>('/citizens', async (req, reply) => {
    const id = typeof req.query.id === 'string' ? req.query.id.trim() : '';
    return reply.redirect(id ? `${BASE}/citizens/${encodeURIComponent(id)}` : `${BASE}/desk`, 303);
  });

  scope.get<{ Querystring: { done?: string } }>('/desk', async (req, reply) => {
    // After a call (post/redirect/get): say what became of the task just recorded.
    const done = typeof req.query.done === 'string' ? req.query.done : '';
    let notice: Notice | undefined;
    if (done) {
      try {
        const task = await desk.task(done);
        const last = task.lastDisposition;
        const outcome = task.state === 'closed' ? 'closed' : last === 'callback' ? 'callback' : 'recycled';
        notice = doneNotice(outcome, task, await deps.campaignZone(task.campaignId));
      } catch (e) {
        if (!isInvitoError(e)) throw e;
      }
    }
    return renderDesk(req, reply, 200, notice);
  });

  scope.post('/desk/next', async (req, reply) => {
    const c = ctx(req);
    let card: TaskCard | null;
    try {
      card = await desk.next(c.operator.operatorId);
    } catch (e) {
      if (!isInvitoError(e)) throw e;
      return renderDesk(req, reply, e.status, errorNotice(e));
    }
    if (card === null) return renderDesk(req, reply, 200, { kind: 'ok', text: 'No call is due now. Try again in a few minutes.' });
    const taskId = card.task.taskId;
    // The desk hands back a call still open first: its walk goes on where it was.
    if (parseWalk(c.session.walk, taskId).steps.length === 0) await sessions.setWalk(c.session, JSON.stringify(newWalk(taskId)));
    log.info({ operatorId: c.operator.operatorId, taskId }, 'call taken');
    return reply.redirect(`${BASE}/calls/${encodeURIComponent(taskId)}`, 303);
  });

  // ── one call ────────────────────────────────────────────────────────────────
  const renderCall = async (req: FastifyRequest, reply: FastifyReply, card: TaskCard, status: number, o: { notice?: Notice; wrapUp?: WrapUp } = {}) => {
    const c = ctx(req);
    const walk = parseWalk(signed.get(req)!.session.walk, card.task.taskId);
    const zone = await deps.campaignZone(card.task.campaignId);
    return send(reply, status, callPage(c.viewer, card, { walk: walkState(card.tree, walk), zone, now: now(), ...o }), o.notice?.kind === 'error' ? o.notice.code : undefined);
  };

  /** Keeps the request's view of the walk in step with what was just stored. */
  const storeWalk = async (req: FastifyRequest, walk: string | null): Promise<void> => {
    const c = ctx(req);
    await sessions.setWalk(c.session, walk);
    signed.set(req, { ...c, session: { ...c.session, walk } });
  };

  scope.get<{ Params: { taskId: string } }>('/calls/:taskId', async (req, reply) => {
    const card = await desk.card(ctx(req).operator.operatorId, req.params.taskId);
    return renderCall(req, reply, card, 200);
  });

  scope.post<{ Params: { taskId: string } }>('/calls/:taskId/answer', async (req, reply) => {
    const c = ctx(req);
    const card = await desk.card(c.operator.operatorId, req.params.taskId);
    const walk = parseWalk(c.session.walk, card.task.taskId);
    try {
      await storeWalk(req, JSON.stringify(answer(card.tree, walk, field(req, 'node'), field(req, 'answer'))));
    } catch (e) {
      if (!isInvitoError(e)) throw e;
      return renderCall(req, reply, card, e.status, { notice: errorNotice(e) });
    }
    return reply.redirect(`${BASE}/calls/${encodeURIComponent(card.task.taskId)}`, 303);
  });

  scope.post<{ Params: { taskId: string } }>('/calls/:taskId/back', async (req, reply) => {
    const c = ctx(req);
    const card = await desk.card(c.operator.operatorId, req.params.taskId);
    await storeWalk(req, JSON.stringify(back(parseWalk(c.session.walk, card.task.taskId))));
    return reply.redirect(`${BASE}/calls/${encodeURIComponent(card.task.taskId)}`, 303);
  });

  scope.post<{ Params: { taskId: string } }>('/calls/:taskId/done', async (req, reply) => {
    const c = ctx(req);
    const card = await desk.card(c.operator.operatorId, req.params.taskId);
    const taskId = card.task.taskId;
    const wrapUp: WrapUp = {
      note: field(req, 'note'),
      callbackAt: field(req, 'callbackAt'),
      callbackFor: field(req, 'callbackFor') === 'anyone' ? 'anyone' : 'me',
    };
    const state = walkState(card.tree, parseWalk(c.session.walk, taskId));
    try {
      const disposition = field(req, 'disposition');
      if (!(DISPOSITIONS as readonly string[]).includes(disposition)) {
        throw new InvitoError('DISPOSITION_UNKNOWN', `"${disposition.slice(0, 40)}" is not a disposition (${DISPOSITIONS.join(', ')})`);
      }
      const input: DoneInput = {
        disposition,
        answers: state.answers,
        ...(wrapUp.note?.trim() ? { note: wrapUp.note.trim() } : {}),
        ...((disposition as Disposition) === 'callback' ? callbackOf(wrapUp, await deps.campaignZone(card.task.campaignId)) : {}),
        ...(disposition === 'booked' && field(req, 'otherSlot') === '1' ? { otherSlot: true } : {}),
      };
      const r = await desk.done(c.operator.operatorId, taskId, input);
      log.info({ operatorId: c.operator.operatorId, taskId, disposition, outcome: r.outcome }, 'call recorded');
      await deps.audit.record({ actor: c.operator.operatorId, action: 'call.disposition', target: taskId, origin: req.ip, details: { disposition, outcome: r.outcome } });
      if (disposition === 'do_not_call') await deps.audit.record({ actor: c.operator.operatorId, action: 'citizen.opt-out', target: card.citizen.citizenId, origin: req.ip, details: { task: taskId } });
    } catch (e) {
      if (!isInvitoError(e)) throw e;
      // Nothing was recorded: the same screen, the operator's note and time kept, and why.
      return renderCall(req, reply, card, e.status, { notice: errorNotice(e), wrapUp });
    }
    await storeWalk(req, null);
    return reply.redirect(`${BASE}/desk?done=${encodeURIComponent(taskId)}`, 303);
  });

  // ── a citizen at a glance, and the replies to read (operators and supervisors) ──
  scope.get<{ Params: { citizenId: string } }>('/citizens/:citizenId', async (req, reply) => {
    const c = ctx(req);
    const h = await citizenHistory(deps.history, req.params.citizenId);
    if (!h) return send(reply, 404, messagePage('Citizen not found', { kind: 'error', text: `No citizen ${req.params.citizenId} in the registry.`, code: 'CITIZEN_NOT_FOUND' }, c.viewer), 'CITIZEN_NOT_FOUND');
    log.info({ operatorId: c.operator.operatorId, citizenId: h.citizen.citizen_id }, 'citizen page viewed');
    return send(reply, 200, citizenPage(c.viewer, h, CITIZEN_ZONE));
  });

  scope.get<{ Querystring: { read?: string } }>('/replies', async (req, reply) => {
    const c = ctx(req);
    const rows = await deps.history.repliesToRead(200);
    return send(reply, 200, repliesPage(c.viewer, rows, CITIZEN_ZONE, req.query.read ? { kind: 'ok', text: 'Marked read.' } : undefined));
  });

  scope.post<{ Params: { responseId: string } }>('/replies/:responseId/read', async (req, reply) => {
    const c = ctx(req);
    await deps.history.markRead(req.params.responseId, c.operator.operatorId, now().toISOString());
    return reply.redirect(`${BASE}/replies?read=1`, 303);
  });

  // ── supervisors ─────────────────────────────────────────────────────────────
  const renderSupervisor = async (req: FastifyRequest, reply: FastifyReply, status: number, notice?: Notice) => {
    const c = supervisor(req);
    const [stats, tasks, operators] = await Promise.all([desk.stats(), desk.list({ state: 'leased' }), desk.operators()]);
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return send(reply, status, supervisorPage(c.viewer, { stats, tasks, operators, zone, now: now(), ...(notice ? { notice } : {}) }), notice?.kind === 'error' ? notice.code : undefined);
  };

  scope.get<{ Querystring: { released?: string; reassigned?: string; unlocked?: string } }>('/supervisor', async (req, reply) => {
    // After a release, reassignment or unlock (post/redirect/get): said from the task or the
    // operator as it is now, so a crafted link cannot put words on the page.
    const { released, reassigned, unlocked } = req.query;
    if (typeof unlocked === 'string') {
      const op = await desk.operator(unlocked).catch((e: unknown) => {
        if (isInvitoError(e)) return null;
        throw e;
      });
      return renderSupervisor(req, reply, 200, op && op.lockedUntil === null ? { kind: 'ok', text: `Operator ${op.operatorId} can sign in again.` } : undefined);
    }
    const id = typeof released === 'string' ? released : typeof reassigned === 'string' ? reassigned : '';
    let notice: Notice | undefined;
    if (id) {
      const task = await desk.task(id).catch((e: unknown) => {
        if (isInvitoError(e)) return null;
        throw e;
      });
      if (task && typeof released === 'string' && task.state === 'open') notice = { kind: 'ok', text: `Task ${task.taskId} is back on the list.` };
      if (task && typeof reassigned === 'string' && task.leaseOperator) notice = { kind: 'ok', text: `Task ${task.taskId} now belongs to ${task.leaseOperator}.` };
    }
    return renderSupervisor(req, reply, 200, notice);
  });

  scope.get('/supervisor/line', async (req, reply) => {
    const c = supervisor(req);
    const [view, operators] = await Promise.all([line().view(), line().operators()]);
    return send(reply, 200, linePage(c.viewer, { view, operators, zone: CITIZEN_ZONE, now: now() }));
  });

  scope.post<{ Params: { taskId: string } }>('/supervisor/tasks/:taskId/release', async (req, reply) => {
    const c = supervisor(req);
    try {
      await desk.release(req.params.taskId);
    } catch (e) {
      if (!isInvitoError(e)) throw e;
      return renderSupervisor(req, reply, e.status, errorNotice(e));
    }
    log.info({ operatorId: c.operator.operatorId, taskId: req.params.taskId }, 'task released');
    return reply.redirect(`${BASE}/supervisor?released=${encodeURIComponent(req.params.taskId)}`, 303);
  });

  scope.post<{ Params: { operatorId: string } }>('/supervisor/operators/:operatorId/unlock', async (req, reply) => {
    const c = supervisor(req);
    const id = req.params.operatorId;
    try {
      await desk.unlockOperator(id);
      await deps.audit.record({ actor: c.operator.operatorId, action: 'account.unlock', target: id, origin: req.ip });
    } catch (e) {
      if (!isInvitoError(e)) throw e;
      return renderSupervisor(req, reply, e.status, errorNotice(e));
    }
    log.info({ operatorId: c.operator.operatorId, unlocked: id }, 'operator unlocked');
    return reply.redirect(`${BASE}/supervisor?unlocked=${encodeURIComponent(id)}`, 303);
  });

  scope.post<{ Params: { taskId: string } }>('/supervisor/tasks/:taskId/reassign', async (req, reply) => {
    const c = supervisor(req);
    const to = field(req, 'operator');
    try {
      await desk.reassign(req.params.taskId, to);
    } catch (e) {
      if (!isInvitoError(e)) throw e;
      return renderSupervisor(req, reply, e.status, errorNotice(e));
    }
    log.info({ operatorId: c.operator.operatorId, taskId: req.params.taskId, to }, 'task reassigned');
    return reply.redirect(`${BASE}/supervisor?reassigned=${encodeURIComponent(req.params.taskId)}`, 303);
  });
};

/**
 * The callback of the wrap-up form: `datetime-local` gives a wall-clock time without a zone,
 * read in the campaign's zone (the one the page names). An empty or unreadable time is passed
 * on as given, so the desk refuses it with `CALLBACK_INVALID` like any other bad callback.
 */
function callbackOf(w: WrapUp, zone: string): Pick<DoneInput, 'callbackAt' | 'callbackFor'> {
  const local = w.callbackAt ?? '';
  const t = DateTime.fromISO(local, { zone });
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local) || !t.isValid) {
    throw new InvitoError('CALLBACK_INVALID', local === '' ? 'a callback needs a date and time' : 'the callback time is not a date and time');
  }
  return { callbackAt: t.toUTC().toISO()!, callbackFor: w.callbackFor ?? 'me' };
}
