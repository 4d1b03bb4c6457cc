/**
 * The HTTP server built from the app (`src/http/server.ts` mounts the plugins): the provider
 * webhooks and reply links on the feedback store, and, for `invito serve`, the operators'
 * console on the desk.
 */
import type { Logger } from 'pino';
import { campaignZones } from '../console/zones.js';
import { Desk } from '../desk/desk.js';
import { type RunningHttpServer, startHttpServer } from '../http/server.js';
import { KyselyConsoleStore } from '../store/console.js';
import type { App } from './app.js';
import type { ServerConfig } from './config.js';

export interface AppServerOptions {
  readonly config: ServerConfig;
  /** 0 picks a free one. @defaultValue 8080 */
  readonly port?: number;
  /** @defaultValue 127.0.0.1 */
  readonly host?: string;
  readonly logger?: Logger;
  /** Mount the operators' console under `/console` (the demo's server has none). */
  readonly console: boolean;
  /** The clock receipts and answers are stamped with. @defaultValue the system clock */
  readonly now?: () => Date;
}

export function startServer(app: App, o: AppServerOptions): Promise<RunningHttpServer> {
  const { store } = app;
  const { publicUrl, trustProxy, authToken } = o.config;
  const webConsole = o.console
    ? { desk: new Desk({ store: store.desk, ...(publicUrl ? { publicUrl } : {}) }), store: new KyselyConsoleStore(store.db), campaignZone: campaignZones(store.desk) }
    : undefined;
  return startHttpServer({
    store: store.feedback,
    authToken,
    publicUrl,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(webConsole ? { console: webConsole } : {}),
    ...(trustProxy ? { trustProxy } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
}
