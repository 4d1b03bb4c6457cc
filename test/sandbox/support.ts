/**
 * A webhook receiver for the sandbox tests: a real fastify server on port 0 that records every
 * form POST (path, parameters, headers) and lets a test wait for the n-th one instead of sleeping.
 */
import { parse as parseForm } from 'node:querystring';
import Fastify from 'fastify';

export interface Received {
  readonly path: string;
  readonly url: string;
  readonly params: Record<string, string>;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly at: number;
}

export interface Receiver {
  /** Base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly received: Received[];
  /** Resolves once `n` requests have arrived (fails after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  /** Decides the answer to each request: status and body. Default 204, empty. */
  answer: (r: Received, index: number) => { status: number; body?: string; delayMs?: number };
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });
  const received: Received[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const receiver: Receiver = {
    url: '',
    received,
    answer: () => ({ status: 204 }),
    waitFor(n, timeoutMs = 10_000) {
      if (received.length >= n) return Promise.resolve(received.slice(0, n));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${n} webhooks arrived`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(received.slice(0, n));
          },
        });
      });
    },
    close: () => app.close(),
  };
  app.post('/*', async (req, reply) => {
    const r: Received = {
      path: req.url.split('?')[0]!,
      url: `${receiver.url}${req.url}`,
      params: { ...(req.body as Record<string, string>) },
      headers: req.headers,
      at: Date.now(),
    };
    const index = received.length;
    received.push(r);
    const ready = waiters.filter((w) => received.length >= w.n);
    waiters = waiters.filter((w) => received.length < w.n);
    for (const w of ready) w.resolve();
    const a = receiver.answer(r, index);
    if (a.delayMs) await new Promise((res) => setTimeout(res, a.delayMs));
    return reply.code(a.status).type('text/xml').send(a.body ?? '');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  (receiver as { url: string }).url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return receiver;
}
