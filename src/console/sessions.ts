/**
 * Console sessions. The browser holds a random 256-bit id in an HttpOnly cookie; the store
 * holds its SHA-256 only, so reading the table signs no one in. A session ends after
 * `IDLE_MS` without a request or `ABSOLUTE_MS` after sign-in, whichever comes first. Each
 * carries a synchronizer token that every form posts back (CSRF).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isInvitoError } from '../core/errors.js';
import type { Operator } from '../desk/types.js';
import type { ConsoleStore, SessionRecord } from './store.js';

/**
 * The session cookie, one for every page (the console under /console and the dashboard at /):
 * one sign-in, one session, one CSRF token.
 */
export const SESSION_COOKIE = 'invito_console';
export const SESSION_COOKIE_PATH = '/';

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Who a request comes from: the live session behind its cookie and the enabled account it
 * belongs to, or null. A session of an account that is gone or disabled is ended here, so a
 * disabled account's pages stop at its next request.
 */
export async function signedIn(sessions: Sessions, accounts: { operator(id: string): Promise<Operator> }, cookieHeader: string | undefined): Promise<{ session: Session; account: Operator } | null> {
  const session = await sessions.find(cookieValue(cookieHeader, SESSION_COOKIE));
  if (!session) return null;
  let account: Operator | null = null;
  try {
    account = await accounts.operator(session.operatorId);
  } catch (e) {
    if (!isInvitoError(e) || e.code !== 'OPERATOR_NOT_FOUND') throw e;
  }
  if (account === null || account.disabled) {
    await sessions.end(session);
    return null;
  }
  return { session, account };
}

/** 30 minutes without a request ends a session: a desk left unattended signs itself out. */
export const IDLE_MS = 30 * 60_000;
/** 12 hours after sign-in, however busy: one shift. */
export const ABSOLUTE_MS = 12 * 3_600_000;
/** `seen_at` is written at most this often: one write per minute, not one per request. */
const TOUCH_MS = 60_000;

export const hashSessionId = (id: string): string => createHash('sha256').update(id).digest('hex');

const token = (): string => randomBytes(32).toString('base64url');

/** A live session, as a request sees it. */
export interface Session {
  readonly hash: string;
  readonly operatorId: string;
  readonly csrfToken: string;
  readonly walk: string | null;
}

export class Sessions {
  constructor(
    private readonly store: ConsoleStore,
    private readonly now: () => Date,
  ) {}

  /** Starts a session for a signed-in operator; returns the id for the cookie. */
  async start(operatorId: string): Promise<{ id: string; session: Session }> {
    const id = token();
    const at = this.now();
    const record = {
      sessionHash: hashSessionId(id),
      operatorId,
      csrfToken: token(),
      createdAt: at.toISOString(),
      seenAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + ABSOLUTE_MS).toISOString(),
    };
    await this.store.createSession(record);
    return { id, session: { hash: record.sessionHash, operatorId, csrfToken: record.csrfToken, walk: null } };
  }

  /** The live session behind a cookie value, or null (unknown, idle too long, or past its end; an expired one is deleted). */
  async find(id: string | undefined): Promise<Session | null> {
    if (!id || id.length > 100) return null;
    const hash = hashSessionId(id);
    const r = await this.store.session(hash);
    if (r === null) return null;
    const now = this.now().getTime();
    if (expired(r, now)) {
      await this.store.deleteSession(hash);
      return null;
    }
    if (now - Date.parse(r.seenAt) >= TOUCH_MS) await this.store.touchSession(hash, new Date(now).toISOString());
    return { hash, operatorId: r.operatorId, csrfToken: r.csrfToken, walk: r.walk };
  }

  async end(session: Session): Promise<void> {
    await this.store.deleteSession(session.hash);
  }

  setWalk(session: Session, walk: string | null): Promise<void> {
    return this.store.setWalk(session.hash, walk);
  }

  /** Deletes every session past its end or idle too long (called at sign-in, so the table stays small). */
  sweep(): Promise<number> {
    const now = this.now().getTime();
    return this.store.deleteExpiredSessions(new Date(now).toISOString(), new Date(now - IDLE_MS).toISOString());
  }
}

function expired(r: SessionRecord, now: number): boolean {
  return now >= Date.parse(r.expiresAt) || now - Date.parse(r.seenAt) >= IDLE_MS;
}

/** Whether a posted token is the session's, compared in constant time. */
export function csrfMatches(session: Session, posted: unknown): boolean {
  if (typeof posted !== 'string' || posted === '') return false;
  const a = Buffer.from(posted);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
