/**
 * What a template sees. Every field is always present — null (or '' for the centre's
 * fields) when unknown — so templates run in strict mode, where a misspelt or absent
 * variable is an error, and still test optional data with `{{#if citizen.given_name}}`.
 */
import { ageOn } from '../core/calendar.js';
import { InvitoError } from '../core/errors.js';
import { isValidTimezone, parseInstant } from './dates.js';
import { titlecase, type Sex } from './names.js';

/** A citizen as the registry holds one (the fields a message may use). */
export interface CitizenRecord {
  readonly citizen_id: string;
  readonly given_name: string | null;
  readonly family_name: string | null;
  /** `YYYY-MM-DD`. */
  readonly birth_date: string;
  readonly sex: Sex;
  readonly language: string;
}

/** The rendering context of every template. */
export interface MessageContext {
  readonly citizen: {
    readonly id: string;
    /** Title case; null when the registry has none. */
    readonly given_name: string | null;
    readonly family_name: string | null;
    /** Given and family name in title case; '' when both are unknown. */
    readonly full_name: string;
    /** Completed years on the context's date. */
    readonly age: number;
    readonly sex: Sex;
    /** The language recorded for the citizen (the message may fall back to another). */
    readonly language: string;
  };
  /** `sender`: who writes, as the campaign's short signature says (`sender:`, e.g. `ASL Roma 1`). */
  readonly campaign: { readonly id: string; readonly name: string; readonly timezone: string; readonly sender: string };
  readonly step: { readonly id: string };
  readonly appointment: {
    /** False before a slot is allocated: then the centre's fields are '' and start is null. */
    readonly present: boolean;
    readonly center: { readonly name: string; readonly address: string; readonly municipality: string };
    /** ISO-8601 with offset; null when no appointment. */
    readonly start: string | null;
  };
  /** `page`: the citizen's page (`/r/<token>`: the appointment, confirm, decline, change, calendar, stop). */
  readonly links: { readonly page: string; readonly confirm: string; readonly decline: string; readonly optout: string };
}

/** An allocated appointment. */
export interface AppointmentInput {
  readonly center: { readonly name: string; readonly address: string | null; readonly municipality: string | null };
  /** ISO-8601 with offset (`Z` or `+01:00`). */
  readonly start: string;
}

/** Everything buildContext needs. */
export interface ContextInput {
  readonly citizen: CitizenRecord;
  /** `sender` defaults to `DEFAULT_SENDER`. */
  readonly campaign: { readonly id: string; readonly name: string; readonly timezone: string; readonly sender?: string };
  readonly stepId: string;
  /** null until a slot is allocated. */
  readonly appointment: AppointmentInput | null;
  /** `baseUrl` from configuration; `token` identifies the citizen in reply links. */
  readonly links: { readonly baseUrl: string; readonly token: string };
  /** The day ages are computed on (`YYYY-MM-DD`, the campaign's local date from its clock). */
  readonly asOf: string;
}

export { ageOn };

/** Who writes, when a campaign does not say (`sender:`): the national health service. */
export const DEFAULT_SENDER = 'SSN';

/** Appointment starts repeat (one slot, many citizens): their validity is remembered. */
const validStarts = new Map<string, boolean>();
function validStart(start: string, timezone: string): boolean {
  const key = `${timezone} ${start}`;
  let ok = validStarts.get(key);
  if (ok === undefined) {
    ok = parseInstant(start, timezone) !== null;
    if (validStarts.size >= 20_000) validStarts.clear();
    validStarts.set(key, ok);
  }
  return ok;
}

const nameOrNull = (name: string | null): string | null => {
  const t = name === null ? '' : titlecase(name);
  return t === '' ? null : t;
};

/**
 * Builds the rendering context for one citizen and one campaign step.
 *
 * @throws InvitoError `INTERNAL` when the data breaks the store's contract (a birth date or
 *   appointment start that is not ISO, an unknown time zone); messages name the citizen id only.
 */
export function buildContext(input: ContextInput): MessageContext {
  const { citizen, campaign, appointment, links } = input;
  const id = citizen.citizen_id;
  const age = ageOn(citizen.birth_date, input.asOf);
  if (age === null) throw new InvitoError('INTERNAL', `citizen ${id}: birth date or context date is not YYYY-MM-DD`);
  if (!isValidTimezone(campaign.timezone)) {
    throw new InvitoError('INTERNAL', `campaign ${campaign.id}: unknown time zone ${campaign.timezone}`);
  }
  if (appointment !== null && !validStart(appointment.start, campaign.timezone)) {
    throw new InvitoError('INTERNAL', `citizen ${id}: appointment start is not an ISO-8601 datetime with offset`);
  }
  const given = nameOrNull(citizen.given_name);
  const family = nameOrNull(citizen.family_name);
  const base = links.baseUrl.replace(/\/+$/u, '');
  const token = encodeURIComponent(links.token);
  return {
    citizen: {
      id,
      given_name: given,
      family_name: family,
      full_name: [given, family].filter((n) => n !== null).join(' '),
      age,
      sex: citizen.sex,
      language: citizen.language,
    },
    campaign: { id: campaign.id, name: campaign.name, timezone: campaign.timezone, sender: campaign.sender ?? DEFAULT_SENDER },
    step: { id: input.stepId },
    appointment:
      appointment === null
        ? { present: false, center: { name: '', address: '', municipality: '' }, start: null }
        : {
            present: true,
            center: {
              name: appointment.center.name,
              address: appointment.center.address ?? '',
              municipality: appointment.center.municipality ?? '',
            },
            start: appointment.start,
          },
    links: { page: `${base}/r/${token}`, confirm: `${base}/r/${token}/confirm`, decline: `${base}/r/${token}/decline`, optout: `${base}/r/${token}/optout` },
  };
}

/**
 * A representative context for checking templates: realistic lengths (a two-part given
 * name, a family name with an apostrophe, a centre with a long name), an appointment, and
 * links of the length the reply service issues (12-character tokens).
 */
export function sampleContext(language: string, baseUrl = 'https://invito.example.it'): MessageContext {
  return buildContext({
    citizen: {
      citizen_id: 'SAMPLE-0001',
      given_name: 'MARIA GRAZIA',
      family_name: "DELL'ACQUA",
      birth_date: '1941-05-17',
      sex: 'F',
      language,
    },
    campaign: { id: 'sample', name: 'Vaccinazione anti COVID-19', timezone: 'Europe/Rome' },
    stepId: 'sample',
    appointment: {
      center: { name: 'Centro vaccinale Fiera di Roma', address: 'Via Portuense 1645', municipality: 'Roma' },
      start: '2021-03-01T09:30:00+01:00',
    },
    links: { baseUrl, token: 'k3Jd9sLq2XbV' },
    asOf: '2021-02-15',
  });
}
