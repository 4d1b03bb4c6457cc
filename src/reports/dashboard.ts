/**
 * The health authority's figures of one campaign (issue 15, item 2), from the store's counts:
 * the funnel, invitations per day against the target, channels, age bands, regions, centre
 * utilisation per day, replies and call outcomes, cost, and failures by code with the ids
 * behind them. Each is a table first (the page's charts are drawn from these tables, and each
 * has its CSV); nothing here holds a name, phone or address.
 */
import { ageBand } from '../cohort/age.js';

/** One citizen of the campaign as the funnel counts them (ids and flags only). */
export interface FunnelRow {
  readonly released: number;
  readonly delivered: number;
  readonly confirmed: number;
  readonly declined: number;
  readonly unreachable: number;
  readonly fallbacks: number;
}

export interface DashboardStore {
  /** Per citizen of the campaign, aggregated in the store: released, delivered, confirmed, declined, unreachable (every attempt failed), and fallback attempts made. */
  funnel(campaignId: string): Promise<FunnelRow>;
  /** The pacer's days: target and released per local day. */
  pacingDays(campaignId: string): Promise<{ day: string; target: number; released: number }[]>;
  /** Selected and confirmed citizens by region, and by birth year (folded into age bands here). */
  byRegion(campaignId: string): Promise<{ region: string | null; selected: number; confirmed: number }[]>;
  byBirthYear(campaignId: string): Promise<{ year: number; selected: number; confirmed: number }[]>;
  /** The campaign's appointments per centre and day: booked (held or confirmed), attended, no-shows, and the day's capacity and all bookings there. */
  centerDays(campaignId: string): Promise<{ centerId: string; day: string; campaignBooked: number; noShows: number; capacity: number; booked: number }[]>;
  /** Replies by what they did, and call outcomes by disposition. */
  replies(campaignId: string): Promise<{ action: string; count: number }[]>;
  callOutcomes(campaignId: string): Promise<{ disposition: string; count: number }[]>;
  /** Failed, undelivered and unknown messages by code, with up to `idsPerCode` message ids each. */
  failures(campaignId: string, idsPerCode: number): Promise<{ state: string; code: string; count: number; messageIds: string[] }[]>;
}

export interface ChannelRow {
  readonly channel: string;
  readonly states: Readonly<Record<string, number>>;
}

/** Prices per unit (euro): an SMS segment, a WhatsApp message, a call, an email. */
export interface Prices {
  readonly sms: number;
  readonly whatsapp: number;
  readonly voice: number;
  readonly email: number;
  readonly call: number;
}

/** Defaults close to Twilio's Italian list prices (2026); `INVITO_PRICE_<CHANNEL>` overrides each. */
export const DEFAULT_PRICES: Prices = { sms: 0.0825, whatsapp: 0.0509, voice: 0.025, email: 0.0001, call: 0 };

export function pricesFromEnv(env: NodeJS.ProcessEnv): Prices {
  const p = { ...DEFAULT_PRICES } as Record<keyof Prices, number>;
  for (const k of Object.keys(p) as (keyof Prices)[]) {
    const v = env[`INVITO_PRICE_${k.toUpperCase()}`];
    if (v !== undefined && v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0) p[k] = Number(v);
  }
  return p;
}

export interface CampaignFigures {
  readonly funnel: { readonly selected: number; readonly released: number; readonly delivered: number; readonly confirmed: number; readonly declined: number; readonly noAnswer: number; readonly unreachable: number; readonly fallbacks: number };
  readonly days: readonly { day: string; target: number; released: number; cumulative: number }[];
  readonly channels: readonly ChannelRow[];
  readonly ageBands: readonly { band: string; selected: number; confirmed: number }[];
  readonly regions: readonly { region: string; selected: number; confirmed: number }[];
  readonly centers: readonly { centerId: string; day: string; campaignBooked: number; booked: number; capacity: number; utilisation: number; noShows: number }[];
  readonly replies: readonly { action: string; count: number }[];
  readonly calls: readonly { disposition: string; count: number }[];
  readonly cost: readonly { channel: string; units: number; price: number; cost: number }[];
  readonly failures: readonly { state: string; code: string; count: number; messageIds: string[] }[];
}

/** Messages a provider took, by channel: what is paid for. */
const PAID = new Set(['sent', 'delivered', 'undelivered']);

/**
 * Assembles the figures. `channels` are the status counts (reports/status.ts) folded by channel;
 * `recipients` the campaign's selected citizens; `referenceDate` the campaign's, for age bands.
 */
export async function campaignFigures(store: DashboardStore, o: { campaignId: string; recipients: number; referenceDate: string; channels: readonly ChannelRow[]; prices: Prices; idsPerCode?: number }): Promise<CampaignFigures> {
  const id = o.campaignId;
  const [f, days, regions, years, centers, replies, calls, failures] = await Promise.all([
    store.funnel(id),
    store.pacingDays(id),
    store.byRegion(id),
    store.byBirthYear(id),
    store.centerDays(id),
    store.replies(id),
    store.callOutcomes(id),
    store.failures(id, o.idsPerCode ?? 20),
  ]);
  let cumulative = 0;
  const refYear = Number(o.referenceDate.slice(0, 4));
  const bands = new Map<string, { selected: number; confirmed: number }>();
  for (const y of years) {
    // Age in the reference year, by birth year: within a year of the exact age, enough for a chart.
    const band = ageBand(Math.max(0, refYear - y.year));
    const b = bands.get(band) ?? { selected: 0, confirmed: 0 };
    b.selected += y.selected;
    b.confirmed += y.confirmed;
    bands.set(band, b);
  }
  return {
    funnel: {
      selected: o.recipients,
      released: f.released,
      delivered: f.delivered,
      confirmed: f.confirmed,
      declined: f.declined,
      noAnswer: Math.max(0, f.delivered - f.confirmed - f.declined),
      unreachable: f.unreachable,
      fallbacks: f.fallbacks,
    },
    days: days.map((d) => ({ ...d, cumulative: (cumulative += d.released) })),
    channels: o.channels,
    ageBands: [...bands.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([band, b]) => ({ band, ...b })),
    regions: regions.map((r) => ({ region: r.region ?? '—', selected: r.selected, confirmed: r.confirmed })),
    centers: centers.map((c) => ({ centerId: c.centerId, day: c.day, campaignBooked: c.campaignBooked, booked: c.booked, capacity: c.capacity, utilisation: c.capacity > 0 ? c.booked / c.capacity : 0, noShows: c.noShows })),
    replies,
    calls,
    cost: o.channels.map((c) => {
      const units = Object.entries(c.states).reduce((n, [s, k]) => n + (PAID.has(s) ? k : 0), 0);
      const price = o.prices[c.channel as keyof Prices] ?? 0;
      return { channel: c.channel, units, price, cost: Math.round(units * price * 100) / 100 };
    }),
    failures,
  };
}
