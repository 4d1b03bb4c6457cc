/**
 * The sandbox's own endpoints under `/_sandbox/`, on the same port as the Twilio API: knobs at
 * run time, the outbox and the counts. No authentication: the sandbox listens on loopback.
 *
 * - `GET /_sandbox/config` → the knobs; `POST /_sandbox/config` (JSON, any subset) → the knobs now in force
 * - `GET /_sandbox/outbox[?since=SEQ]` → `{messages, calls, emails, next}`; `DELETE /_sandbox/outbox` → 204
 * - `GET /_sandbox/stats` → counts
 *
 * Errors are invito's: `{"error": {"code", "message"}}` (codes from `src/core/errors.ts`).
 */
import type { FastifyInstance } from 'fastify';
import { InvitoError } from '../core/errors.js';
import type { SandboxKnobs } from './knobs.js';
import type { OutboxSnapshot, SandboxStats } from './outbox.js';

/** What the control endpoints act on; `Sandbox` provides it. */
export interface SandboxControl {
  config(): SandboxKnobs;
  setConfig(patch: Partial<SandboxKnobs>): SandboxKnobs;
  outbox(since?: number): OutboxSnapshot;
  resetOutbox(): void;
  stats(): SandboxStats;
}

export const CONTROL_PREFIX = '/_sandbox';

/** Adds the `/_sandbox/*` endpoints to `app`, acting on `control`. */
export function registerControlApi(app: FastifyInstance, control: SandboxControl): void {
  app.get(`${CONTROL_PREFIX}/config`, async () => control.config());

  app.post<{ Body: unknown }>(`${CONTROL_PREFIX}/config`, async (req) => {
    // mergeKnobs validates the whole body strictly; the cast only names the intent.
    return control.setConfig((req.body ?? {}) as Partial<SandboxKnobs>);
  });

  app.get<{ Querystring: { since?: string } }>(`${CONTROL_PREFIX}/outbox`, async (req) => {
    const raw = req.query.since;
    if (raw !== undefined && !/^\d+$/.test(raw)) throw new InvitoError('USAGE', 'since must be a sequence number (the `next` of an earlier listing)');
    return control.outbox(raw === undefined ? 0 : Number(raw));
  });

  app.delete(`${CONTROL_PREFIX}/outbox`, async (_req, reply) => {
    control.resetOutbox();
    return reply.code(204).send();
  });

  app.get(`${CONTROL_PREFIX}/stats`, async () => control.stats());
}
