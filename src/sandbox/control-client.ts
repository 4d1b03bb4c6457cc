/** Talking to a running sandbox's control endpoints (the CLI's `outbox` and `config`). */
import { InvitoError } from '../core/errors.js';
import { CONTROL_PREFIX } from './control-api.js';
import type { SandboxKnobs } from './knobs.js';
import type { OutboxSnapshot, SandboxStats } from './outbox.js';

async function call<T>(apiUrl: string, path: string, init?: RequestInit): Promise<T> {
  const url = apiUrl.replace(/\/+$/, '') + CONTROL_PREFIX + path;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new InvitoError('SANDBOX_UNAVAILABLE', `no sandbox answers at ${apiUrl} (${(e as Error).message}); start one with \`invito sandbox\``, { cause: e });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new InvitoError('SANDBOX_UNAVAILABLE', `${apiUrl} is not an invito sandbox (HTTP ${response.status}, not JSON)`);
  }
  if (!response.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (response.status === 400 && err?.message) throw new InvitoError('USAGE', err.message);
    throw new InvitoError('SANDBOX_UNAVAILABLE', `${apiUrl} answered HTTP ${response.status}${err?.message ? `: ${err.message}` : ''}`);
  }
  return body as T;
}

/** What the sandbox at `apiUrl` received after `since` (a `next` from an earlier listing). */
export function fetchOutbox(apiUrl: string, since = 0): Promise<OutboxSnapshot> {
  return call(apiUrl, `/outbox?since=${since}`);
}

/** The counts of the sandbox at `apiUrl`. */
export function fetchStats(apiUrl: string): Promise<SandboxStats> {
  return call(apiUrl, '/stats');
}

/** Changes knobs of the sandbox at `apiUrl`; resolves to the knobs now in force. */
export function updateConfig(apiUrl: string, patch: Partial<SandboxKnobs>): Promise<SandboxKnobs> {
  return call(apiUrl, '/config', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
}
