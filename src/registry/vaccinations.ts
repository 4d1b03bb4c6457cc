/** The vaccinations file (`invito import vaccinations`): doses given, one row per citizen and dose. */
import { ID_PATTERN, parseDate, parsePositive } from './fields.js';
import type { ColumnRules } from './reader.js';
import type { VaccinationRecord } from './store.js';
import type { RowOutcome } from './validated.js';

export const VACCINATION_COLUMNS: ColumnRules = {
  known: ['citizen_id', 'date', 'dose', 'center_id'],
  required: ['citizen_id', 'date', 'dose'],
};

/** No schedule has more doses than this; more is a typo. */
export const MAX_DOSE = 20;

/** A row's key: one dose of one citizen (a citizen has several rows, one per dose). */
export const vaccinationKey = (citizenId: string, dose: number | string): string => `${citizenId}#${dose}`;

/**
 * Validates one vaccinations row, with the registry's rules: rejected (not imported) for a
 * missing or malformed id, a missing, malformed, impossible or future date, a dose that is not a
 * whole number from 1 to MAX_DOSE; a malformed centre id is a warning (the dose is kept without
 * it). A citizen the registry does not hold is rejected by the store.
 */
export function validateVaccination(values: Record<string, string>, line: number, today: string): RowOutcome<VaccinationRecord> {
  const v = (k: string): string => values[k] ?? '';
  const warnings: string[] = [];
  const id = v('citizen_id');
  if (id === '') return { reject: 'citizen_id is missing', warnings };
  if (!ID_PATTERN.test(id)) return { reject: 'citizen_id must be 1-64 letters, digits, ".", "_" or "-"', warnings };
  if (v('date') === '') return { reject: 'date is missing', warnings };
  const date = parseDate('date', v('date'), today);
  if (!date.ok) return { reject: date.reason, warnings };
  const dose = parsePositive('dose', v('dose'));
  if (!dose.ok) return { reject: dose.reason, warnings };
  if (dose.value > MAX_DOSE) return { reject: `dose must be at most ${MAX_DOSE}`, warnings };
  let center: string | null = null;
  if (v('center_id') !== '') {
    if (ID_PATTERN.test(v('center_id'))) center = v('center_id');
    else warnings.push('center_id must be 1-64 letters, digits, ".", "_" or "-"');
  }
  return { row: { citizen_id: id, date: date.value, dose: dose.value, center_id: center, line }, warnings };
}
