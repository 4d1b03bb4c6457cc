/** The composition root (see `app.ts`): configuration, the app, its worker and its HTTP server. */
export { type App, type OpenOptions, openApp } from './app.js';
export { type AppConfig, configFromEnv, type ServerConfig, serverConfig, type WorkerConfig, workerConfig } from './config.js';
export { type AppServerOptions, startServer } from './server.js';
export { type AppWorkerOptions, startWorker, stopWorker } from './worker.js';
