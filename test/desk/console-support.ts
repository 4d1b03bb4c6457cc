/**
 * The console's tests: a real store with one call campaign and its call tasks, the real desk
 * and its password hashing, the real server on port 0, and a small cookie-keeping HTTP client.
 */
import { AuditLog } from '../../src/authority/audit.js';
import { request as httpRequest } from 'node:http';
import type { Logger } from 'pino';
import { campaignZones } from '../../src/console/zones.js';
import { parseCampaign } from '../../src/campaigns/load.js';
import { ManualClock } from '../../src/core/clock.js';
import { Desk } from '../../src/desk/desk.js';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.js';
import type { CitizenRecord } from '../../src/registry/store.js';
import { KyselyConsoleStore } from '../../src/store/console.js';
import type { KyselyStore } from '../../src/store/index.js';

/** A Tuesday, 10:30 in Rome: inside the default call window. */
export const CALL_TIME = '2026-03-03T09:30:00.000Z';
export const CAMPAIGN = 'flu-calls';
export const PASSWORD = 'correct horse battery staple';

const CAMPAIGN_YAML = `
id: ${CAMPAIGN}
name: Influenza, chiamate
timezone: Europe/Rome
language: it
reference_date: 2026-03-01
cohort:
  age: { min: 75 }
steps:
  - id: invite
    channels: [call]
    template: invite
pacing:
  daily_target: 100
`;

export function citizen(id: string, phone: string, extra: Partial<CitizenRecord> = {}): CitizenRecord {
  return {
    citizen_id: id, given_name: 'Maria', family_name: 'Rossi', birth_date: '1940-05-01', sex: 'F', phone, email: null,
    language: 'it', region: 'LAZ', asl: null, municipality: 'Roma', doses: 0, last_dose_date: null, opt_out: false,
    priority_groups: [], line: 1, ...extra,
  };
}

/** The campaign, `count` citizens and one call task each (`flu-calls.invite.cN`); returns the task ids. */
export async function seedCalls(store: KyselyStore, count: number): Promise<string[]> {
  const { campaign } = parseCampaign(CAMPAIGN_YAML, 'test.yaml');
  await store.campaignRecords.create(campaign, 10, CALL_TIME);
  const citizens = Array.from({ length: count }, (_, i) => citizen(`c${i + 1}`, `+39333111${String(i + 1).padStart(4, '0')}`, { given_name: ['Maria', 'Giuseppe', 'Anna'][i % 3]! }));
  await store.registry.writeCitizens('seed', citizens);
  const ids: string[] = [];
  for (const c of citizens) {
    const messageId = `${CAMPAIGN}.invite.${c.citizen_id}`;
    await store.db
      .insertInto('messages')
      .values({
        message_id: messageId, campaign_id: CAMPAIGN, step_id: 'invite', citizen_id: c.citizen_id, seq: ids.length + 1, state: 'sent',
        channel: 'call', link_token: `tok-${c.citizen_id}`, attempts: 1, claim_token: null, claimed_at: null, provider_id: messageId,
        error_code: null, error_detail: null, queued_at: CALL_TIME, sent_at: CALL_TIME, final_at: null, updated_at: CALL_TIME,
      })
      .execute();
    ids.push(await store.dispatch.createCallTask({ messageId, campaignId: CAMPAIGN, citizenId: c.citizen_id, at: CALL_TIME }));
  }
  return ids;
}

export interface ConsoleWorld {
  readonly server: RunningHttpServer;
  readonly desk: Desk;
  readonly clock: ManualClock;
}

/** The real server with the console, on port 0, its desk and sessions on one manual clock. */
export async function startConsole(store: KyselyStore, o: { publicUrl?: string; logger?: Logger } = {}): Promise<ConsoleWorld> {
  const clock = new ManualClock(CALL_TIME);
  const desk = new Desk({ store: store.desk, clock });
  const server = await startHttpServer({
    store: store.feedback,
    authToken: 'console-test-token',
    port: 0,
    host: '127.0.0.1',
    now: () => clock.now(),
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    console: { desk, store: new KyselyConsoleStore(store.db), campaignZone: campaignZones(store.desk), history: store.history, audit: new AuditLog(store.audit) },
  });
  return { server, desk, clock };
}

export interface Answer {
  readonly status: number;
  readonly location: string | null;
  readonly text: string;
  readonly setCookies: string[];
  readonly headers: Headers;
}

/** A browser in miniature: keeps cookies, never follows redirects, reads the page's CSRF token. */
export class Client {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last page read. */
  token = '';
  /** Sent with every request (a proxy's X-Forwarded-For). */
  readonly headers: Record<string, string> = {};

  /** @param localAddress the loopback address to connect from (127.0.0.2…): another client address for the server */
  constructor(
    readonly base: string,
    readonly localAddress?: string,
  ) {}

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Answer> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const res = this.localAddress === undefined ? await fetch(this.base + path, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) }) : await this.fromAddress(method, path, headers, body);
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      if (/;\s*Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
    const text = await res.text();
    const m = /name="_csrf" value="([^"]*)"/.exec(text);
    if (m) this.token = m[1]!;
    return { status: res.status, location: res.headers.get('location'), text, setCookies, headers: res.headers };
  }

  /** fetch cannot choose the local address without undici's Agent; node:http can. */
  private fromAddress(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(this.base + path, { method, headers, localAddress: this.localAddress }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) for (const one of [v ?? []].flat()) h.append(k, one);
          const status = res.statusCode ?? 0;
          resolve(new Response([204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: h }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  get(path: string): Promise<Answer> {
    return this.request('GET', path);
  }

  /** POSTs a form with the current CSRF token (unless the form sets `_csrf` itself). */
  post(path: string, form: Record<string, string> = {}): Promise<Answer> {
    return this.request('POST', path, { _csrf: this.token, ...form });
  }

  /** Signs in as a browser does, then opens the page it is sent to (which holds the session's CSRF token). */
  async signIn(operatorId: string, password: string = PASSWORD): Promise<Answer> {
    await this.get('/console/sign-in');
    const r = await this.post('/console/sign-in', { operator: operatorId, password });
    if (r.status === 303 && r.location) await this.get(r.location);
    return r;
  }
}

/** The notice on a page (its alert), tags removed. */
export const alertOf = (html: string): string => /<div class="alert[^"]*"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '').trim() ?? '';
