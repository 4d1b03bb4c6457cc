/**
 * What every route's error handler does first, whoever answers (JSON for providers, a page for
 * citizens): the status, one log line with the route and code only (requests carry phone
 * numbers and what citizens wrote), and what the caller may be told.
 */
import type { FastifyBaseLogger, FastifyError, FastifyRequest } from 'fastify';
import { type InvitoError, isInvitoError } from '../core/errors.js';

/** An error as a caller may see it: a stable code and a message that quotes nothing internal. */
export interface Refusal {
  readonly status: number;
  readonly error: ReturnType<InvitoError['toJSON']> | { readonly code: string; readonly message: string };
}

/** Logs a route's error (warn when refused, error when it failed) and says what to answer. */
export function refusal(e: FastifyError | InvitoError, req: FastifyRequest, log: FastifyBaseLogger): Refusal {
  const status = isInvitoError(e) ? e.status : (e.statusCode ?? 500);
  if (status >= 500) log.error({ route: req.routeOptions.url ?? null, code: e.code, err: e.message }, 'request failed');
  else log.warn({ route: req.routeOptions.url ?? null, code: e.code, status }, 'request refused');
  // A store failure's message may quote SQL; the caller learns only that it may retry.
  const error = isInvitoError(e)
    ? e.toJSON()
    : status >= 500
      ? { code: 'INTERNAL', message: 'the request could not be processed; try again' }
      : { code: 'USAGE', message: e.message };
  return { status, error };
}
