/**
 * Closing the webhook server: a keep-alive connection whose request is still in flight when
 * `close()` begins is answered, then closed; close does not wait for the connection's
 * keep-alive timeout (72 s in Fastify, whose 'idle' default does not act on its own server:
 * fastify/fastify#7044). Twilio's and the sandbox's callbacks come over keep-alive sockets, so
 * without this a server closing during a call's callbacks hung for over a minute.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

describe('closing the webhook server', () => {
  let t: TestStore | undefined;
  let server: RunningHttpServer | undefined;
  const agent = new http.Agent({ keepAlive: true });
  afterEach(async () => {
    agent.destroy();
    await server?.close();
    await t?.dispose();
  });

  it('answers the request in flight on a keep-alive socket, and then resolves without waiting out the keep-alive timeout', async () => {
    t = await DIALECTS[0]!.open();
    server = await startHttpServer({ store: t.store.feedback, authToken: 'token', port: 0 });
    const url = new URL(`${server.url}/webhooks/twilio/status`);
    // A request whose body is still arriving when close begins: in flight, not idle.
    let answered: number | null = null;
    const response = new Promise<void>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '10', 'x-twilio-signature': 'bm90IGEgc2lnbmF0dXJl' } }, (res) => {
        answered = res.statusCode ?? null;
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.write('MessageSi');
      setTimeout(() => req.end('d'), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const closed = server.close().then(() => 'closed' as const);
    await response;
    // The request was answered (unsigned: refused, but answered), not cut.
    expect(answered).toBe(403);
    const outcome = await Promise.race([closed, new Promise<'still open'>((r) => setTimeout(() => r('still open'), 20_000))]);
    expect(outcome).toBe('closed');
  }, 40_000);
});
