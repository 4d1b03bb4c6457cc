/** The citizen registry file: its columns and the rules for one row. */
import type { ColumnRules } from './reader.js';
import { ID_PATTERN, parseBool, parseCount, parseDate, parseEmail, parsePhone, parseText, phoneType, TEXT_LIMITS } from './fields.js';
import { isRegionCode } from './regions.js';
import type { CitizenRecord } from './store.js';
import type { RowOutcome } from './validated.js';

export const CITIZEN_COLUMNS: ColumnRules = {
  known: [
    'citizen_id', 'given_name', 'family_name', 'birth_date', 'sex', 'phone', 'email', 'language', 'region',
    'asl', 'municipality', 'priority_groups', 'doses', 'last_dose_date', 'opt_out', 'deceased',
    'whatsapp_opt_in',
  ],
  required: ['citizen_id', 'birth_date'],
};

/**
 * The one opt-out source a re-import may take back: an opt-out that came from a file (or has no
 * source recorded) follows the file. One the citizen asked for, by SMS, reply link or operator,
 * survives every re-import: a file may set an opt-out but never clears such a one.
 */
export const FILE_OPT_OUT_SOURCE = 'import';

const LANGUAGE = /^[a-z]{2}$/;
const GROUP = /^[A-Z0-9_-]{1,32}$/;
/** Room for a few dozen group codes; more is not a list of groups. */
const MAX_GROUPS_TEXT = 500;

/**
 * Validates one registry row. Rejected (not imported): a missing or malformed id, a missing,
 * malformed, impossible or future birth date, a bad dose count, an unreadable opt-out or `deceased` (guessing
 * could message someone who said stop). Everything else that is wrong is a warning and the row is
 * imported without that value: nothing valid is lost because of one bad field.
 */
export function validateCitizen(values: Record<string, string>, line: number, today: string): RowOutcome<CitizenRecord> {
  const v = (k: string): string => values[k] ?? '';
  const warnings: string[] = [];
  const id = v('citizen_id');
  if (id === '') return { reject: 'citizen_id is missing', warnings };
  if (!ID_PATTERN.test(id)) return { reject: 'citizen_id must be 1-64 letters, digits, ".", "_" or "-"', warnings };
  if (v('birth_date') === '') return { reject: 'birth_date is missing', warnings };
  const birth = parseDate('birth_date', v('birth_date'), today);
  if (!birth.ok) return { reject: birth.reason, warnings };
  const doses = parseCount('doses', v('doses'), 0);
  if (!doses.ok) return { reject: doses.reason, warnings };
  const optOut = parseBool('opt_out', v('opt_out'), false);
  if (!optOut.ok) return { reject: optOut.reason, warnings };
  // Unreadable is rejected like an opt-out: guessing could invite someone who has died.
  const deceased = parseBool('deceased', v('deceased'), false);
  if (!deceased.ok) return { reject: deceased.reason, warnings };

  // Consent must be proven: an unreadable value is a warning and no consent (the row is kept).
  const whatsapp = parseBool('whatsapp_opt_in', v('whatsapp_opt_in'), false);
  if (!whatsapp.ok) warnings.push(`${whatsapp.reason}; no WhatsApp consent recorded`);

  let phone: string | null = null;
  if (v('phone') !== '') {
    const p = parsePhone(v('phone'));
    if (p.ok) phone = p.value;
    else warnings.push(p.reason);
  }
  let email: string | null = null;
  if (v('email') !== '') {
    const e = parseEmail(v('email'));
    if (e.ok) email = e.value;
    else warnings.push(e.reason);
  }
  let sex: CitizenRecord['sex'] = null;
  const s = v('sex').toUpperCase();
  if (s === 'M' || s === 'F' || s === 'X') sex = s;
  else if (s !== '') warnings.push('sex must be M, F or X');
  let language = 'it';
  const lang = v('language').toLowerCase();
  if (LANGUAGE.test(lang)) language = lang;
  else if (lang !== '') warnings.push('language must be an ISO 639-1 code; using it');
  let region: string | null = null;
  const reg = v('region').toUpperCase();
  if (isRegionCode(reg)) region = reg;
  else if (reg !== '') warnings.push('region is not one of the 21 region codes');
  let lastDose: string | null = null;
  if (v('last_dose_date') !== '') {
    const d = parseDate('last_dose_date', v('last_dose_date'), today);
    if (d.ok) lastDose = d.value;
    else warnings.push(d.reason);
  }
  // Names, the health authority and the town are not needed to invite: a bad one is dropped.
  const text = (field: keyof typeof TEXT_LIMITS): string | null => {
    const t = parseText(field, v(field), TEXT_LIMITS[field]);
    if (t.ok) return t.value;
    warnings.push(t.reason);
    return null;
  };
  const givenName = text('given_name');
  const familyName = text('family_name');
  const asl = text('asl');
  const municipality = text('municipality');
  const groups: string[] = [];
  const groupText = v('priority_groups');
  if (groupText.length > MAX_GROUPS_TEXT) warnings.push(`priority_groups is longer than ${MAX_GROUPS_TEXT} characters`);
  else for (const raw of groupText.split(/[;|]/)) {
    const g = raw.trim().toUpperCase();
    if (g === '') continue;
    if (!GROUP.test(g)) warnings.push('a priority group code is not [A-Z0-9_-]');
    else if (!groups.includes(g)) groups.push(g);
  }
  return {
    row: {
      citizen_id: id,
      given_name: givenName,
      family_name: familyName,
      birth_date: birth.value,
      sex,
      phone,
      phone_type: phoneType(phone),
      email,
      language,
      region,
      asl: asl?.toUpperCase() ?? null,
      municipality,
      doses: doses.value,
      last_dose_date: lastDose,
      opt_out: optOut.value,
      deceased: deceased.value,
      whatsapp_opt_in: whatsapp.ok ? whatsapp.value : false,
      priority_groups: groups,
      line,
    },
    warnings,
  };
}
