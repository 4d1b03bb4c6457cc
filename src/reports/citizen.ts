/**
 * `invito citizens show ID`: one citizen as invito knows them — the registry's row, every
 * appointment, every message by campaign and step with its fallback chain (sms undelivered →
 * email → call), replies and calls. Personal data: printed to the person who asked, never logged.
 */
import { DateTime } from 'luxon';

/** The citizen as imported: the registry file's column names (README "Citizens"), and what invito learnt since. */
export interface HistoryCitizen {
  readonly citizen_id: string;
  readonly given_name: string | null;
  readonly family_name: string | null;
  readonly birth_date: string;
  readonly sex: string | null;
  readonly language: string;
  readonly phone: string | null;
  /** libphonenumber's type of the phone at import (`mobile`, `fixed_line`, …). */
  readonly phone_type: string | null;
  readonly email: string | null;
  readonly region: string | null;
  readonly asl: string | null;
  readonly municipality: string | null;
  readonly priority_groups: readonly string[];
  readonly doses: number;
  readonly last_dose_date: string | null;
  readonly opt_out: boolean;
  /** How the citizen said stop (`import`, `sms:STOP`, `link`, `operator`), when they did. */
  readonly opt_out_source: string | null;
  readonly deceased: boolean;
  /** Consent to WhatsApp messages (the registry's `whatsapp_opt_in`). */
  readonly whatsapp_opt_in: boolean;
}

export interface HistoryMessage {
  readonly id: string;
  readonly campaign: string;
  readonly step: string;
  readonly channel: string | null;
  readonly state: string;
  readonly errorCode: string | null;
  readonly appointment: string | null;
  /** When it was sent, else when its state last changed. */
  readonly at: string;
  readonly sentAt: string | null;
  /** The attempt this one follows (null: the step's own message). */
  readonly fallbackOf: string | null;
  /** What followed this attempt: `made`, why the chain ended, or null while undecided or not needed. */
  readonly fallbackState: string | null;
  /** When the citizen opened it (WhatsApp's read receipt); null otherwise. */
  readonly readAt: string | null;
}

export interface HistoryAppointment {
  readonly id: string;
  readonly campaign: string;
  /** `held`, `confirmed`, `released`, `attended`, `no_show`. */
  readonly state: string;
  readonly reason: string | null;
  readonly center: string;
  readonly centerName: string | null;
  readonly start: string;
}

export interface HistoryReply {
  readonly at: string;
  readonly channel: string;
  /** What it did: `confirm`, `decline`, `optout`, `other` (stored, nothing done), … */
  readonly kind: string;
  /** The message it answered, when known. */
  readonly message: string | null;
  /** What invito did about a text (`confirmed`, `declined`, `moved`, `options`, `who`, `not_understood`, …); null for links and older replies. */
  readonly action: string | null;
}

export interface HistoryCall {
  readonly at: string;
  readonly task: string;
  readonly campaign: string;
  readonly operator: string;
  readonly disposition: string;
  readonly note: string | null;
}

/** What the report reads: one citizen's rows, oldest first. */
export interface HistoryStore {
  citizen(citizenId: string): Promise<HistoryCitizen | null>;
  appointments(citizenId: string): Promise<HistoryAppointment[]>;
  messages(citizenId: string): Promise<HistoryMessage[]>;
  replies(citizenId: string): Promise<HistoryReply[]>;
  calls(citizenId: string): Promise<HistoryCall[]>;
}

/** A text nobody understood, waiting for an operator to read it (the console's "replies to read"). */
export interface ReplyToRead {
  readonly responseId: string;
  readonly citizenId: string | null;
  readonly name: string;
  readonly channel: string;
  readonly body: string | null;
  readonly at: string;
}

export interface RepliesToReadStore {
  /** Oldest first. */
  repliesToRead(limit: number): Promise<ReplyToRead[]>;
  /** Marks it read by the operator; false when it was not waiting. */
  markRead(responseId: string, operatorId: string, at: string): Promise<boolean>;
}

/** One step's attempts for the citizen, in chain order: the step's own message first, each fallback after the attempt it follows. */
export interface HistoryChain {
  readonly campaign: string;
  readonly step: string;
  /** The attempts' message ids, in order. */
  readonly attempts: readonly string[];
  /** Why nothing followed the last attempt (pacer/fallback.ts CHAIN_ENDS), or null. */
  readonly end: string | null;
}

export interface CitizenHistory {
  readonly citizen: HistoryCitizen;
  readonly appointments: readonly HistoryAppointment[];
  /** Every message, oldest first. */
  readonly messages: readonly HistoryMessage[];
  /** The messages as chains of attempts, one per campaign and step. */
  readonly chains: readonly HistoryChain[];
  readonly replies: readonly HistoryReply[];
  readonly calls: readonly HistoryCall[];
}

export async function citizenHistory(store: HistoryStore, citizenId: string): Promise<CitizenHistory | null> {
  const citizen = await store.citizen(citizenId);
  if (!citizen) return null;
  const [appointments, rows, replies, calls] = await Promise.all([store.appointments(citizenId), store.messages(citizenId), store.replies(citizenId), store.calls(citizenId)]);
  const messages = [...rows].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  return { citizen, appointments, messages, chains: chainsOf(messages), replies, calls };
}

/** Groups the messages into chains: each root (no `fallbackOf`, or one whose parent is gone) followed by its fallbacks. */
export function chainsOf(messages: readonly HistoryMessage[]): HistoryChain[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const next = new Map<string, HistoryMessage>();
  for (const m of messages) if (m.fallbackOf && byId.has(m.fallbackOf)) next.set(m.fallbackOf, m);
  const chains: HistoryChain[] = [];
  for (const root of messages) {
    if (root.fallbackOf && byId.has(root.fallbackOf)) continue;
    const attempts = [root];
    for (let m = next.get(root.id); m && attempts.length <= messages.length; m = next.get(m.id)) attempts.push(m);
    const last = attempts[attempts.length - 1]!;
    chains.push({ campaign: root.campaign, step: root.step, attempts: attempts.map((a) => a.id), end: last.fallbackState && last.fallbackState !== 'made' ? last.fallbackState : null });
  }
  return chains;
}

const when = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('yyyy-MM-dd HH:mm');
const attempt = (m: HistoryMessage) => `${m.channel ?? 'none'} ${m.state}${m.errorCode ? ` (${m.errorCode})` : ''}${m.readAt ? ' · read' : ''}`;

export function formatHistory(h: CitizenHistory, zone = 'Europe/Rome'): string {
  const c = h.citizen;
  const name = [c.given_name, c.family_name].filter(Boolean).join(' ') || '—';
  const byId = new Map(h.messages.map((m) => [m.id, m]));
  const lines = [
    `Citizen ${c.citizen_id}: ${name} · born ${c.birth_date} · ${c.language} · ${[c.region, c.asl, c.municipality].filter(Boolean).join(' / ') || 'no place'}${c.priority_groups.length ? ` · groups ${c.priority_groups.join(', ')}` : ''}`,
    `  phone ${c.phone ? `${c.phone} (${c.phone_type ?? 'unknown'})` : '—'} · email ${c.email ?? '—'} · doses ${c.doses}${c.last_dose_date ? `, last ${c.last_dose_date}` : ''}${c.opt_out ? ` · opted out (${c.opt_out_source ?? 'unknown'})` : ''}${c.deceased ? ' · deceased' : ''}${c.whatsapp_opt_in ? ' · WhatsApp consent' : ''}`,
    `Appointments (${zone}):`,
    ...(h.appointments.length
      ? h.appointments.map((a) => `  ${when(a.start, zone)} · ${a.centerName ?? a.center} (${a.center}) · ${a.state}${a.reason ? ` (${a.reason})` : ''} · ${a.campaign}`)
      : ['  none']),
    'Messages (each chain: the first attempt, then its fallbacks):',
    ...(h.chains.length
      ? h.chains.map((ch) => {
          const attempts = ch.attempts.map((id) => byId.get(id)!);
          return `  ${ch.campaign} / ${ch.step}: ${attempts.map(attempt).join(' → ')}${ch.end ? ` · chain ended: ${ch.end}` : ''} · ${when(attempts[attempts.length - 1]!.at, zone)}`;
        })
      : ['  none']),
    'Replies and clicks:',
    ...(h.replies.length ? h.replies.map((r) => `  ${when(r.at, zone)} · ${r.kind} by ${r.channel}${r.action ? ` → ${r.action}` : ''}`) : ['  none']),
    'Calls:',
    ...(h.calls.length ? h.calls.map((k) => `  ${when(k.at, zone)} · ${k.disposition} · ${k.operator} · ${k.campaign}${k.note ? ` · ${k.note}` : ''}`) : ['  none']),
  ];
  return lines.join('\n') + '\n';
}
