/**
 * Reports with personal data (issue 15, item 3), for the people who act on them: each centre's
 * appointment list for a day (every appointment not given up: confirmed, still unanswered, and
 * on past days attended or missed; one row per citizen, `citizen_id` first), the unreachable and
 * the declined (for GPs' outreach), every citizen's outcome, and the day's summary. A report is
 * columns and rows; csv, xlsx and pdf are only how it is written (reports/formats.ts). Rows are
 * limited to the reader's scope (authority/access.ts `citizenInScope`), and every export is
 * audited with its row count by whoever asks for it.
 */
import { citizenInScope } from '../authority/access.js';

export const REPORT_KINDS = ['appointments', 'unreachable', 'declined', 'outcomes', 'summary'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export interface PersonRow {
  readonly citizenId: string;
  readonly familyName: string | null;
  readonly givenName: string | null;
  readonly birthDate: string;
  readonly phone: string | null;
  readonly email: string | null;
  readonly region: string | null;
  readonly asl: string | null;
}

export interface ExportsStore {
  /** Appointments on `day` of the campaign not given up (held, confirmed, attended, no_show), by centre and time. */
  appointmentsOn(campaignId: string, day: string, centerId?: string): Promise<(PersonRow & { centerId: string; startAt: string; state: string; appointmentId: string })[]>;
  /** Citizens every attempt of whom failed or was undelivered (none in flight or delivered), with the last error code. */
  unreachable(campaignId: string): Promise<(PersonRow & { lastCode: string | null; channels: string })[]>;
  /** Citizens who declined their appointment. */
  declined(campaignId: string): Promise<(PersonRow & { declinedAt: string; centerId: string; day: string })[]>;
  /** Every citizen of the campaign: the last attempt's state and channel, the appointment's state, day and centre. */
  outcomes(campaignId: string): Promise<(PersonRow & { lastState: string; lastChannel: string | null; appointmentState: string | null; day: string | null; centerId: string | null })[]>;
  /** The day's figures: the pacer's target and releases, appointments on the day by state. */
  daySummary(campaignId: string, day: string): Promise<{ target: number | null; released: number | null; appointments: Record<string, number> }>;
}

export interface Report {
  readonly kind: ReportKind;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
  /** Whether the rows name people (every kind but the summary): only readers in scope, always audited. */
  readonly personal: boolean;
}

const PERSON = ['citizen_id', 'family_name', 'given_name', 'birth_date', 'phone'] as const;
const person = (p: PersonRow) => [p.citizenId, p.familyName, p.givenName, p.birthDate, p.phone];

/** The local time of an appointment's start (`2026-12-08T09:30:00+01:00` → `09:30`). */
const clock = (startAt: string): string => /T(\d\d:\d\d)/.exec(startAt)?.[1] ?? startAt;

/**
 * Builds a report. `scope` is the reader's (empty: everything); a row of a citizen outside it is
 * left out. `day` is the local date (appointments, summary).
 */
export async function buildReport(store: ExportsStore, o: { kind: ReportKind; campaignId: string; day: string; centerId?: string; scope: readonly string[] }): Promise<Report> {
  const mine = <T extends PersonRow>(rows: T[]): T[] => rows.filter((r) => citizenInScope(o.scope, r));
  switch (o.kind) {
    case 'appointments': {
      const rows = mine(await store.appointmentsOn(o.campaignId, o.day, o.centerId));
      return {
        kind: o.kind,
        title: `${o.campaignId} · ${o.day}${o.centerId ? ` · ${o.centerId}` : ''}`,
        columns: [...PERSON, 'center_id', 'day', 'time', 'state', 'appointment_id'],
        rows: rows.map((r) => [...person(r), r.centerId, o.day, clock(r.startAt), r.state, r.appointmentId]),
        personal: true,
      };
    }
    case 'unreachable': {
      const rows = mine(await store.unreachable(o.campaignId));
      return { kind: o.kind, title: `${o.campaignId} · unreachable`, columns: [...PERSON, 'email', 'region', 'asl', 'channels_tried', 'last_error_code'], rows: rows.map((r) => [...person(r), r.email, r.region, r.asl, r.channels, r.lastCode]), personal: true };
    }
    case 'declined': {
      const rows = mine(await store.declined(o.campaignId));
      return { kind: o.kind, title: `${o.campaignId} · declined`, columns: [...PERSON, 'region', 'asl', 'center_id', 'day', 'declined_at'], rows: rows.map((r) => [...person(r), r.region, r.asl, r.centerId, r.day, r.declinedAt]), personal: true };
    }
    case 'outcomes': {
      const rows = mine(await store.outcomes(o.campaignId));
      return {
        kind: o.kind,
        title: `${o.campaignId} · outcomes`,
        columns: [...PERSON, 'region', 'asl', 'last_state', 'last_channel', 'appointment_state', 'day', 'center_id'],
        rows: rows.map((r) => [...person(r), r.region, r.asl, r.lastState, r.lastChannel, r.appointmentState, r.day, r.centerId]),
        personal: true,
      };
    }
    case 'summary': {
      const s = await store.daySummary(o.campaignId, o.day);
      return {
        kind: o.kind,
        title: `${o.campaignId} · ${o.day}`,
        columns: ['measure', 'value'],
        rows: [['day', o.day], ['target', s.target], ['released', s.released], ...Object.entries(s.appointments).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [`appointments_${k}`, v] as [string, number])],
        personal: false,
      };
    }
  }
}
