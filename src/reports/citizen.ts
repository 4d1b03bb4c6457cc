/**
 * `invito citizens show ID`: one citizen as invito knows them — the registry's row, every
 * appointment, every message by campaign and step with its fallback chain (sms undelivered →
 * email → call), replies and calls. Personal data: printed to the person who asked, never logged.
 */
import { DateTime } from 'luxon';

export interface HistoryCitizen {
  readonly citizenId: string;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly birthDate: string;
  readonly sex: string | null;
  readonly language: string;
  readonly phone: string | null;
  readonly phoneType: string | null;
  readonly email: string | null;
  readonly region: string | null;
  readonly asl: string | null;
  readonly municipality: string | null;
  readonly doses: number;
  readonly lastDoseDate: string | null;
  readonly optOut: boolean;
  readonly optOutSource: string | null;
  readonly deceased: boolean;
}

export interface HistoryMessage {
  readonly messageId: string;
  readonly campaignId: string;
  readonly stepId: string;
  readonly channel: string | null;
  readonly state: string;
  readonly errorCode: string | null;
  readonly appointmentId: string | null;
  readonly sentAt: string | null;
  readonly updatedAt: string;
  /** The attempt this one follows (null: the step's own message). */
  readonly fallbackOf: string | null;
  /** What followed this attempt: `made`, why the chain ended, or null while undecided or not needed. */
  readonly fallbackState: string | null;
}

export interface HistoryAppointment {
  readonly appointmentId: string;
  readonly campaignId: string;
  readonly state: string;
  readonly reason: string | null;
  readonly start: string;
  readonly centerId: string;
  readonly centerName: string | null;
}

export interface HistoryResponse {
  readonly kind: string;
  readonly channel: string;
  readonly messageId: string | null;
  readonly receivedAt: string;
}

export interface HistoryCall {
  readonly taskId: string;
  readonly campaignId: string;
  readonly operatorId: string;
  readonly disposition: string;
  readonly at: string;
}

/** What the report reads: one citizen's rows, oldest first. */
export interface HistoryStore {
  citizen(citizenId: string): Promise<HistoryCitizen | null>;
  appointments(citizenId: string): Promise<HistoryAppointment[]>;
  messages(citizenId: string): Promise<HistoryMessage[]>;
  responses(citizenId: string): Promise<HistoryResponse[]>;
  calls(citizenId: string): Promise<HistoryCall[]>;
}

/** One step's attempts for the citizen, in chain order: the step's own message first, each fallback after the attempt it follows. */
export interface HistoryChain {
  readonly campaignId: string;
  readonly stepId: string;
  readonly attempts: readonly HistoryMessage[];
  /** Why nothing followed the last attempt (pacer/fallback.ts CHAIN_ENDS), or null. */
  readonly end: string | null;
}

export interface CitizenHistory {
  readonly citizen: HistoryCitizen;
  readonly appointments: readonly HistoryAppointment[];
  readonly chains: readonly HistoryChain[];
  readonly responses: readonly HistoryResponse[];
  readonly calls: readonly HistoryCall[];
}

export async function citizenHistory(store: HistoryStore, citizenId: string): Promise<CitizenHistory | null> {
  const citizen = await store.citizen(citizenId);
  if (!citizen) return null;
  const [appointments, messages, responses, calls] = await Promise.all([store.appointments(citizenId), store.messages(citizenId), store.responses(citizenId), store.calls(citizenId)]);
  return { citizen, appointments, chains: chainsOf(messages), responses, calls };
}

/** Groups the messages into chains: each root (no `fallbackOf`, or one whose parent is gone) followed by its fallbacks. */
export function chainsOf(messages: readonly HistoryMessage[]): HistoryChain[] {
  const byId = new Map(messages.map((m) => [m.messageId, m]));
  const next = new Map<string, HistoryMessage>();
  for (const m of messages) if (m.fallbackOf && byId.has(m.fallbackOf)) next.set(m.fallbackOf, m);
  const chains: HistoryChain[] = [];
  for (const root of messages) {
    if (root.fallbackOf && byId.has(root.fallbackOf)) continue;
    const attempts = [root];
    for (let m = next.get(root.messageId); m && attempts.length <= messages.length; m = next.get(m.messageId)) attempts.push(m);
    const last = attempts[attempts.length - 1]!;
    chains.push({ campaignId: root.campaignId, stepId: root.stepId, attempts, end: last.fallbackState && last.fallbackState !== 'made' ? last.fallbackState : null });
  }
  return chains;
}

const when = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('yyyy-MM-dd HH:mm');
const attempt = (m: HistoryMessage) => `${m.channel ?? 'none'} ${m.state}${m.errorCode ? ` (${m.errorCode})` : ''}`;

export function formatHistory(h: CitizenHistory, zone = 'Europe/Rome'): string {
  const c = h.citizen;
  const name = [c.givenName, c.familyName].filter(Boolean).join(' ') || '—';
  const lines = [
    `Citizen ${c.citizenId}: ${name} · born ${c.birthDate} · ${c.language} · ${[c.region, c.asl, c.municipality].filter(Boolean).join(' / ') || 'no place'}`,
    `  phone ${c.phone ? `${c.phone} (${c.phoneType ?? 'unknown'})` : '—'} · email ${c.email ?? '—'} · doses ${c.doses}${c.lastDoseDate ? `, last ${c.lastDoseDate}` : ''}${c.optOut ? ` · opted out (${c.optOutSource ?? 'unknown'})` : ''}${c.deceased ? ' · deceased' : ''}`,
    `Appointments (${zone}):`,
    ...(h.appointments.length
      ? h.appointments.map((a) => `  ${when(a.start, zone)} · ${a.centerName ?? a.centerId} (${a.centerId}) · ${a.state}${a.reason ? ` (${a.reason})` : ''} · ${a.campaignId}`)
      : ['  none']),
    'Messages (each chain: the first attempt, then its fallbacks):',
    ...(h.chains.length
      ? h.chains.map((ch) => {
          const last = ch.attempts[ch.attempts.length - 1]!;
          return `  ${ch.campaignId} / ${ch.stepId}: ${ch.attempts.map(attempt).join(' → ')}${ch.end ? ` · chain ended: ${ch.end}` : ''} · ${when(last.sentAt ?? last.updatedAt, zone)}`;
        })
      : ['  none']),
    'Replies and clicks:',
    ...(h.responses.length ? h.responses.map((r) => `  ${when(r.receivedAt, zone)} · ${r.kind} by ${r.channel}`) : ['  none']),
    'Calls:',
    ...(h.calls.length ? h.calls.map((k) => `  ${when(k.at, zone)} · ${k.disposition} · ${k.operatorId} · ${k.campaignId}`) : ['  none']),
  ];
  return lines.join('\n') + '\n';
}
