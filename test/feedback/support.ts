/**
 * Seeding and reading the rows the feedback layer works on, through the store's own Kysely
 * handle (campaigns and messages are written by plain inserts until the dispatcher lands),
 * and posting webhooks signed the way Twilio signs them.
 */
import type { CitizenRecord } from '../../src/registry/store.js';
import { twilioSignature } from '../../src/sandbox/signature.js';
import type { KyselyStore } from '../../src/store/index.js';
import type { MessageState } from '../../src/store/schema.js';

export const T0 = '2021-03-01T09:00:00.000Z';

export function citizen(id: string, phone: string | null, extra: Partial<CitizenRecord> = {}): CitizenRecord {
  return {
    citizen_id: id, given_name: 'Maria', family_name: 'Rossi', birth_date: '1940-05-01', sex: 'F', phone, email: null,
    language: 'it', region: 'LAZ', asl: null, municipality: null, doses: 0, last_dose_date: null, opt_out: false,
    priority_groups: [], line: 1, ...extra,
  };
}

export async function seedCitizens(store: KyselyStore, rows: CitizenRecord[]): Promise<void> {
  await store.registry.writeCitizens('seed', rows);
}

export async function seedCampaign(store: KyselyStore, campaignId: string): Promise<void> {
  await store.db
    .insertInto('campaigns')
    .values({ campaign_id: campaignId, name: campaignId, definition: '{}', status: 'active', status_reason: null, release_rate: 10, recipients: 0, launched_at: T0, updated_at: T0 })
    .execute();
}

export interface SeedMessage {
  readonly campaign: string;
  readonly citizen: string;
  readonly state: MessageState;
  readonly step?: string;
  readonly providerId?: string | null;
  readonly token?: string;
  readonly channel?: string;
}

/** Inserts a message with id `campaign.step.citizen`, as the dispatcher names them; returns the id. */
export async function seedMessage(store: KyselyStore, m: SeedMessage): Promise<string> {
  const step = m.step ?? 'invite';
  const id = `${m.campaign}.${step}.${m.citizen}`;
  const sent = ['sent', 'delivered', 'undelivered', 'failed'].includes(m.state);
  await store.db
    .insertInto('messages')
    .values({
      message_id: id, campaign_id: m.campaign, step_id: step, citizen_id: m.citizen, seq: 1, state: m.state,
      channel: m.channel ?? 'sms', link_token: m.token ?? `tok-${m.campaign}-${step}-${m.citizen}`.slice(0, 64), attempts: sent ? 1 : 0,
      claim_token: null, claimed_at: null, provider_id: m.providerId ?? null, error_code: null, error_detail: null,
      queued_at: null, sent_at: sent ? T0 : null, final_at: null, updated_at: T0,
    })
    .execute();
  return id;
}

export const messageRow = (store: KyselyStore, id: string) =>
  store.db.selectFrom('messages').selectAll().where('message_id', '=', id).executeTakeFirstOrThrow();

export const citizenRow = (store: KyselyStore, id: string) =>
  store.db.selectFrom('citizens').select(['citizen_id', 'opt_out', 'opt_out_at', 'opt_out_source']).where('citizen_id', '=', id).executeTakeFirstOrThrow();

export const providerEvents = (store: KyselyStore) =>
  store.db.selectFrom('provider_events').selectAll().orderBy('provider_id').orderBy('status').execute();

export const responses = (store: KyselyStore) => store.db.selectFrom('responses').selectAll().orderBy('response_id').execute();

/** States of every message, by id: a compact way to assert what an action touched and what it left alone. */
export async function states(store: KyselyStore): Promise<Record<string, string>> {
  const rows = await store.db.selectFrom('messages').select(['message_id', 'state']).orderBy('message_id').execute();
  return Object.fromEntries(rows.map((r) => [r.message_id, r.state]));
}

export interface Posted {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
}

/**
 * POSTs form parameters to `base + path`. The signature is computed over `signedUrl + path`
 * (default: the same base), or replaced by `signature` (null: no header at all).
 */
export async function postForm(
  base: string,
  path: string,
  params: Record<string, string>,
  o: { authToken?: string; signedBase?: string; signature?: string | null; tamper?: Record<string, string> } = {},
): Promise<Posted> {
  const signature = o.signature !== undefined ? o.signature : twilioSignature(o.authToken ?? '', (o.signedBase ?? base) + path, params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  const response = await fetch(base + path, { method: 'POST', headers, body: new URLSearchParams({ ...params, ...o.tamper }).toString() });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}
