/**
 * The program's configuration, read from the environment and the global flags in one place.
 * Each part is parsed when a command needs it (`workerConfig`, `serverConfig`), so a setting one
 * command does not use cannot stop another: `invito serve` does not read the queue limits, and
 * `invito worker` does not check the public URL.
 */
import { type ProviderConfig, providerConfig } from '../channels/index.js';
import { InvitoError } from '../core/errors.js';
import { contactLimits } from '../pacer/contact.js';
import type { ReleaserOptions } from '../pacer/release.js';
import { type QueueSettings, queueSettings } from '../queues/queues.js';
import { shutdownGraceMs, workerTimings } from '../queues/worker.js';
import { checkPublicUrl, trustedProxies } from '../http/server.js';

/** What every program part shares: where the store, the templates and Redis are. */
export interface AppConfig {
  /** `--db`, else `INVITO_DB`; undefined opens the default SQLite file. */
  readonly db: string | undefined;
  /** `--templates`; undefined: `INVITO_TEMPLATES`, `./templates` or the shipped ones. */
  readonly templates: string | undefined;
  /** `INVITO_REDIS_URL`; undefined: the default address, or a private Redis when nothing answers there. */
  readonly redisUrl: string | undefined;
  /** Where a private Redis keeps its append-only file. @defaultValue .invito/redis */
  readonly redisDataDir?: string;
}

/** What a worker needs beyond `AppConfig`. */
export interface WorkerConfig {
  /** Prefix, provider ceilings, attempts, backoff (`INVITO_QUEUE_PREFIX`, `INVITO_LIMIT_*`, …). */
  readonly queues: QueueSettings;
  /** Twilio and SMTP settings, and the base URL of status callbacks. */
  readonly providers: ProviderConfig;
  /** `INVITO_LOCK_MS`, the releaser's timings (`INVITO_RELEASE_TICK_MS`, …) and the contact limits (`INVITO_MAX_PER_DAY`, `INVITO_MAX_PER_WEEK`). */
  readonly timings: { readonly lockMs?: number; readonly releaser: Partial<Omit<ReleaserOptions, 'store' | 'sink' | 'lock' | 'clock' | 'callRoom'>> & { readonly lockMs?: number } };
  /** `INVITO_SHUTDOWN_GRACE_MS`. */
  readonly shutdownGraceMs: number;
  /** Whether `INVITO_LINK_SECRET` is set (reply links are signed with a development key otherwise). */
  readonly linkSecretSet: boolean;
}

const withContactLimits = (t: ReturnType<typeof workerTimings>, env: NodeJS.ProcessEnv): WorkerConfig['timings'] => ({ ...t, releaser: { ...t.releaser, contact: contactLimits(env) } });

/** What `invito serve` needs beyond `AppConfig`. */
export interface ServerConfig {
  /** `TWILIO_AUTH_TOKEN`: it checks every webhook's signature. */
  readonly authToken: string;
  /** `INVITO_PUBLIC_URL`, checked; undefined: the address the server listens on. */
  readonly publicUrl?: string;
  /** `INVITO_TRUST_PROXY`, checked. */
  readonly trustProxy?: string;
  /** `INVITO_METRICS_TOKEN`: `GET /metrics` wants it as a bearer token; without it, only this machine scrapes. */
  readonly metricsToken?: string;
  /**
   * The provider settings the answers to citizens' texts go out with (`TWILIO_ACCOUNT_SID`,
   * `TWILIO_FROM` or `TWILIO_MESSAGING_SERVICE_SID`); without them replies act but get no answer.
   */
  readonly providers: ProviderConfig;
}

export function configFromEnv(env: NodeJS.ProcessEnv, flags: { readonly db?: string; readonly templates?: string }): AppConfig {
  return { db: flags.db || env.INVITO_DB || undefined, templates: flags.templates, redisUrl: env.INVITO_REDIS_URL || undefined };
}

/** Throws `CONFIG_INVALID` for a malformed limit or grace. */
export function workerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  return {
    shutdownGraceMs: shutdownGraceMs(env),
    queues: queueSettings(env),
    providers: providerConfig(env),
    timings: withContactLimits(workerTimings(env), env),
    linkSecretSet: Boolean(env.INVITO_LINK_SECRET),
  };
}

/** Throws `CONFIG_INVALID` without an auth token, or for a malformed public URL or proxy list. */
export function serverConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const authToken = env.TWILIO_AUTH_TOKEN;
  if (!authToken) {
    throw new InvitoError('CONFIG_INVALID', 'TWILIO_AUTH_TOKEN must be set: it checks that every webhook comes from Twilio (for the sandbox, use the token `invito sandbox` prints)');
  }
  const publicUrl = env.INVITO_PUBLIC_URL ? checkPublicUrl(env.INVITO_PUBLIC_URL) : undefined;
  const trustProxy = env.INVITO_TRUST_PROXY ? trustedProxies(env.INVITO_TRUST_PROXY).join(',') : undefined;
  const metricsToken = env.INVITO_METRICS_TOKEN || undefined;
  return { authToken, ...(publicUrl ? { publicUrl } : {}), ...(trustProxy ? { trustProxy } : {}), ...(metricsToken ? { metricsToken } : {}), providers: providerConfig(env) };
}
